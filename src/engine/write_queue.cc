#include "engine/write_queue.h"

#include <chrono>

#include "engine/clock.h"
#include "engine/futex.h"

namespace sluice::engine {

bool WriteQueue::try_reserve() noexcept {
  if (depth_.fetch_add(1, std::memory_order_seq_cst) < capacity_) return true;
  depth_.fetch_sub(1, std::memory_order_seq_cst);
  return false;
}

bool WriteQueue::reserve_within(std::int64_t timeout_ns) noexcept {
  if (try_reserve()) return true;
  if (timeout_ns <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  std::unique_lock lock(space_mu_);
  space_waiters_.fetch_add(1, std::memory_order_seq_cst);
  bool ok = space_cv_.wait_until(lock, deadline, [&] { return try_reserve(); });
  space_waiters_.fetch_sub(1, std::memory_order_relaxed);
  return ok;
}

void WriteQueue::unreserve() noexcept {
  depth_.fetch_sub(1, std::memory_order_seq_cst);
  wake();  // a closing writer waits for depth to reach zero
}

void WriteQueue::push(detail::Job* job) noexcept {
  push_quiet(job);
  if (state_.load(std::memory_order_seq_cst) == kSleeping &&
      state_.exchange(kRunning, std::memory_order_seq_cst) == kSleeping) {
    futex::wake(state_, 1);
  }
}

void WriteQueue::push_quiet(detail::Job* job) noexcept {
  detail::Job* head = head_.load(std::memory_order_relaxed);
  do {
    job->next = head;
  } while (!head_.compare_exchange_weak(head, job, std::memory_order_seq_cst,
                                        std::memory_order_relaxed));
}

void WriteQueue::leave() noexcept {
  // Pairs with set_draining(): either we see it and wake the stopping writer, or the writer sees
  // callers_ at zero.
  if (callers_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
      draining_.load(std::memory_order_seq_cst)) {
    wake();
  }
}

void WriteQueue::wait_for_kick(std::int64_t timeout_ns) noexcept {
  state_.store(kSleeping, std::memory_order_seq_cst);
  if (kicked_.exchange(0, std::memory_order_seq_cst) == 0) {
    futex::wait(state_, kSleeping, timeout_ns);
  }
  state_.store(kRunning, std::memory_order_relaxed);
}

void WriteQueue::wake() noexcept {
  kicked_.store(1, std::memory_order_seq_cst);
  if (state_.exchange(kRunning, std::memory_order_seq_cst) == kSleeping) futex::wake(state_, 1);
}

detail::Job* WriteQueue::take_all() noexcept {
  detail::Job* list = head_.exchange(nullptr, std::memory_order_acquire);
  // The stack holds newest first; reverse into arrival order.
  detail::Job* fifo = nullptr;
  while (list != nullptr) {
    detail::Job* next = list->next;
    list->next = fifo;
    fifo = list;
    list = next;
  }
  return fifo;
}

void WriteQueue::release(std::uint64_t n) noexcept {
  depth_.fetch_sub(n, std::memory_order_seq_cst);
  if (space_waiters_.load(std::memory_order_seq_cst) != 0) {
    std::lock_guard lock(space_mu_);
    space_cv_.notify_all();
  }
}

void WriteQueue::wait_for_work(std::int64_t timeout_ns, std::int64_t spin_ns) noexcept {
  if (spin_ns > 0) {
    const std::int64_t until = now_ns() + spin_ns;
    int i = 0;
    while (head_.load(std::memory_order_acquire) == nullptr) {
      futex::cpu_relax();
      if ((++i & 63) == 0 && now_ns() >= until) break;
    }
  }
  if (head_.load(std::memory_order_acquire) != nullptr) return;
  state_.store(kSleeping, std::memory_order_seq_cst);
  if (head_.load(std::memory_order_seq_cst) == nullptr &&
      kicked_.exchange(0, std::memory_order_seq_cst) == 0) {
    futex::wait(state_, kSleeping, timeout_ns);
  }
  state_.store(kRunning, std::memory_order_relaxed);
}

}  // namespace sluice::engine
