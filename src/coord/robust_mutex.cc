#include "coord/robust_mutex.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "sluice/error.h"

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
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
    rc = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts);
    if (rc == ETIMEDOUT) return LockResult::TimedOut;
  }
  if (rc == 0) return LockResult::Acquired;
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(&m);
    return LockResult::AcquiredOwnerDied;
  }
  fail("cannot lock the process-shared mutex", rc);
}

void unlock_robust_mutex(pthread_mutex_t& m) noexcept { pthread_mutex_unlock(&m); }

}  // namespace sluice::coord
