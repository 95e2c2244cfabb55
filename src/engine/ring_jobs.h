// The writer's side of the shared job ring (coord/job_ring.h): the jobs it takes from the ring
// into its batch, and the nudge a submitter queues in its own process.
//
// RingJob: a job of any process, taken from the ring by this process's leader while it holds
// the writer lock. It sits in the batch beside the process's own jobs and runs like them
// (SAVEPOINT per job, ROLLBACK TO on error); its outcome goes back into its ring slot, not to a
// waiting caller here (the submitter waits on its process's wake word).
//
// RingDrive: after publishing a job, the submitter queues a drive in its own process (and leads
// it when callers lead). A leader completes every drive as soon as it takes it, and runs a
// batch under the writer lock if the ring has work then. No published job is left behind: the
// drive's check happens after the publish, so it either sees the job PUBLISHED (and this
// process takes the lock and runs it, unless another leader took it first) or sees it taken.
//
// Thread-safety: RingJob is touched only by the leader; RingDrive by its caller and the leader
// (through Job::done).
#pragma once

#include <cstdint>
#include <exception>

#include "coord/job_ring.h"
#include "sluice/detail/job.h"

namespace sluice::engine {

struct RingJob final : detail::Job {
  RingJob() { run = &invoke; }
  static void invoke(Job* j, Transaction& tx);

  coord::JobRing* ring = nullptr;
  int slot = -1;
  std::int64_t changes = 0;
  std::int64_t last_insert_rowid = 0;
};

struct RingDrive final : detail::Job {
  RingDrive() { run = &invoke; }
  static void invoke(Job*, Transaction&) {}
};

inline bool is_ring_job(const detail::Job& j) noexcept { return j.run == &RingJob::invoke; }
inline bool is_ring_drive(const detail::Job& j) noexcept { return j.run == &RingDrive::invoke; }

// Writes a finished ring job's outcome (`error` null = succeeded) into its slot (provisional
// until JobRing::finish).
void record_ring_outcome(RingJob& job, const std::exception_ptr& error) noexcept;

// Most jobs of one process a leader takes from the ring per batch. Source: design — 16 processes
// x 4 threads fill one batch of 64 evenly; a process with more in the ring waits one batch.
inline constexpr std::size_t kRingPerProcessCap = 16;
// How long a leader keeps the writer lock while the ring has work (ns). Source: design — a few
// one-row batches; bounded so that a process with lambda jobs gets its turn.
inline constexpr std::int64_t kRingSliceNs = 2'000'000;

}  // namespace sluice::engine
