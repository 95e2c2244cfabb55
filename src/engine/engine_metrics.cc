#include "engine/engine_metrics.h"

namespace sluice::engine {

Stats EngineMetrics::snapshot() const {
  auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  Stats s;
  s.commits = get(commits);
  s.jobs_ok = get(jobs_ok);
  s.jobs_failed = get(jobs_failed);
  s.busy_retries = get(busy_retries);
  s.busy_timeouts = get(busy_timeouts);
  s.overloaded = get(overloaded);
  s.deadline_exceeded = get(deadline_exceeded);
  s.commit_failures = get(commit_failures);
  s.reads_ok = get(reads_ok);
  s.reads_failed = get(reads_failed);
  s.checkpoints = get(checkpoints);
  s.checkpoint_pages_written = get(checkpoint_pages_written);
  s.checkpoints_passive = get(checkpoints_by_mode[0]);
  s.checkpoints_full = get(checkpoints_by_mode[1]);
  s.checkpoints_restart = get(checkpoints_by_mode[2]);
  s.checkpoints_truncate = get(checkpoints_by_mode[3]);
  s.checkpoints_busy = get(checkpoints_busy);
  s.lease_takeovers = get(lease_takeovers);
  s.lock_recoveries = get(lock_recoveries);
  s.long_reads = get(long_reads);
  s.ring_jobs = get(ring_jobs);
  s.ring_fallbacks = get(ring_fallbacks);
  s.ring_jobs_for_others = get(ring_jobs_for_others);
  s.readers_in_use = get(readers_in_use);
  s.wal_frames = get(wal_frames);
  s.queue_wait_us = queue_wait_us.summary();
  s.execute_us = execute_us.summary();
  s.commit_us = commit_us.summary();
  s.write_us = write_us.summary();
  s.read_us = read_us.summary();
  s.pool_wait_us = pool_wait_us.summary();
  s.stale_snapshot_age_us = stale_snapshot_age_us.summary();
  s.batch_jobs = batch_jobs.summary();
  s.checkpoint_us = checkpoint_us.summary();
  s.lock_wait_us = lock_wait_us.summary();
  return s;
}

}  // namespace sluice::engine
