#include "coord/writer_lock.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "coord/robust_mutex.h"
#include "coord/side_file_layout.h"
#include "engine/clock.h"
#include "engine/futex.h"
#include "sluice/error.h"

namespace sluice::coord {

std::int64_t WriterLock::acquire(std::int64_t deadline_ns, const std::string& db_path) {
  SideLayout& l = side_.layout();
  if (l.tail_waiting.load(std::memory_order_acquire) != 0) {
    const std::int64_t start = engine::now_ns();
    const std::int64_t until =
        std::min(deadline_ns, start + std::int64_t{kYieldToTailMs} * 1'000'000);
    for (std::int64_t now = start;
         l.tail_waiting.load(std::memory_order_acquire) != 0 && now < until;
         now = engine::now_ns()) {
      engine::futex::wait_shared(l.tail_waiting, 1, until - now);
    }
    const std::int64_t waited = engine::now_ns() - start;
    return waited + lock(deadline_ns, db_path);
  }
  return lock(deadline_ns, db_path);
}

std::int64_t WriterLock::lock(std::int64_t deadline_ns, const std::string& db_path) {
  SideLayout& l = side_.layout();
  const std::int64_t start = engine::now_ns();
  LockResult r = lock_robust_mutex(l.writer_lock, 0);
  if (r == LockResult::TimedOut) {
    l.lock_waiters.fetch_add(1, std::memory_order_relaxed);
    try {
      r = lock_robust_mutex(l.writer_lock, std::max<std::int64_t>(deadline_ns, 1));
      if (r == LockResult::TimedOut && l.holder_is_tail.load(std::memory_order_acquire) != 0) {
        // A checkpointer's tail holds it (bounded work; its fsync may be slow): once more.
        r = lock_robust_mutex(l.writer_lock, engine::now_ns() + (deadline_ns - start));
      }
    } catch (...) {
      l.lock_waiters.fetch_sub(1, std::memory_order_relaxed);
      throw;
    }
    l.lock_waiters.fetch_sub(1, std::memory_order_relaxed);
  }
  if (r == LockResult::TimedOut) {
    throw Error(ErrorCode::Busy, "another Sluice process (pid " +
                                     std::to_string(l.writer_pid.load(std::memory_order_relaxed)) +
                                     ") held the writer lock of '" + db_path +
                                     "' past busy_timeout_ms");
  }
  if (r == LockResult::AcquiredOwnerDied) {
    ++recoveries_;
    l.lock_recoveries.fetch_add(1, std::memory_order_relaxed);
  }
  l.writer_pid.store(getpid(), std::memory_order_relaxed);
  const std::int64_t waited = engine::now_ns() - start;
  if (ProcessSlot* s = side_.slot()) {
    const auto us = static_cast<std::uint64_t>(waited / 1000);
    s->lock_acquisitions.fetch_add(1, std::memory_order_relaxed);
    s->lock_wait_us_total.fetch_add(us, std::memory_order_relaxed);
    if (us > s->lock_wait_us_max.load(std::memory_order_relaxed)) {
      s->lock_wait_us_max.store(us, std::memory_order_relaxed);
    }
  }
  return waited;
}

std::int64_t WriterLock::acquire_for_tail(std::int64_t deadline_ns, const std::string& db_path) {
  SideLayout& l = side_.layout();
  l.tail_waiting.store(1, std::memory_order_release);
  auto let_writers_on = [&] {
    l.tail_waiting.store(0, std::memory_order_release);
    engine::futex::wake_shared(l.tail_waiting, INT_MAX);
  };
  std::int64_t waited = 0;
  try {
    waited = lock(deadline_ns, db_path);
  } catch (...) {
    let_writers_on();
    throw;
  }
  l.holder_is_tail.store(1, std::memory_order_release);
  let_writers_on();
  return waited;
}

void WriterLock::release() noexcept {
  side_.layout().holder_is_tail.store(0, std::memory_order_release);
  side_.layout().writer_pid.store(0, std::memory_order_relaxed);
  unlock_robust_mutex(side_.layout().writer_lock);
}

}  // namespace sluice::coord
