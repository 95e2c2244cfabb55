// WriterLock: the cross-process writer lock of one database, taken by a Database's writer thread
// around each batch's BEGIN IMMEDIATE ... COMMIT, so the writers of different Sluice processes
// take turns instead of meeting SQLITE_BUSY and sleeping in busy handlers.
//
// A waiter sleeps in the kernel until the lock is free (a robust process-shared mutex in the
// side file, robust_mutex.h). A holder that dies (SIGKILL included) releases it at once; the
// next holder is told and counts a recovery. SQLite rolls the dead holder's uncommitted batch
// back by itself: its frames sit past the WAL's last commit mark and are never read.
//
// Each acquisition's wait is recorded in this Database's slot (count, total, max) so the
// fairness between processes can be seen in `sluice inspect` and the bench.
//
// Thread-safety: acquire/release from the writer thread (or the checkpointer for its tail).
#pragma once

#include <cstdint>
#include <string>

#include "coord/side_file.h"

namespace sluice::coord {

class WriterLock {
 public:
  explicit WriterLock(SideFile& side) noexcept : side_(side) {}

  // Waits until deadline_ns (steady clock, ns) for the lock. Returns the nanoseconds waited.
  // Throws Error(Busy) naming the holder's pid when the deadline passed, Error(Internal) if the
  // mutex is unrecoverable.
  //
  // A checkpointer's tail (acquire_for_tail) is Sluice's own bounded maintenance, not another
  // writer: a writer whose deadline passes while a tail holds the lock waits once more as long,
  // so that a slow fsync in the tail on a loaded disk does not fail writes with Busy.
  std::int64_t acquire(std::int64_t deadline_ns, const std::string& db_path);
  // A writer that finds a tail waiting for the lock first lets it in (waits for tail_waiting to
  // clear, at most kYieldToTailMs): a writer that commits back to back on its own thread would
  // otherwise take the lock again before the woken tail runs, and the tail — skipped after
  // kTailLockWaitMs — would never reset the WAL.
  static constexpr int kYieldToTailMs = 100;

  // acquire() for a checkpointer's tail: announces itself (tail_waiting) while it waits, and
  // marks the lock as held by a tail until release().
  std::int64_t acquire_for_tail(std::int64_t deadline_ns, const std::string& db_path);
  void release() noexcept;

  // Acquisitions that found the previous holder dead (since this process attached).
  std::uint64_t recoveries() const noexcept { return recoveries_; }

 private:
  // The lock itself: trylock, then wait in the kernel until deadline_ns.
  std::int64_t lock(std::int64_t deadline_ns, const std::string& db_path);
  SideFile& side_;
  std::uint64_t recoveries_ = 0;
};

}  // namespace sluice::coord
