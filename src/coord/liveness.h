// Liveness: whether a process that attached to a side file is still the same running process.
//
// A pid alone is not enough: pids are reused. Each attachment records the process's start time
// (field 22 of /proc/<pid>/stat, clock ticks since boot), which a reused pid cannot repeat.
//
// Thread-safety: free functions over /proc; safe from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace sluice::coord {

// The start time of `pid` in clock ticks since boot, or 0 when no such process exists.
std::uint64_t process_start_ticks(pid_t pid) noexcept;

// True when `pid` runs and started at `start_ticks` (0 = do not compare start times).
bool process_alive(pid_t pid, std::uint64_t start_ticks) noexcept;

}  // namespace sluice::coord
