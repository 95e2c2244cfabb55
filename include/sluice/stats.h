// Stats: a snapshot of a Database's counters, gauges and latency histograms.
//
// Latencies are in microseconds (µs), measured with std::chrono::steady_clock; percentiles come
// from log-linear histograms whose buckets are within 1/32 (~3%) of the true value.
//
// Thread-safety: a plain value, taken by Database::stats() from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

// Distribution of one measured quantity (µs for latencies, jobs for batch sizes).
struct Summary {
  std::uint64_t count = 0;
  double mean = 0;
  std::uint64_t p50 = 0;
  std::uint64_t p90 = 0;
  std::uint64_t p99 = 0;
  std::uint64_t p999 = 0;
  std::uint64_t max = 0;
};

struct Stats {
  // --- counters (since open) ---
  std::uint64_t commits = 0;            // group-commit transactions committed
  std::uint64_t jobs_ok = 0;            // write jobs committed and acknowledged
  std::uint64_t jobs_failed = 0;        // write jobs that ended in an error (any cause)
  std::uint64_t busy_retries = 0;       // BEGIN IMMEDIATE attempts that met SQLITE_BUSY
  std::uint64_t busy_timeouts = 0;      // batches failed with Busy after busy_timeout_ms
  std::uint64_t overloaded = 0;         // submissions refused with Overloaded
  std::uint64_t deadline_exceeded = 0;  // jobs dropped unexecuted past their deadline
  std::uint64_t commit_failures = 0;    // COMMITs that failed (whole batch failed)
  std::uint64_t reads_ok = 0;
  std::uint64_t reads_failed = 0;
  std::uint64_t checkpoints = 0;               // checkpoints run (any mode)
  std::uint64_t checkpoint_pages_written = 0;  // WAL frames copied back into the database
  // Checkpoints by mode (PASSIVE includes the checkpointer's bulk passes and tails).
  std::uint64_t checkpoints_passive = 0;
  std::uint64_t checkpoints_full = 0;
  std::uint64_t checkpoints_restart = 0;
  std::uint64_t checkpoints_truncate = 0;
  std::uint64_t checkpoints_busy = 0;  // ended with frames left (readers pinned the WAL)
  std::uint64_t lease_takeovers = 0;   // checkpointer lease taken from a dead process
  std::uint64_t lock_recoveries = 0;   // writer lock taken after its holder died
  std::uint64_t long_reads = 0;        // reads that held a transaction over max_read_txn_ms
  // The shared job ring (coordinate_processes): this Database's declarative writes that went
  // through it, those that ran in its own turn instead (ring full, or larger than a slot), and
  // the jobs of other processes its leaders ran.
  std::uint64_t ring_jobs = 0;
  std::uint64_t ring_fallbacks = 0;
  std::uint64_t ring_jobs_for_others = 0;

  // --- gauges (now) ---
  std::uint64_t queue_depth = 0;  // write jobs queued, not yet taken by the writer
  // Callers inside write()/submit() waiting for queue space now (only with enqueue_timeout_ms >
  // 0; they get a slot when the writer takes jobs, or Overloaded at their timeout).
  std::uint64_t enqueue_waiters = 0;
  std::uint64_t readers_in_use = 0;      // pooled read connections leased
  std::uint64_t readers_total = 0;       // pool size
  std::uint64_t wal_frames = 0;          // WAL frames after the last commit (pages)
  std::uint64_t wal_bytes = 0;           // size of the -wal file now
  std::uint64_t oldest_read_ms = 0;      // age of the oldest read transaction open now (0 = none)
  std::uint64_t processes_attached = 0;  // Sluice Databases attached to this file (side file)
  bool checkpointer_active = false;      // this Database holds the checkpointer lease
  bool writes_refused = false;           // poisoned by an error of unknown outcome
  // Replication (Config::replica; all 0 without it), of this process's replicator.
  bool replica_active = false;               // this process ships (it holds the checkpointer lease)
  std::uint64_t replica_shipped_txid = 0;    // newest txid in the replica (sluice/replica.h)
  std::uint64_t replica_lag_ms = 0;          // since everything committed was last shipped
  std::uint64_t replica_pending_frames = 0;  // committed WAL frames unshipped (replica failing)
  std::uint64_t replica_segments = 0;        // segments shipped by this process (counter)
  std::uint64_t replica_bytes = 0;           // bytes shipped, snapshots included (counter)
  std::uint64_t replica_generations = 0;     // generations started by this process (counter)
  std::uint64_t replica_errors = 0;          // failed ships (counter; details on stderr)
  // SQL of the last read that held its transaction over max_read_txn_ms ("" = none), with its
  // age (ms): the read that pinned the WAL.
  std::string long_read_sql;
  std::uint64_t long_read_ms = 0;

  // --- histograms ---
  Summary queue_wait_us;  // submission → the writer takes the job
  Summary execute_us;     // the job's own work inside its savepoint
  Summary commit_us;      // COMMIT of a batch
  Summary write_us;       // submission → result delivered (end to end, as the caller sees it)
  Summary read_us;        // read() call → result, including pool wait
  Summary pool_wait_us;   // waiting for a free reader
  // Age of the kept snapshot a read reused (ReadOptions::max_staleness > 0), when the read
  // began; count = reads served from a kept snapshot. Its max is exact: never over the largest
  // max_staleness a read asked for.
  Summary stale_snapshot_age_us;
  Summary batch_jobs;     // jobs per committed batch
  Summary checkpoint_us;  // duration of each checkpoint
  Summary lock_wait_us;   // the writer waiting for the cross-process writer lock, per batch

  // The whole snapshot as one JSON object.
  std::string to_json() const;
  // Prometheus text exposition format, metric names prefixed `sluice_`, units in names.
  std::string to_prometheus() const;
};

}  // namespace sluice
