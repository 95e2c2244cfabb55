#include "engine/reader_pool.h"

#include <algorithm>
#include <chrono>

#include "engine/clock.h"

namespace sluice::engine {

ReaderPool::ReaderPool(const std::string& path, const Config& config, EngineMetrics& metrics)
    : metrics_(metrics),
      max_read_ns_(std::int64_t{config.max_read_txn_ms} * 1'000'000),
      size_(static_cast<std::size_t>(config.pool_size)) {
  OpenOptions options;
  options.mode = OpenOptions::Mode::ReadOnly;
  options.vfs = config.vfs;
  for (int i = 0; i < config.pool_size; ++i) {
    auto conn = std::make_unique<Connection>(Connection::open(path, options));
    PragmaReport report = apply_pragmas(*conn, config, Role::Reader);
    if (i == 0) pragmas_ = std::move(report);
    // Prepare the read-transaction statements once.
    conn->cached("BEGIN");
    conn->cached("COMMIT");
    conn->cached("ROLLBACK");
    free_.push_back(conn.get());
    all_.push_back(std::move(conn));
  }
  leased_since_ns_.assign(all_.size(), 0);
  holders_.assign(all_.size(), std::thread::id());
}

std::size_t ReaderPool::index_of(const Connection* conn) const noexcept {
  for (std::size_t i = 0; i < all_.size(); ++i) {
    if (all_[i].get() == conn) return i;
  }
  return 0;
}

Connection* ReaderPool::acquire(std::int64_t deadline_ns) {
  std::unique_lock lock(mu_);
  if (!free_.empty() && !closed_) {
    Connection* c = free_.back();
    free_.pop_back();
    const std::size_t i = index_of(c);
    leased_since_ns_[i] = now_ns();
    holders_[i] = std::this_thread::get_id();
    metrics_.pool_wait_us.record(0);
    EngineMetrics::bump(metrics_.readers_in_use);
    return c;
  }
  const std::int64_t start = now_ns();
  const auto deadline =
      std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns));
  bool got = cv_.wait_until(lock, deadline, [&] { return closed_ || !free_.empty(); });
  metrics_.pool_wait_us.record(micros_between(start, now_ns()));
  if (closed_) throw Error(ErrorCode::Closed, "database is closed");
  if (!got) {
    throw Error(ErrorCode::DeadlineExceeded,
                "no read connection became free before the read deadline (pool_size=" +
                    std::to_string(all_.size()) + ", read_timeout_ms)");
  }
  Connection* c = free_.back();
  free_.pop_back();
  const std::size_t i = index_of(c);
  leased_since_ns_[i] = now_ns();
  holders_[i] = std::this_thread::get_id();
  EngineMetrics::bump(metrics_.readers_in_use);
  return c;
}

void ReaderPool::release(Connection* conn) noexcept {
  metrics_.readers_in_use.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    holders_[index_of(conn)] = std::thread::id();
    if (closed_) {
      free_.push_back(conn);  // close() is waiting for every lease to come back
      cv_.notify_all();
      return;
    }
    std::int64_t& since = leased_since_ns_[index_of(conn)];
    const std::int64_t held = now_ns() - since;
    since = 0;
    if (max_read_ns_ > 0 && held > max_read_ns_) {
      EngineMetrics::bump(metrics_.long_reads);
      long_read_sql_ = conn->last_sql();
      long_read_ns_ = held;
    }
    free_.push_back(conn);
  }
  cv_.notify_one();
}

void ReaderPool::long_read_report(Stats& s) {
  std::lock_guard lock(mu_);
  const std::int64_t now = now_ns();
  std::int64_t oldest = 0;
  for (std::int64_t since : leased_since_ns_) {
    if (since != 0) oldest = std::max(oldest, now - since);
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
  cv_.wait(lock, [&] { return free_.size() == all_.size(); });
  free_.clear();
  all_.clear();
  leased_since_ns_.clear();
  holders_.clear();
  cv_.notify_all();
}

bool ReaderPool::leased_by_this_thread() const noexcept {
  std::lock_guard lock(mu_);
  return std::find(holders_.begin(), holders_.end(), std::this_thread::get_id()) != holders_.end();
}

}  // namespace sluice::engine
