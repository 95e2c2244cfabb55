#include "engine/reader_pool.h"

#include <algorithm>
#include <chrono>

#include "engine/clock.h"
#include "engine/shared_map_vfs.h"
#include "engine/snapshot_epoch.h"

namespace sluice::engine {

ReaderPool::ReaderPool(const std::string& path, const Config& config, EngineMetrics& metrics)
    : metrics_(metrics),
      max_read_ns_(std::int64_t{config.max_read_txn_ms} * 1'000'000),
      size_(static_cast<std::size_t>(config.pool_size)) {
  OpenOptions options;
  options.mode = OpenOptions::Mode::ReadOnly;
  options.vfs = config.vfs;
  if (config.vfs.empty() && config.mmap_size_bytes > 0) {
    // Mapped pages that survive the cache reset after every commit (engine/shared_map_vfs.h).
    if (const char* shim = shared_map_vfs_name()) options.vfs = shim;
  }
  slots_.resize(size_);
  for (Slot& s : slots_) {
    s.conn = std::make_unique<Connection>(Connection::open(path, options));
    PragmaReport report = apply_pragmas(*s.conn, config, Role::Reader);
    if (&s == &slots_.front()) pragmas_ = std::move(report);
    // Prepare the read-transaction statements once.
    s.conn->cached("BEGIN");
    s.conn->cached("COMMIT");
    s.conn->cached("ROLLBACK");
    free_.push_back(s.conn.get());
  }
}

ReaderPool::Slot& ReaderPool::slot_of(const Connection* conn) noexcept {
  for (Slot& s : slots_) {
    if (s.conn.get() == conn) return s;
  }
  return slots_.front();  // unreachable: every leased connection is one of ours
}

Connection* ReaderPool::take(std::size_t free_index) {
  Connection* c = free_[free_index];
  free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(free_index));
  Slot& s = slot_of(c);
  s.leased_since_ns = now_ns();
  s.holder = std::this_thread::get_id();
  EngineMetrics::bump(metrics_.readers_in_use);
  return c;
}

Connection* ReaderPool::acquire(std::int64_t deadline_ns, std::int64_t max_staleness_ns) {
  Connection* c = nullptr;
  {
    std::unique_lock lock(mu_);
    if (!free_.empty() && !closed_) {
      metrics_.pool_wait_us.record(0);
    } else {
      const std::int64_t start = now_ns();
      const auto deadline =
          std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns));
      const bool got = cv_.wait_until(lock, deadline, [&] { return closed_ || !free_.empty(); });
      metrics_.pool_wait_us.record(micros_between(start, now_ns()));
      if (closed_) throw Error(ErrorCode::Closed, "database is closed");
      if (!got) {
        throw Error(ErrorCode::DeadlineExceeded,
                    "no read connection became free before the read deadline (pool_size=" +
                        std::to_string(size_) + ", read_timeout_ms)");
      }
    }
    c = take(free_.size() - 1);  // the most recently returned: its snapshot is the youngest
  }
  Slot& s = slot_of(c);  // ours until release(): no lock needed for its snapshot fields
  s.staleness_ns = max_staleness_ns;
  const bool reuse = s.kept && max_staleness_ns > 0 &&
                     now_ns() - s.snapshot_ns <= max_staleness_ns &&
                     s.snapshot_epoch >= thread_write_epoch();
  s.kept = false;
  if (!reuse) {
    try {
      if (s.snapshot_ns != 0) end_snapshot(s, true);
      open_snapshot(s);
    } catch (...) {
      release(c);
      throw;
    }
  }
  return c;
}

void ReaderPool::open_snapshot(Slot& s) {
  // The epoch first: the read transaction starts at the first read after BEGIN (deferred), so
  // it sees at least every commit counted in the epoch read here.
  const std::uint64_t epoch = commit_epoch();
  s.conn->cached("BEGIN").run();
  s.snapshot_ns = now_ns();
  s.snapshot_epoch = epoch;
}

void ReaderPool::end_snapshot(Slot& s, bool commit) {
  s.snapshot_ns = 0;
  s.kept = false;
  if (!s.conn->in_transaction()) return;
  if (commit) {
    s.conn->cached("COMMIT").run();
    return;
  }
  try {
    s.conn->cached("ROLLBACK").run();
  } catch (const Error&) {
    // A read-only transaction has nothing to undo.
  }
}

void ReaderPool::finish(Connection* conn) {
  Slot& s = slot_of(conn);
  if (s.staleness_ns > 0 && s.snapshot_ns != 0 && now_ns() - s.snapshot_ns < s.staleness_ns) {
    s.kept = true;  // the next lease may read from it
    return;
  }
  end_snapshot(s, true);
}

void ReaderPool::release(Connection* conn) noexcept {
  Slot& s = slot_of(conn);
  if (!s.kept) end_snapshot(s, false);
  metrics_.readers_in_use.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    s.holder = std::thread::id();
    const std::int64_t held = now_ns() - s.leased_since_ns;
    s.leased_since_ns = 0;
    free_.push_back(conn);
    if (closed_) {
      cv_.notify_all();  // close() is waiting for every lease to come back
      return;
    }
    if (max_read_ns_ > 0 && held > max_read_ns_) {
      EngineMetrics::bump(metrics_.long_reads);
      long_read_sql_ = conn->last_sql();
      long_read_ns_ = held;
    }
  }
  cv_.notify_one();
}

void ReaderPool::end_stale_snapshots() noexcept {
  std::lock_guard lock(mu_);
  const std::int64_t now = now_ns();
  for (Connection* c : free_) {
    Slot& s = slot_of(c);
    if (s.kept && now - s.snapshot_ns >= s.staleness_ns) end_snapshot(s, false);
  }
}

void ReaderPool::long_read_report(Stats& s) {
  std::lock_guard lock(mu_);
  const std::int64_t now = now_ns();
  std::int64_t oldest = 0;
  for (const Slot& slot : slots_) {
    if (slot.leased_since_ns != 0) oldest = std::max(oldest, now - slot.leased_since_ns);
  }
  s.oldest_read_ms = static_cast<std::uint64_t>(oldest / 1'000'000);
  s.long_read_sql = long_read_sql_;
  s.long_read_ms = static_cast<std::uint64_t>(long_read_ns_ / 1'000'000);
}

void ReaderPool::close() noexcept {
  std::unique_lock lock(mu_);
  closed_ = true;
  cv_.notify_all();  // waiting acquirers give up with Closed
  // Reads in flight finish on their connections first (as queued writes commit first).
  cv_.wait(lock, [&] { return free_.size() == slots_.size(); });
  free_.clear();
  slots_.clear();  // closing a connection ends a kept read transaction
  cv_.notify_all();
}

bool ReaderPool::leased_by_this_thread() const noexcept {
  std::lock_guard lock(mu_);
  return std::any_of(slots_.begin(), slots_.end(),
                     [](const Slot& s) { return s.holder == std::this_thread::get_id(); });
}

}  // namespace sluice::engine
