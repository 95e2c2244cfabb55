// WriteQueue: the bounded hand-off from many producer threads to the one writer thread.
//
// An intrusive lock-free MPSC list (a Treiber stack): push() is one CAS on `head_` with the job
// node the caller already owns (no allocation, no lock); the writer takes the whole list with one
// exchange and reverses it into arrival order. The bound is an atomic count of jobs admitted and
// not yet taken (`depth_`), so a full queue is detected with one fetch_add and answered at once.
//
// The writer sleeps on the `state_` futex only after finding the list empty; a producer that
// pushes onto an empty list wakes it — so a busy writer costs producers no syscall at all.
// Memory ordering: push (seq_cst CAS) then load state_, against the writer's store state_ then
// load head_ (both seq_cst): one of the two always sees the other (Dekker), so no lost wake-up.
//
// Thread-safety: reserve/unreserve/push/wake from any thread; take_all/release/wait_for_work
// from the writer thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "sluice/detail/job.h"

namespace sluice::engine {

class WriteQueue {
 public:
  explicit WriteQueue(std::uint64_t capacity) noexcept : capacity_(capacity) {}

  // Admission: takes one slot; false (and nothing changed) when `capacity` jobs are waiting.
  bool try_reserve() noexcept;
  // As try_reserve, waiting up to timeout_ns for the writer to take jobs. Never throws.
  bool reserve_within(std::int64_t timeout_ns) noexcept;
  // Gives a reserved slot back without pushing (e.g. the database was closing).
  void unreserve() noexcept;
  // Appends a job whose slot was reserved; wakes the writer if it sleeps.
  void push(detail::Job* job) noexcept;
  // Appends a job whose slot was reserved without waking the writer: the caller will lead the
  // group commit itself (Writer::lead) or leave it to the leader that runs.
  void push_quiet(detail::Job* job) noexcept;
  // Whether a pushed job is waiting to be taken (seq_cst: leaders pair it with their flag).
  bool has_jobs() const noexcept { return head_.load(std::memory_order_seq_cst) != nullptr; }
  // A caller about to push and lead holds the writer alive until leave(): the writer thread does
  // not end while any caller is inside (see Writer::stop).
  void enter() noexcept { callers_.fetch_add(1, std::memory_order_seq_cst); }
  void leave() noexcept;
  std::uint64_t callers_inside() const noexcept { return callers_.load(std::memory_order_seq_cst); }
  // Writer::stop(): from now on the last caller to leave() wakes the writer.
  void set_draining() noexcept { draining_.store(true, std::memory_order_seq_cst); }
  // Wakes the writer (close, control requests).
  void wake() noexcept;

  // Writer: everything pushed so far, oldest first (nullptr when empty). The slots stay counted
  // until release(n).
  detail::Job* take_all() noexcept;
  // Writer: frees n slots after taking n jobs; wakes producers waiting for space.
  void release(std::uint64_t n) noexcept;
  // Writer: returns when a job may be there, after wake(), or after timeout_ns.
  // Spins for spin_ns first (0 = no spin).
  void wait_for_work(std::int64_t timeout_ns, std::int64_t spin_ns) noexcept;
  // Writer: returns after wake() (or a push that finds the writer asleep), or after timeout_ns,
  // whether or not jobs are queued: used while a caller leads and holds the queued jobs' fate.
  void wait_for_kick(std::int64_t timeout_ns) noexcept;

  std::uint64_t depth() const noexcept { return depth_.load(std::memory_order_seq_cst); }
  // Producers inside reserve_within() waiting for space now (Stats::enqueue_waiters).
  std::uint32_t space_waiters() const noexcept {
    return space_waiters_.load(std::memory_order_relaxed);
  }

 private:
  enum : std::uint32_t { kRunning = 0, kSleeping = 1 };

  const std::uint64_t capacity_;
  alignas(64) std::atomic<detail::Job*> head_{nullptr};
  alignas(64) std::atomic<std::uint64_t> depth_{0};
  alignas(64) std::atomic<std::uint32_t> state_{kRunning};
  std::atomic<std::uint32_t> kicked_{0};               // wake() since the writer last slept
  alignas(64) std::atomic<std::uint64_t> callers_{0};  // callers between enter() and leave()
  std::atomic<bool> draining_{false};

  // Slow path only: producers waiting for space (enqueue_timeout_ms > 0).
  std::atomic<std::uint32_t> space_waiters_{0};
  std::mutex space_mu_;
  std::condition_variable space_cv_;
};

}  // namespace sluice::engine
