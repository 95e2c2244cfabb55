// The test side of the engine's ack barrier (src/engine/crash_points.h): callers count the acks
// they have logged in acks_logged(); wait_for_acks(n) — installed with
// engine::set_ack_barrier — returns once n are logged, or after 2 s (a caller that never logs is
// a test bug, and the kill or outage must still happen).
//
// Thread-safety: lock-free; one counter per process.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace sluice::testing {

inline std::atomic<std::uint64_t>& acks_logged() {
  static std::atomic<std::uint64_t> logged{0};
  return logged;
}

inline void wait_for_acks(std::uint64_t published) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (acks_logged().load() < published && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  if (acks_logged().load() < published) std::fprintf(stderr, "ack barrier timed out\n");
}

}  // namespace sluice::testing
