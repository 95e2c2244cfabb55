// Crash points: places in the write path where a test can make the process die, to prove that
// a crash at that exact moment loses no acknowledged write (tests/reliability/crashtest), or
// make the writer thread meet an exception no job threw (std::bad_alloc), to prove that such a
// batch is never acknowledged and writes stop (tests/engine/writer_internal_error_test.cc).
//
// Disarmed (the default, and always outside tests) a point costs one relaxed atomic load.
// Armed, the Nth hit of the chosen point either SIGKILLs the whole process — no destructors, no
// unlocking, exactly as `kill -9` would at that instruction — or throws std::bad_alloc there.
//
// Thread-safety: arm() while no write is in flight; crash_point() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::engine {

enum class CrashPoint {
  BeforeBegin,           // the writer holds the batch, before BEGIN IMMEDIATE
  MidBatch,              // inside the transaction, after half of the batch's jobs ran
  BeforeCommit,          // every job ran, COMMIT not yet issued
  AfterCommitBeforeAck,  // COMMIT returned, no caller told yet
};

// What the Nth hit does.
enum class CrashAction {
  Kill,           // SIGKILL the process
  ThrowBadAlloc,  // throw std::bad_alloc on the writer thread
};

std::string_view to_string(CrashPoint p) noexcept;
// "before-begin", "mid-batch", "before-commit", "after-commit" → the point; nullopt otherwise.
std::optional<CrashPoint> crash_point_from_string(std::string_view name) noexcept;

// Internal: the armed flag and the slow path.
extern std::atomic<bool> g_crash_points_armed;
void crash_point_hit(CrashPoint p);

// Arms `p`: its `nth` hit (1-based) from now does `action`, once. nth = 0 disarms.
void arm_crash_point(CrashPoint p, std::uint64_t nth,
                     CrashAction action = CrashAction::Kill) noexcept;

// Throws std::bad_alloc only when armed so.
inline void crash_point(CrashPoint p) {
  if (g_crash_points_armed.load(std::memory_order_relaxed)) crash_point_hit(p);
}

}  // namespace sluice::engine
