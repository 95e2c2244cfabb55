// The clients' side of the engine's ack barrier (engine/crash_points.h): before a kill or a
// simulated outage, wait until every ack Sluice gave has been logged by its caller, so that an
// ack given too early is on record when the process dies.
//
// Each client thread wraps a write in `InWrite` and calls `logged()` right after logging the
// ack. `wait_for_acks` is the barrier (install it with engine::set_ack_barrier).
//
// With caller-led group commit the barrier may run on a client thread that leads the commit;
// its own ack, if already given, cannot be logged before it returns, so it waits for one ack
// fewer. (If its own job was not told yet, this waits for one fewer than it could: it may miss
// one correct, durable ack of an earlier batch — never report a false loss.)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace sluice::testing {

inline std::atomic<std::uint64_t> g_acks_logged{0};
inline thread_local bool tl_in_write = false;

// Marks the calling thread as waiting for its write's ack, for the scope.
struct InWrite {
  InWrite() { tl_in_write = true; }
  ~InWrite() { tl_in_write = false; }
  InWrite(const InWrite&) = delete;
  InWrite& operator=(const InWrite&) = delete;
};

// The caller has logged one ack.
inline void logged() { g_acks_logged.fetch_add(1); }

// Waits until `published` acks are logged (one fewer on a writing client thread), 2 s at most:
// the kill or outage must still come.
inline void wait_for_acks(std::uint64_t published) {
  const std::uint64_t needed = published - (tl_in_write && published > 0 ? 1 : 0);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (g_acks_logged.load() < needed && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  if (g_acks_logged.load() < needed) std::fprintf(stderr, "ack barrier timed out\n");
}

}  // namespace sluice::testing
