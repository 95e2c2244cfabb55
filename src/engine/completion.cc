#include "engine/completion.h"

#include <climits>

#include "engine/clock.h"
#include "engine/futex.h"

namespace sluice::detail {

using engine::now_ns;

void Completion::wake_all() noexcept {
  // Pairs with the sleeper's sleepers_++ then done-check (both seq_cst): either we see the
  // sleeper here, or it sees its done flag and never sleeps.
  if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  engine::futex::wake(epoch_, INT_MAX);
}

bool Completion::wait(Job& job, std::int64_t timeout_ns) noexcept {
  if (job.done.load(std::memory_order_acquire) != 0) return true;
  const std::int64_t start = now_ns();
  const std::int64_t deadline = timeout_ns >= 0 ? start + timeout_ns : INT64_MAX;

  // Spin phase: only under light load (nobody sleeps yet) and only one spinner at a time.
  if (sleepers_.load(std::memory_order_relaxed) == 0) {
    if (spinners_.fetch_add(1, std::memory_order_relaxed) == 0) {
      const std::int64_t spin_until = std::min(deadline, start + kSpinNs);
      int i = 0;
      while (job.done.load(std::memory_order_acquire) == 0) {
        engine::futex::cpu_relax();
        if ((++i & 63) == 0 && now_ns() >= spin_until) break;
      }
    }
    spinners_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Sleep phase.
  while (job.done.load(std::memory_order_acquire) == 0) {
    std::int64_t left = deadline == INT64_MAX ? -1 : deadline - now_ns();
    if (deadline != INT64_MAX && left <= 0) return false;
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    std::uint32_t e = epoch_.load(std::memory_order_seq_cst);
    if (job.done.load(std::memory_order_seq_cst) == 0) engine::futex::wait(epoch_, e, left);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  return true;
}

// The done check comes first: a finished job's Database may already be gone.
void wait(Job& job) noexcept {
  if (job.done.load(std::memory_order_acquire) != 0) return;
  job.completion->wait(job, -1);
}

bool wait_for(Job& job, std::chrono::nanoseconds timeout) noexcept {
  if (job.done.load(std::memory_order_acquire) != 0) return true;
  return job.completion->wait(job, timeout.count() < 0 ? 0 : timeout.count());
}

}  // namespace sluice::detail
