// Futex: sleeping in the kernel on a 32-bit atomic word until another thread changes it.
//
// Why not std::atomic::wait? It has no timeout (every wait in Sluice has a deadline) and
// libstdc++ 12 spins and sched_yield()s before sleeping, which on a 2-core machine with dozens of
// waiters steals the CPU the writer needs. These two calls are all the engine uses.
//
// The futex is only the sleeping part: every waiter re-checks its condition through the atomic
// (acquire) after waking, so spurious wake-ups are harmless and ThreadSanitizer sees the real
// synchronisation through the atomics.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice::engine::futex {

// Sleeps while word == expected, for at most timeout_ns (< 0 = no limit). Returns at once if the
// word already differs. Returns false only when the timeout passed. Never throws.
bool wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
          std::int64_t timeout_ns) noexcept;

// Wakes up to `count` threads sleeping on word (INT32_MAX for all).
void wake(std::atomic<std::uint32_t>& word, int count) noexcept;

// The same for a word in memory shared between processes (a MAP_SHARED file mapping): the
// kernel then keys the wait on the file and offset instead of this process's address space.
bool wait_shared(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                 std::int64_t timeout_ns) noexcept;
void wake_shared(std::atomic<std::uint32_t>& word, int count) noexcept;

// A pause hint for spin loops (the x86 PAUSE instruction).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace sluice::engine::futex
