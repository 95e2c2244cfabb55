// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with the annotations of
// engine/thread_annotations.h, so that clang checks which members each mutex guards (libstdc++'s
// std::mutex carries none). Same cost as the std types they wrap.
//
// Thread-safety: as std::mutex / std::condition_variable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "engine/thread_annotations.h"

namespace sluice::engine {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A condition variable. Every wait names the Mutex it releases while waiting, which the caller
// holds (and holds again on return); use one Mutex per CondVar.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Waits until `ready()` is true.
  template <class Pred>
  void wait(Mutex& mu, Pred ready) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock, ready);
    lock.release();
  }
  // Waits until `ready()` is true or `deadline` passes; returns ready().
  template <class Clock, class Duration, class Pred>
  bool wait_until(Mutex& mu, const std::chrono::time_point<Clock, Duration>& deadline, Pred ready)
      REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    const bool got = cv_.wait_until(lock, deadline, ready);
    lock.release();
    return got;
  }
  void notify_one() noexcept { cv_.notify_one(); }
  void notify_all() noexcept { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace sluice::engine
