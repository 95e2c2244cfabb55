#include "engine/reader_pool.h"

#include <chrono>

#include "engine/clock.h"

namespace sluice::engine {

ReaderPool::ReaderPool(const std::string& path, const Config& config, EngineMetrics& metrics)
    : metrics_(metrics) {
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
}

Connection* ReaderPool::acquire(std::int64_t deadline_ns) {
  std::unique_lock lock(mu_);
  if (!free_.empty() && !closed_) {
    Connection* c = free_.back();
    free_.pop_back();
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
  EngineMetrics::bump(metrics_.readers_in_use);
  return c;
}

void ReaderPool::release(Connection* conn) noexcept {
  metrics_.readers_in_use.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    free_.push_back(conn);
  }
  cv_.notify_one();
}

void ReaderPool::close() noexcept {
  std::lock_guard lock(mu_);
  closed_ = true;
  free_.clear();
  all_.clear();
  cv_.notify_all();
}

}  // namespace sluice::engine
