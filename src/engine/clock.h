// Monotonic time in nanoseconds, the one clock of the engine (std::chrono::steady_clock, which
// is CLOCK_MONOTONIC through the vDSO on Linux: ~20 ns a call, no syscall).
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice::engine {

inline std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline std::uint64_t micros_between(std::int64_t from_ns, std::int64_t to_ns) noexcept {
  return to_ns > from_ns ? static_cast<std::uint64_t>(to_ns - from_ns) / 1000 : 0;
}

}  // namespace sluice::engine
