#include "engine/crash_points.h"

#include <signal.h>

#include <new>

namespace sluice::engine {
namespace {

constexpr std::string_view kNames[] = {"before-begin", "mid-batch",  "before-commit",
                                       "after-commit", "ring-taken", "ring-publishing"};

std::atomic<int> g_point{0};
std::atomic<std::uint64_t> g_left{0};
std::atomic<CrashAction> g_action{CrashAction::Kill};
std::atomic<AckBarrier> g_barrier{nullptr};

}  // namespace

std::atomic<bool> g_crash_points_armed{false};
std::atomic<bool> g_ack_counting{false};
std::atomic<std::uint64_t> g_acks_published{0};
std::atomic<Sabotage> g_sabotage{Sabotage::None};

void crash_point_hit(CrashPoint p) {
  if (static_cast<int>(p) != g_point.load(std::memory_order_relaxed)) return;
  if (g_left.fetch_sub(1, std::memory_order_relaxed) != 1) return;
  g_crash_points_armed.store(false, std::memory_order_relaxed);  // once
  if (g_action.load(std::memory_order_relaxed) == CrashAction::Kill) {
    run_ack_barrier();
    ::raise(SIGKILL);
  }
  throw std::bad_alloc();
}

void set_ack_barrier(AckBarrier barrier) noexcept {
  g_acks_published.store(0, std::memory_order_seq_cst);
  g_barrier.store(barrier, std::memory_order_seq_cst);
  g_ack_counting.store(barrier != nullptr, std::memory_order_seq_cst);
}

void run_ack_barrier() {
  if (AckBarrier barrier = g_barrier.load(std::memory_order_seq_cst)) barrier(acks_published());
}

std::uint64_t acks_published() noexcept { return g_acks_published.load(std::memory_order_seq_cst); }

void set_sabotage(Sabotage s) noexcept { g_sabotage.store(s, std::memory_order_seq_cst); }

std::string_view to_string(CrashPoint p) noexcept { return kNames[static_cast<int>(p)]; }

std::optional<CrashPoint> crash_point_from_string(std::string_view name) noexcept {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i) {
    if (kNames[i] == name) return static_cast<CrashPoint>(i);
  }
  return std::nullopt;
}

void arm_crash_point(CrashPoint p, std::uint64_t nth, CrashAction action) noexcept {
  g_point.store(static_cast<int>(p), std::memory_order_relaxed);
  g_action.store(action, std::memory_order_relaxed);
  g_left.store(nth, std::memory_order_relaxed);
  g_crash_points_armed.store(nth > 0, std::memory_order_release);
}

}  // namespace sluice::engine
