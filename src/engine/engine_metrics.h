// EngineMetrics: the live counters and histograms of one Database; Stats is their snapshot.
//
// Thread-safety: every member is atomic or a lock-free Histogram; record from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "metrics/histogram.h"
#include "sluice/stats.h"

namespace sluice::engine {

struct EngineMetrics {
  using Counter = std::atomic<std::uint64_t>;

  Counter commits{0};
  Counter jobs_ok{0};
  Counter jobs_failed{0};
  Counter busy_retries{0};
  Counter busy_timeouts{0};
  Counter overloaded{0};
  Counter deadline_exceeded{0};
  Counter commit_failures{0};
  Counter reads_ok{0};
  Counter reads_failed{0};
  Counter checkpoints{0};
  Counter checkpoint_pages_written{0};
  Counter checkpoints_by_mode[4]{};  // indexed by CheckpointMode
  Counter checkpoints_busy{0};       // ended with frames left behind (readers, or a writer)
  Counter lease_takeovers{0};
  Counter lock_recoveries{0};
  Counter long_reads{0};
  Counter readers_in_use{0};
  Counter wal_frames{0};
  Counter ring_jobs{0};
  Counter ring_fallbacks{0};
  Counter ring_jobs_for_others{0};

  metrics::Histogram queue_wait_us;
  metrics::Histogram execute_us;
  metrics::Histogram commit_us;
  metrics::Histogram write_us;
  metrics::Histogram read_us;
  metrics::Histogram pool_wait_us;
  metrics::Histogram stale_snapshot_age_us;
  metrics::Histogram batch_jobs;
  metrics::Histogram checkpoint_us;
  metrics::Histogram lock_wait_us;

  static void bump(Counter& c, std::uint64_t n = 1) noexcept {
    c.fetch_add(n, std::memory_order_relaxed);
  }

  // Counters and histograms; the caller fills the gauges it owns (queue depth, pool size, ...).
  Stats snapshot() const;
};

}  // namespace sluice::engine
