// Completion: how the writer tells callers their jobs are done — in bulk.
//
// A caller waits for its own Job::done word. It first spins briefly (only one caller spins at a
// time, so spinning never starves the writer on a small machine), then registers as a sleeper and
// sleeps on the shared `epoch_` futex. After a batch the writer stores done = 1 into every job,
// then, only if anyone sleeps, bumps the epoch and wakes all sleepers with ONE futex call —
// instead of one wake-up syscall per job. A sleeper whose job is not done yet (it belongs to the
// next batch) simply goes back to sleep.
//
// Why a spin at all: for a lone caller, the writer's batch takes ~20–30 µs; sleeping and being
// woken costs two context switches (~10 µs here) on top. One spinner recovers that, and with
// many callers the others sleep.
//
// Thread-safety: wait()/wait_for() from any threads; publish()/wake_all() from the writer.
#pragma once

#include <atomic>
#include <cstdint>

#include "sluice/detail/job.h"

namespace sluice::detail {

class Completion {
 public:
  // Spin budget of a waiting caller before it sleeps (ns). Source: design (one batch of a lone
  // caller takes ~20–30 µs on the development machine).
  static constexpr std::int64_t kSpinNs = 50'000;

  // Writer: marks one job done (its result/error already written). Does not wake anyone.
  static void publish(Job& job) noexcept { job.done.store(1, std::memory_order_seq_cst); }
  // Writer: wakes every sleeping waiter (one syscall) if any sleeps.
  void wake_all() noexcept;

  // Caller: blocks until job.done; until timeout_ns have passed when timeout_ns >= 0.
  // Returns true when done.
  bool wait(Job& job, std::int64_t timeout_ns) noexcept;

  std::uint32_t sleepers() const noexcept { return sleepers_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<std::uint32_t> epoch_{0};
  alignas(64) std::atomic<std::uint32_t> sleepers_{0};
  alignas(64) std::atomic<std::uint32_t> spinners_{0};
};

}  // namespace sluice::detail
