// Crash points: places in the write path where a test can make the process die, to prove that
// a crash at that exact moment loses no acknowledged write (tests/reliability/crashtest), or
// make the writer thread meet an exception no job threw (std::bad_alloc), to prove that such a
// batch is never acknowledged and writes stop (tests/engine/writer_internal_error_test.cc).
//
// Disarmed (the default, and always outside tests) a point costs one relaxed atomic load.
// Armed, the Nth hit of the chosen point either SIGKILLs the whole process — no destructors, no
// unlocking, exactly as `kill -9` would at that instruction — or throws std::bad_alloc there.
//
// Two more test-only hooks live here, each one relaxed atomic load when unused:
//  * the ack barrier: with one installed, the writer counts every job it tells "ok"
//    (count_ack), and a kill first calls the barrier with that count, so the test can wait there
//    until its clients have logged that many acks. A caller woken too early (before its COMMIT)
//    then has its ack on record when the process dies, and the oracle finds the acked write
//    lost; without the barrier the SIGKILL lands microseconds after the wake, before any caller
//    could log.
//  * sabotage: a deliberately broken writer (Sabotage::AckBeforeCommit tells the batch's
//    callers "ok" before COMMIT), to prove that the reliability suite catches the bug.
//
// Thread-safety: arm() and set_sabotage() while no write is in flight; set_ack_barrier() before
// the first write; crash_point(), count_ack() and acks_published() from any thread.
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
  // The shared job ring (a leader running other processes' jobs):
  RingTaken,       // inside the transaction, right after taking the ring's published jobs
  RingPublishing,  // COMMIT returned, half of the ring jobs' outcomes published
};

// What the Nth hit does.
enum class CrashAction {
  Kill,           // SIGKILL the process
  ThrowBadAlloc,  // throw std::bad_alloc on the writer thread
};

std::string_view to_string(CrashPoint p) noexcept;
// "before-begin", "mid-batch", "before-commit", "after-commit", "ring-taken", "ring-publishing"
// → the point; nullopt otherwise.
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

// Called with the number of jobs the writer has told "ok" so far; returns when the test's
// clients have logged that many acks (or it gives up).
using AckBarrier = void (*)(std::uint64_t acks_published);
// Installs `barrier` (nullptr: none) and starts counting acks from zero.
void set_ack_barrier(AckBarrier barrier) noexcept;
// Runs the installed barrier, if any, with acks_published(). Kills call it first.
void run_ack_barrier();
// Jobs told "ok" since set_ack_barrier (0 without a barrier).
std::uint64_t acks_published() noexcept;

extern std::atomic<bool> g_ack_counting;
extern std::atomic<std::uint64_t> g_acks_published;
// The writer calls this just before it tells a job "ok".
inline void count_ack() noexcept {
  if (g_ack_counting.load(std::memory_order_relaxed)) {
    g_acks_published.fetch_add(1, std::memory_order_seq_cst);
  }
}

enum class Sabotage {
  None,
  AckBeforeCommit,  // the writer tells a batch's callers "ok" before it issues COMMIT
};
extern std::atomic<Sabotage> g_sabotage;
void set_sabotage(Sabotage s) noexcept;
inline bool sabotaged(Sabotage s) noexcept {
  return g_sabotage.load(std::memory_order_relaxed) == s;
}

}  // namespace sluice::engine
