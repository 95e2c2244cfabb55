// RobustMutex: a pthread mutex shared between processes (PTHREAD_PROCESS_SHARED) in a mapped
// file, made robust (PTHREAD_MUTEX_ROBUST) so that a holder that dies — even by SIGKILL — never
// wedges the others: the kernel releases it at the holder's death and the next locker is told
// (EOWNERDEAD), marks it consistent and carries on.
//
// Waiters sleep in the kernel (futex) until the mutex is free: no polling. The kernel queues
// waiters of equal priority in FIFO order and wakes one at each release; a releasing thread may
// take the lock again before the woken waiter runs (barging).
//
// Thread-safety: lock/unlock from any thread of any process; the thread that locked must unlock.
#pragma once

#include <pthread.h>

#include <cstdint>

namespace sluice::coord {

enum class LockResult {
  Acquired,
  // Acquired, and the previous holder had died holding it: whatever it protected may be half
  // done (for the writer lock SQLite rolls the dead holder's transaction back by itself).
  AcquiredOwnerDied,
  TimedOut,
};

// Initialises a robust, process-shared mutex in place (zeroed memory of a new side file).
// Throws Error(Internal) if pthread refuses.
void init_robust_mutex(pthread_mutex_t& m);

// Locks, waiting at most until deadline_ns on CLOCK_MONOTONIC (< 0 = forever; 0 = try once).
// Throws Error(Internal) for an unrecoverable mutex (a holder died and nobody recovered it).
LockResult lock_robust_mutex(pthread_mutex_t& m, std::int64_t deadline_ns);

void unlock_robust_mutex(pthread_mutex_t& m) noexcept;

}  // namespace sluice::coord
