#include "coord/robust_mutex.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "sluice/error.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace sluice::coord {
namespace {

[[noreturn]] void fail(const char* what, int rc) {
  throw Error(ErrorCode::Internal, std::string(what) + ": " + std::strerror(rc));
}

}  // namespace

void init_robust_mutex(pthread_mutex_t& m) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  int rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (rc == 0) rc = pthread_mutex_init(&m, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) fail("cannot initialise the process-shared mutex", rc);
}

LockResult lock_robust_mutex(pthread_mutex_t& m, std::int64_t deadline_ns) {
  int rc;
  if (deadline_ns < 0) {
    rc = pthread_mutex_lock(&m);
  } else if (deadline_ns == 0) {
    rc = pthread_mutex_trylock(&m);
    if (rc == EBUSY) return LockResult::TimedOut;
  } else {
    // pthread_mutex_timedlock (CLOCK_REALTIME) rather than pthread_mutex_clocklock: GCC 12's
    // ThreadSanitizer does not intercept clocklock and would see unlocks of a mutex never
    // locked. The monotonic deadline becomes a realtime one; a clock step during the wait only
    // moves the timeout.
    timespec mono{}, real{};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    const std::int64_t left =
        deadline_ns - (std::int64_t{mono.tv_sec} * 1'000'000'000 + mono.tv_nsec);
    const std::int64_t until =
        std::int64_t{real.tv_sec} * 1'000'000'000 + real.tv_nsec + std::max<std::int64_t>(left, 0);
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(until / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(until % 1'000'000'000);
    rc = pthread_mutex_timedlock(&m, &ts);
    if (rc == ETIMEDOUT) return LockResult::TimedOut;
  }
  if (rc == 0) return LockResult::Acquired;
  if (rc == EOWNERDEAD) {
#if defined(__SANITIZE_THREAD__)
    // GCC 12's ThreadSanitizer records a timedlock only when it returns 0; tell it about this
    // one, or the unlock that follows is reported as an unlock of an unlocked mutex. Its lock and
    // trylock interceptors record EOWNERDEAD themselves (MutexRepair + MutexPostLock in
    // tsan_interceptors_posix.cpp): annotating those again may count the mutex as locked twice
    // (a "double lock" report was seen once in the multi-process tests).
    if (deadline_ns > 0) {
      __tsan_mutex_pre_lock(&m, 0);
      __tsan_mutex_post_lock(&m, 0, 0);
    }
#endif
    pthread_mutex_consistent(&m);
    return LockResult::AcquiredOwnerDied;
  }
  fail("cannot lock the process-shared mutex", rc);
}

void unlock_robust_mutex(pthread_mutex_t& m) noexcept { pthread_mutex_unlock(&m); }

}  // namespace sluice::coord
