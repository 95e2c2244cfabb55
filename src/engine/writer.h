// Writer: group commit on the write connection — led by a waiting caller or by the writer thread.
//
// Leader/follower (Config::caller_commits, as LevelDB's DBImpl::Write and MySQL's binlog group
// commit): a synchronous caller pushes its job and, when no one leads, becomes the leader on its
// own thread, which already holds a CPU: it takes everything queued (its own job and those of
// callers that arrived meanwhile), commits it, wakes the followers, and steps down as soon as
// its own job is done. Callers that find a leader wait for it. Jobs the leader leaves behind,
// and every asynchronous (submit) job, are taken by the writer thread, which leads the same way.
// Exactly one leader at a time (the `leading_` flag); the write connection belongs to it.
// No lost job: a caller pushes, then tries the flag; a leader clears the flag, then looks at the
// queue (both seq_cst) — either the caller becomes leader or the leader sees its job.
//
// A leader's loop: take everything queued (WriteQueue::take_all), and for each run of up to
// max_batch_jobs write jobs:
//   1. fail, unexecuted, every job past its deadline (DeadlineExceeded);
//   2. take the cross-process writer lock (coord/writer_lock.h; the writers of other Sluice
//      processes wait for it in the kernel), then BEGIN IMMEDIATE — on SQLITE_BUSY from a
//      foreign writer (a program without Sluice), jittered exponential backoff until
//      busy_timeout_ms, then the jobs fail with Busy;
//   3. per job: SAVEPOINT, run, RELEASE — or ROLLBACK TO on error, so the job fails alone
//      (a batch of one job skips the savepoint: rolling back the transaction is the same thing);
//   4. COMMIT — on failure nothing is acknowledged and every job of the batch gets the error;
//      an I/O error or corruption at COMMIT leaves the outcome unknown, so the writer refuses all
//      later writes (WritesRefused) until the Database is reopened;
//   5. release the writer lock; publish every job's outcome, wake all sleeping callers with one
//      syscall; update this Database's counters in the side file;
//   6. report the WAL's size to the Checkpointer, which checkpoints on its own thread — or, with
//      commit_autocheckpoint_pages > 0 (a comparison mode), COMMIT itself checkpoints as SQLite
//      does by default.
// Control jobs (explicit checkpoints) run between batches, outside any transaction, under the
// writer lock.
//
// Shutdown (stop()): admission is already closed by the owner; the writer thread drains until the
// queue's admitted count is zero and no caller is inside lead() (WriteQueue::enter/leave), then
// the thread ends. The connection stays open for the owner to run the final checkpoint and close
// it.
//
// A job therefore runs on whichever thread leads: its own caller's, another caller's, or the
// writer thread — never two at once.
//
// Thread-safety: start()/stop() from the owner; lead() from callers between WriteQueue::enter()
// and leave(); the batch state is touched only by the current leader.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "coord/job_ring.h"
#include "coord/process_counters.h"
#include "coord/writer_lock.h"
#include "engine/checkpointer.h"
#include "engine/completion.h"
#include "engine/engine_metrics.h"
#include "engine/ring_jobs.h"
#include "engine/write_queue.h"
#include "sluice/config.h"
#include "sluice/connection.h"

struct sqlite3;

namespace sluice::engine {

class Writer {
 public:
  // `checkpointer` may be null (no WAL, or commit_autocheckpoint_pages > 0); `ring` is null
  // unless coordinate_processes (then every batch also takes the ring's published jobs).
  Writer(Connection& conn, const Config& config, EngineMetrics& metrics, WriteQueue& queue,
         detail::Completion& completion, Checkpointer* checkpointer, coord::WriterLock& lock,
         coord::ProcessCounters& counters, coord::JobRing* ring, const void* owner);
  ~Writer();  // stops; never throws

  void start();
  // Drains what the queue admitted, then joins the thread. Idempotent.
  void stop() noexcept;

  // Caller, after WriteQueue::push_quiet(&own): leads group commit on this thread while no one
  // else leads, until `own` is done; returns at once when another leader runs (it will see
  // `own`). The caller then waits for `own` as usual (detail::wait).
  void lead(detail::Job& own) noexcept;
  // Whether synchronous callers lead (Config::caller_commits, and no commit_delay_us linger:
  // a leader does not linger on a caller's thread).
  bool callers_lead() const noexcept { return callers_lead_; }

