#include "engine/crash_points.h"

#include <signal.h>

#include <new>

namespace sluice::engine {
namespace {

constexpr std::string_view kNames[] = {"before-begin", "mid-batch", "before-commit",
                                       "after-commit"};

std::atomic<int> g_point{0};
std::atomic<std::uint64_t> g_left{0};
std::atomic<CrashAction> g_action{CrashAction::Kill};

}  // namespace

std::atomic<bool> g_crash_points_armed{false};

void crash_point_hit(CrashPoint p) {
  if (static_cast<int>(p) != g_point.load(std::memory_order_relaxed)) return;
  if (g_left.fetch_sub(1, std::memory_order_relaxed) != 1) return;
  g_crash_points_armed.store(false, std::memory_order_relaxed);  // once
  if (g_action.load(std::memory_order_relaxed) == CrashAction::Kill) ::raise(SIGKILL);
  throw std::bad_alloc();
}

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
