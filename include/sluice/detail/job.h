// Internal: the write job as the queue and the writer thread see it. Public only because the
// Database::write/submit templates build jobs in the caller's frame; not part of the API.
//
// A synchronous write() keeps its Job on the caller's stack (no heap allocation per write);
// submit() allocates one shared state that holds the Job, the callable and the result.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace sluice {

class Transaction;

namespace detail {

class Completion;  // how the writer wakes waiters; defined by the engine

struct Job {
  using RunFn = void (*)(Job*, Transaction&);

  Job* next = nullptr;           // intrusive link in the write queue (owned by the queue)
  RunFn run = nullptr;           // runs the callable; may throw
  std::exception_ptr error;      // set by the writer when the job failed (never with done == 0)
  std::int64_t enqueued_ns = 0;  // steady_clock, set at submission
  std::int64_t deadline_ns = 0;  // steady_clock; the job never starts after this
  Completion* completion = nullptr;
  // A control job (e.g. an explicit checkpoint) runs between batches, outside any transaction.
  bool control = false;
  // For submit(): keeps the shared state alive until the writer has completed the job.
  std::shared_ptr<void> keepalive;
  // 0 = pending, 1 = done (result or error published with release ordering).
  std::atomic<std::uint32_t> done{0};
};

// Blocks until job.done (spinning briefly, then sleeping in the kernel until the writer's bulk
// wake-up). Never throws.
void wait(Job& job) noexcept;
// Records, for the calling thread, that one of its writes was acknowledged: a pooled read that
// follows on this thread never reuses a snapshot older than that write (read-your-writes with
// ReadOptions::max_staleness). Called by Database::write/execute and Pending::get.
void note_write_acked() noexcept;
// As wait(), for at most `timeout`; true when done.
bool wait_for(Job& job, std::chrono::nanoseconds timeout) noexcept;

template <class R>
using Slot = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

template <class F, class R>
void store_result(std::optional<Slot<R>>& out, F& fn, Transaction& tx) {
  if constexpr (std::is_void_v<R>) {
    fn(tx);
    out.emplace();
  } else {
    out.emplace(fn(tx));
  }
}

// A synchronous job: lives on the caller's stack, borrows the callable.
template <class F, class R>
struct CallJob final : Job {
  explicit CallJob(F& f) : fn(f) { run = &invoke; }
  static void invoke(Job* j, Transaction& tx) {
    auto* self = static_cast<CallJob*>(j);
    store_result<F, R>(self->result, self->fn, tx);
  }
  F& fn;
  std::optional<Slot<R>> result;
};

// The shared state of submit(): the result slot; AsyncJob adds the callable.
template <class R>
struct AsyncState : Job {
  std::optional<Slot<R>> result;
};

template <class F, class R>
struct AsyncJob final : AsyncState<R> {
  explicit AsyncJob(F&& f) : fn(std::move(f)) { this->run = &invoke; }
  static void invoke(Job* j, Transaction& tx) {
    auto* self = static_cast<AsyncJob*>(j);
    store_result<F, R>(self->result, self->fn, tx);
  }
  F fn;
};

}  // namespace detail
}  // namespace sluice