  // Submitter of a ring job, after publishing it: true when it must queue a RingDrive, false
  // when a queued drive not yet taken by a leader will see its job (one drive per batch, not
  // per job). A caller that got true and then fails to queue the drive calls drive_not_queued().
  bool claim_drive() noexcept { return !drive_pending_.exchange(true, std::memory_order_seq_cst); }
  void drive_not_queued() noexcept { drive_pending_.store(false, std::memory_order_seq_cst); }

  // True on a thread leading group commit for `owner`, i.e. inside its write jobs (used to refuse
  // re-entrant calls).
  static bool on_writer_thread(const void* owner) noexcept;

  // Set after an error of unknown outcome; then every write fails with WritesRefused.
  bool poisoned() const noexcept { return poisoned_.load(std::memory_order_acquire); }
  std::string poison_reason() const;

 private:
  void run() noexcept;
  bool try_lead() noexcept;   // takes the leader flag; marks this thread as the writer
  void step_down() noexcept;  // clears it; kicks the writer thread when jobs are left
  // Takes and commits what is queued until `own` is done (or, null, until the queue is empty).
  void drain(const detail::Job* own);
  void process(detail::Job* list);
  void run_batch();
  // The job ring (writer_ring.cc). Completes the batch's ring drives (ring_jobs.h) and removes
  // them from it; true if any.
  bool complete_drives() noexcept;
  // After BEGIN: recovers the jobs of a leader that died (JobRing::recover), appends the ring's
  // published jobs to the batch; returns this transaction's batch number (0: took none).
  std::uint64_t begin_ring_batch();
  // Under the writer lock: appends the ring's published jobs to the batch for `batch`, each with
  // outcome `error` (null: to run). Returns how many.
  std::size_t take_ring_jobs(std::uint64_t batch, const std::exception_ptr& error);
  // Before COMMIT: the ring jobs' provisional outcomes into their slots, the batch number into
  // the batch table (the same transaction).
  void seal_ring_batch();
  // Under the writer lock, after the transaction: publishes the ring jobs' outcomes and takes
  // them out of the batch. True when the batch had ring jobs.
  bool finish_ring() noexcept;
  // BEGIN IMMEDIATE ... COMMIT of the live jobs of the batch, under the writer lock.
  void run_transaction();
  void lock_writer();  // throws Error(Busy) after busy_timeout_ms
  void unlock_writer() noexcept;
  void publish_counters() noexcept;
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
  // run_batch, failing the whole batch with Internal (and refusing later writes) if anything
  // unexpected escapes it, so that no caller is left waiting and no exception leaves the thread.
  void run_batch_guarded() noexcept;
  // Rolls back, poisons the writer with `what`, fails every job of the batch with Internal.
  void fail_batch_internal(const char* what) noexcept;
  void run_control(detail::Job& job) noexcept;
  // BEGIN IMMEDIATE with busy backoff. Throws Error(Busy) after busy_timeout_ms.
  void begin_immediate();
  void commit();
  void rollback() noexcept;
  // Runs one job; returns its error (null on success).
  std::exception_ptr run_job(detail::Job& job, bool savepoint);
  void fail_all(const std::exception_ptr& error);
  void finish_batch();
  void poison(const std::string& reason) noexcept;
  void backoff_sleep(std::int64_t& delay_us, std::int64_t deadline_ns);

  // Constant after construction.
  Connection& conn_;
  const Config config_;
  EngineMetrics& metrics_;
  WriteQueue& queue_;
  detail::Completion& completion_;
  Checkpointer* checkpointer_;
  coord::WriterLock& lock_;
  coord::ProcessCounters& counters_;
  coord::JobRing* ring_;
  const void* owner_;
  const bool callers_lead_;

  // The leader's state (one leader at a time: leading_).
  std::atomic<bool> leading_{false};
  const void* outer_owner_ = nullptr;             // the leading thread's tl owner before it led
  std::vector<detail::Job*> batch_;               // current batch (capacity max_batch_jobs)
  std::vector<std::exception_ptr> outcome_;       // per batch slot; null = ok
  std::minstd_rand rng_{std::random_device{}()};  // backoff jitter
  bool lock_held_ = false;
  std::unique_ptr<RingJob[]> ring_jobs_;  // max_batch_jobs, reused by every batch
  std::vector<int> ring_taken_;           // slots taken for the current batch
  std::uint64_t ring_batch_ = 0;          // the current transaction's batch number (0: none)
  std::vector<int> ring_done_;            // slots whose outcome finish_batch publishes

  // A RingDrive is queued and no leader has taken it yet (claim_drive).
  std::atomic<bool> drive_pending_{false};

  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> poisoned_{false};
  mutable std::mutex poison_mu_;
  std::string poison_reason_;  // guarded by poison_mu_
};

}  // namespace sluice::engine
