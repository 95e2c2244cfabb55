#include "coord/fork_guard.h"

#include <pthread.h>

#include <atomic>

namespace sluice::coord {
namespace {

std::atomic<std::uint64_t> g_generation{0};

void on_fork_child() noexcept { g_generation.fetch_add(1, std::memory_order_relaxed); }

// Registered when the library loads, before any Database can exist.
[[maybe_unused]] const int g_registered = pthread_atfork(nullptr, nullptr, &on_fork_child);

}  // namespace

std::uint64_t fork_generation() noexcept { return g_generation.load(std::memory_order_relaxed); }

}  // namespace sluice::coord
