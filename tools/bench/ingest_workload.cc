#include "bench/ingest_workload.h"

#include <fmt/format.h>

#include <chrono>

namespace sluice::bench {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    timestamp REAL,
    data TEXT);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,
    timestamp INTEGER,
    metric_name TEXT,
    value REAL);
CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp);
CREATE INDEX IF NOT EXISTS idx_metrics_timestamp ON metrics(timestamp);
)sql";

const char* const kEventTypes[] = {"page_view", "click",  "signup",   "purchase",
                                   "error",     "logout", "api_call", "search"};
const char* const kMetricNames[] = {
    "cpu_percent",  "mem_bytes",  "req_latency_ms", "queue_depth", "disk_iops",    "net_rx_bytes",
    "net_tx_bytes", "open_conns", "gc_pause_ms",    "cache_hits",  "cache_misses", "errors_total"};
constexpr int kPool = 4096;

}  // namespace

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

IngestWorkload::IngestWorkload(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < kPool; ++i) {
    auto pick = [&](std::size_t n) {
      return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    data_.push_back(fmt::format(
        R"({{"type":"{}","user":{},"session":"{:016x}","path":"/app/{}","ms":{}}})",
        kEventTypes[pick(std::size(kEventTypes))], pick(100000), rng(), pick(1000), pick(5000)));
  }
  for (const char* m : kMetricNames) metrics_.emplace_back(m);
}

void IngestWorkload::create_schema(Connection& conn) { conn.exec_script(kSchema); }

Op IngestWorkload::request(std::int64_t i, double wall_s, std::mt19937_64& rng) const {
  Op op{};
  if (i % 5 != 4) {
    op.kind = OpKind::InsertEvent;
    op.x = wall_s;
    op.text1 = &data_[rng() % data_.size()];
  } else {
    op.kind = OpKind::InsertMetric;
    op.a = static_cast<std::int64_t>(wall_s * 1000);
    op.text1 = &metrics_[rng() % metrics_.size()];
    op.x = std::uniform_real_distribution<double>(0, 100)(rng);
  }
  return op;
}

Op IngestWorkload::recent(std::int64_t i, double wall_s) const {
  Op op{};
  if (i % 2 == 0) {
    op.kind = OpKind::RecentEvents;
    op.x = wall_s - kWindowS;
  } else {
    op.kind = OpKind::RecentMetrics;
    op.a = static_cast<std::int64_t>((wall_s - kWindowS) * 1000);
  }
  return op;
}

}  // namespace sluice::bench
