#include "engine/writer.h"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "engine/checkpoint.h"
#include "engine/clock.h"
#include "engine/crash_points.h"
#include "engine/snapshot_epoch.h"
#include "sluice/transaction.h"

namespace sluice::engine {
namespace {

thread_local const void* tl_writer_owner = nullptr;

constexpr std::string_view kBegin = "BEGIN IMMEDIATE";
constexpr std::string_view kCommit = "COMMIT";
constexpr std::string_view kRollback = "ROLLBACK";
constexpr std::string_view kSavepoint = "SAVEPOINT sluice_job";
constexpr std::string_view kRelease = "RELEASE sluice_job";
constexpr std::string_view kRollbackTo = "ROLLBACK TO sluice_job";

// How long an idle writer sleeps before looking around (ms); it is woken at once by a push.
constexpr std::int64_t kIdleWaitNs = 100'000'000;
// How long the writer spins for the next job after a batch before sleeping. Source: design — a
// lone caller's round trip (ack → next submit) is a few µs; sleeping + waking costs ~10 µs.
constexpr std::int64_t kWriterSpinNs = 20'000;
// Busy backoff bounds (µs): first wait and largest wait, jittered.
constexpr std::int64_t kBackoffFirstUs = 100;
constexpr std::int64_t kBackoffMaxUs = 10'000;

// Non-sluice exceptions from a job become Error(JobFailed) so callers see one exception type.
std::exception_ptr capture_job_error() {
  try {
    throw;
  } catch (const Error&) {
    return std::current_exception();
  } catch (const std::exception& e) {
    return std::make_exception_ptr(
        Error(ErrorCode::JobFailed, std::string("write job threw: ") + e.what()));
  } catch (...) {
    return std::make_exception_ptr(
        Error(ErrorCode::JobFailed, "write job threw a non-standard exception"));
  }
}

// Sabotage::AckBeforeCommit (tests only): the deliberately broken writer that tells the
// batch's successful jobs "ok" before COMMIT. Told jobs leave the batch (null), as finish_batch
// would have left them.
void ack_before_commit(std::vector<detail::Job*>& batch,
                       const std::vector<std::exception_ptr>& outcome, EngineMetrics& metrics,
                       detail::Completion& completion) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (outcome[i] || batch[i] == nullptr || is_ring_job(*batch[i])) continue;
    detail::Job* job = std::exchange(batch[i], nullptr);
    EngineMetrics::bump(metrics.jobs_ok);
    std::shared_ptr<void> keep = std::move(job->keepalive);
    count_ack();
    detail::Completion::publish(*job);
  }
  completion.wake_all();
}

}  // namespace

Writer::Writer(Connection& conn, const Config& config, EngineMetrics& metrics, WriteQueue& queue,
               detail::Completion& completion, Checkpointer* checkpointer, coord::WriterLock& lock,
               coord::ProcessCounters& counters, coord::JobRing* ring, const void* owner)
    : conn_(conn),
      config_(config),
      metrics_(metrics),
      queue_(queue),
      completion_(completion),
      checkpointer_(checkpointer),
      lock_(lock),
      counters_(counters),
      ring_(ring),
      owner_(owner),
      callers_lead_(config.caller_commits && config.commit_delay_us == 0) {
  // A batch holds up to max_batch_jobs of this process's jobs and as many from the ring.
  batch_.reserve(2 * static_cast<std::size_t>(config.max_batch_jobs));
  outcome_.reserve(2 * static_cast<std::size_t>(config.max_batch_jobs));
  if (ring_ != nullptr) {
    ring_jobs_ = std::make_unique<RingJob[]>(static_cast<std::size_t>(config.max_batch_jobs));
    ring_taken_.reserve(static_cast<std::size_t>(config.max_batch_jobs));
    ring_done_.reserve(static_cast<std::size_t>(config.max_batch_jobs));
  }
  // Registering a WAL hook replaces SQLite's autocheckpoint hook: commits never checkpoint
  // (unless commit_autocheckpoint_pages asks on_wal_commit to, as SQLite's own hook would).
  sqlite3_wal_hook(conn_.native_handle(), &Writer::on_wal_commit, this);
  for (auto sql : {kBegin, kCommit, kRollback, kSavepoint, kRelease, kRollbackTo})
    conn_.cached(sql);
}

Writer::~Writer() { stop(); }

void Writer::start() {
  thread_ = std::thread([this] { run(); });
}

void Writer::stop() noexcept {
  queue_.set_draining();
  stopping_.store(true, std::memory_order_seq_cst);
  queue_.wake();
  if (thread_.joinable()) thread_.join();
}

bool Writer::on_writer_thread(const void* owner) noexcept { return tl_writer_owner == owner; }

std::string Writer::poison_reason() const {
  std::lock_guard lock(poison_mu_);
  return poison_reason_;
}

void Writer::poison(const std::string& reason) noexcept {
  {
    std::lock_guard lock(poison_mu_);
    if (poisoned_.load(std::memory_order_relaxed)) return;
    poison_reason_ = reason;
  }
  poisoned_.store(true, std::memory_order_release);
}

int Writer::on_wal_commit(void* self, sqlite3*, const char*, int frames) {
  auto& w = *static_cast<Writer*>(self);
  w.metrics_.wal_frames.store(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
  if (w.config_.commit_autocheckpoint_pages > 0 &&
      frames >= w.config_.commit_autocheckpoint_pages) {
    try {
      run_checkpoint(w.conn_, CheckpointMode::Passive, 0, w.metrics_);
    } catch (const Error&) {
      // As in SQLite's own hook: the commit stands; the next one tries again.
    }
  }
  return SQLITE_OK;
}

void Writer::lock_writer() {
  const std::int64_t deadline = now_ns() + std::int64_t{config_.busy_timeout_ms} * 1'000'000;
  const std::int64_t waited = lock_.acquire(deadline, conn_.path());
  lock_held_ = true;
  metrics_.lock_wait_us.record(static_cast<std::uint64_t>(waited / 1000));
  metrics_.lock_recoveries.store(lock_.recoveries(), std::memory_order_relaxed);
}

void Writer::unlock_writer() noexcept {
  if (!lock_held_) return;
  lock_held_ = false;
  lock_.release();
}

void Writer::publish_counters() noexcept {
  constexpr auto r = std::memory_order_relaxed;
  counters_.publish({.commits = metrics_.commits.load(r),
                     .jobs_ok = metrics_.jobs_ok.load(r),
                     .jobs_failed = metrics_.jobs_failed.load(r),
                     .queue_depth = queue_.depth()});
}

void Writer::run() noexcept {
  pthread_setname_np(pthread_self(), "sluice-writer");  // visible in top -H, perf, gdb
  for (;;) {
    if (queue_.has_jobs()) {
      if (!try_lead()) {
        // A caller leads: it commits these jobs or kicks us when it steps down and some remain.
        queue_.wait_for_kick(kIdleWaitNs);
        continue;
      }
      drain(nullptr);
      step_down();
      continue;
    }
    if (stopping_.load(std::memory_order_seq_cst) && queue_.depth() == 0 &&
        queue_.callers_inside() == 0 && !queue_.has_jobs()) {
      break;
    }
    // Spin for the next job only under light load, and not while callers lead their own
    // commits: when callers sleep, they are many, and a spinning writer would take the core
    // they need to submit their next jobs.
    const bool light = !callers_lead_ && completion_.sleepers() == 0 && !stopping_.load();
    queue_.wait_for_work(kIdleWaitNs, light ? kWriterSpinNs : 0);
  }
  // The last caller to leave lead() may still be stepping down: take the flag once so that its
  // hands are off the connection before the owner closes it.
  while (leading_.exchange(true, std::memory_order_seq_cst)) queue_.wait_for_kick(1'000'000);
}

bool Writer::try_lead() noexcept {
  if (leading_.exchange(true, std::memory_order_seq_cst)) return false;
  outer_owner_ = tl_writer_owner;
  tl_writer_owner = owner_;
  return true;
}

void Writer::step_down() noexcept {
  tl_writer_owner = outer_owner_;
  // Pairs with a pusher's push then try_lead (all seq_cst): either it became leader, or we see
  // its job here.
  leading_.store(false, std::memory_order_seq_cst);
  if (queue_.has_jobs()) queue_.wake();
}

void Writer::drain(const detail::Job* own) {
  while (own == nullptr || own->done.load(std::memory_order_acquire) == 0) {
    detail::Job* list = queue_.take_all();
    if (list == nullptr) return;
    process(list);
  }
}

void Writer::lead(detail::Job& own) noexcept {
  while (own.done.load(std::memory_order_acquire) == 0) {
    if (!try_lead()) return;  // the running leader sees our job
    drain(&own);
    step_down();
  }
}

void Writer::process(detail::Job* list) {
  std::uint64_t taken = 0;
  detail::Job* tail = nullptr;
  for (detail::Job* j = list; j != nullptr; j = j->next) {
    ++taken;
    tail = j;
  }
  // Optional linger: let more jobs join this commit (worth it when each commit is an fsync).
  if (config_.commit_delay_us > 0 && taken < static_cast<std::uint64_t>(config_.max_batch_jobs)) {
    const std::int64_t until = now_ns() + std::int64_t{config_.commit_delay_us} * 1000;
    for (std::int64_t left; (left = until - now_ns()) > 0 &&
                            taken < static_cast<std::uint64_t>(config_.max_batch_jobs);) {
      queue_.wait_for_work(left, 0);
      for (detail::Job* more = queue_.take_all(); more != nullptr; more = more->next) {
        tail->next = more;
        tail = more;
        ++taken;
      }
    }
  }
  queue_.release(taken);

  const std::size_t max_batch = static_cast<std::size_t>(config_.max_batch_jobs);
  while (list != nullptr) {
    if (list->control) {
      detail::Job* job = list;
      list = list->next;
      run_control(*job);
      continue;
    }
    batch_.clear();
    while (list != nullptr && !list->control && batch_.size() < max_batch) {
      batch_.push_back(list);
      list = list->next;
    }
    run_batch_guarded();
  }
}

void Writer::run_batch_guarded() noexcept {
  try {
    run_batch();
  } catch (const std::exception& e) {
    fail_batch_internal(e.what());
  } catch (...) {
    fail_batch_internal("an exception not derived from std::exception");
  }
}

void Writer::fail_batch_internal(const char* what) noexcept {
  // Not an SQLite error of a job or of COMMIT (those are handled inside): e.g. bad_alloc.
  // The batch's outcome is unknown, so nothing of it is acknowledged and writes stop.
  rollback();
  outcome_.resize(batch_.size());
  fail_all(std::make_exception_ptr(
      Error(ErrorCode::Internal, "writer failed while committing this batch; reopen")));
  finish_ring();  // before the lock goes: a job still TAKEN then would look orphaned
  unlock_writer();
  poison(std::string("internal error in the writer thread: ") + what);
  finish_batch();
}

void Writer::run_batch() {
  const bool drive = complete_drives();
  outcome_.assign(batch_.size(), nullptr);
  const std::int64_t start = now_ns();
  std::size_t live = 0;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    detail::Job& job = *batch_[i];
    metrics_.queue_wait_us.record(micros_between(job.enqueued_ns, start));
    if (poisoned()) {
      outcome_[i] = std::make_exception_ptr(
          Error(ErrorCode::WritesRefused, "writes refused until reopen: " + poison_reason()));
    } else if (job.deadline_ns < start) {
      EngineMetrics::bump(metrics_.deadline_exceeded);
      outcome_[i] = std::make_exception_ptr(
          Error(ErrorCode::DeadlineExceeded, "write job not started before its deadline"));
    } else {
      ++live;
    }
  }
  const bool ring_work =
      drive && ring_ != nullptr && !poisoned() && (ring_->has_work() || ring_->has_orphans());
  if (live == 0 && !ring_work) return finish_batch();

  try {
    lock_writer();
  } catch (...) {
    fail_all(std::current_exception());
    return finish_batch();
  }
  const std::int64_t slice_end = now_ns() + kRingSliceNs;
  run_transaction();
  finish_ring();
  // Keep the lock while other processes' jobs wait in the ring, for a bounded slice.
  while (ring_ != nullptr && !poisoned() && now_ns() < slice_end && ring_->has_work()) {
    finish_batch();
    run_transaction();
    if (!finish_ring()) break;
  }
  unlock_writer();
  finish_batch();
}

void Writer::run_transaction() {
  crash_point(CrashPoint::BeforeBegin);
  try {
    begin_immediate();
  } catch (...) {
    // E.g. Busy from a writer without Sluice: the ring's published jobs would meet it too, so
    // they fail with this batch instead of waiting for their deadlines.
    fail_all(std::current_exception());
    if (ring_ != nullptr && !poisoned()) take_ring_jobs(0, std::current_exception());
    return;
  }
  // Under the writer lock and inside the transaction: decide the jobs of a leader that died,
  // then take the ring's published jobs into this batch.
  ring_batch_ = 0;
  if (ring_ != nullptr && !poisoned()) {
    try {
      ring_batch_ = begin_ring_batch();
    } catch (...) {
      fail_all(std::current_exception());
      rollback();
      return;
    }
  }

  const bool savepoints = std::count(outcome_.begin(), outcome_.end(), nullptr) > 1;
  std::size_t ok = 0;
  try {
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      if (outcome_[i]) continue;
      detail::Job& job = *batch_[i];
      if (job.deadline_ns < now_ns()) {
        EngineMetrics::bump(metrics_.deadline_exceeded);
        outcome_[i] = std::make_exception_ptr(
            Error(ErrorCode::DeadlineExceeded, "write job not started before its deadline"));
        continue;
      }
      outcome_[i] = run_job(job, savepoints);
      if (i == batch_.size() / 2) crash_point(CrashPoint::MidBatch);
      if (!outcome_[i]) {
        ++ok;
        continue;
      }
      if (!conn_.in_transaction()) {
        // SQLite rolled the whole transaction back (SQLITE_FULL, SQLITE_IOERR, ...): nothing
        // of this batch survives, so no job of it may be acknowledged.
        fail_all(outcome_[i]);
        return;
      }
      if (!savepoints) {
        rollback();
        return;
      }
    }
    if (ok == 0) {
      rollback();
    } else {
      if (sabotaged(Sabotage::AckBeforeCommit)) {
        ack_before_commit(batch_, outcome_, metrics_, completion_);
        finish_ring();  // the ring's jobs are told "ok" before COMMIT too
      }
      if (ring_batch_ != 0) seal_ring_batch();
      crash_point(CrashPoint::BeforeCommit);
      commit();
      bump_commit_epoch();  // before any caller of the batch wakes (read-your-writes)
      crash_point(CrashPoint::AfterCommitBeforeAck);
      EngineMetrics::bump(metrics_.commits);
      metrics_.batch_jobs.record(ok);
    }
  } catch (const Error& e) {
    // COMMIT (or a savepoint statement) failed: nothing of the batch is committed.
    EngineMetrics::bump(metrics_.commit_failures);
    rollback();
    if (e.code() == ErrorCode::IoError || e.code() == ErrorCode::Corrupt) {
      poison(std::string("COMMIT failed with an error of unknown outcome: ") + e.what());
    }
    fail_all(std::make_exception_ptr(Error(
        e.code(), std::string("batch not committed (nothing of it was acknowledged): ") + e.what(),
        e.sqlite_code())));
  }
}

std::exception_ptr Writer::run_job(detail::Job& job, bool savepoint) {
  const std::int64_t start = now_ns();
  std::exception_ptr error;
  if (savepoint) conn_.cached(kSavepoint).run();
  try {
    Transaction tx(conn_);
    job.run(&job, tx);
  } catch (...) {
    error = capture_job_error();
  }
  if (savepoint && conn_.in_transaction()) {
    // ROLLBACK TO keeps the savepoint on the stack; RELEASE removes it. Errors here propagate:
    // the batch is then in an unknown state and fails as a whole.
    if (error) conn_.cached(kRollbackTo).run();
    conn_.cached(kRelease).run();
  }
  metrics_.execute_us.record(micros_between(start, now_ns()));
  return error;
}

void Writer::fail_all(const std::exception_ptr& error) {
  // Jobs that had succeeded inside the lost transaction fail too; failed ones keep their error.
  for (auto& outcome : outcome_) {
    if (!outcome) outcome = error;
  }
}

void Writer::finish_batch() {
  const std::int64_t end = now_ns();
  ring_done_.clear();  // see finish_ring
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (batch_[i] == nullptr) continue;  // told already (Sabotage::AckBeforeCommit)
    detail::Job& job = *batch_[i];
    if (is_ring_job(job)) {  // only when finish_ring did not run (fail_batch_internal)
      ring_done_.push_back(static_cast<RingJob&>(job).slot);
      record_ring_outcome(static_cast<RingJob&>(job), outcome_[i]);
      continue;
    }
    if (outcome_[i]) {
      job.error = std::move(outcome_[i]);
      EngineMetrics::bump(metrics_.jobs_failed);
    } else {
      EngineMetrics::bump(metrics_.jobs_ok);
      count_ack();
    }
    // Async jobs are timed here; a synchronous caller times itself after waking.
    std::shared_ptr<void> keep = std::move(job.keepalive);
    if (keep) metrics_.write_us.record(micros_between(job.enqueued_ns, end));
    detail::Completion::publish(job);  // a synchronous job's memory may be gone after this
  }
  completion_.wake_all();
  if (!ring_done_.empty()) ring_->finish(ring_done_);
  batch_.clear();
  outcome_.clear();
  publish_counters();
  if (checkpointer_ != nullptr) {
    checkpointer_->note_wal_frames(metrics_.wal_frames.load(std::memory_order_relaxed));
  }
}

void Writer::run_control(detail::Job& job) noexcept {
  try {
    // Other Sluice processes' writers stay out while a checkpoint waits for readers.
    lock_writer();
    Transaction tx(conn_);
    job.run(&job, tx);
  } catch (...) {
    job.error = capture_job_error();
  }
  unlock_writer();
  std::shared_ptr<void> keep = std::move(job.keepalive);
  detail::Completion::publish(job);
  completion_.wake_all();
}

void Writer::backoff_sleep(std::int64_t& delay_us, std::int64_t deadline_ns) {
  std::uniform_int_distribution<std::int64_t> jitter(delay_us / 2, delay_us);
  std::int64_t sleep_ns =
      std::min(jitter(rng_) * 1000, std::max<std::int64_t>(0, deadline_ns - now_ns()));
  std::this_thread::sleep_for(std::chrono::nanoseconds(sleep_ns));
  delay_us = std::min(delay_us * 2, kBackoffMaxUs);
}

void Writer::begin_immediate() {
  const std::int64_t deadline = now_ns() + std::int64_t{config_.busy_timeout_ms} * 1'000'000;
  std::int64_t delay_us = kBackoffFirstUs;
  for (;;) {
    try {
      conn_.cached(kBegin).run();
      return;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Busy) throw;
      EngineMetrics::bump(metrics_.busy_retries);
      if (now_ns() >= deadline) {
        EngineMetrics::bump(metrics_.busy_timeouts);
        throw Error(ErrorCode::Busy,
                    "another writer held '" + conn_.path() + "' for longer than busy_timeout_ms=" +
                        std::to_string(config_.busy_timeout_ms),
                    e.sqlite_code());
      }
      backoff_sleep(delay_us, deadline);
    }
  }
}

void Writer::commit() {
  const std::int64_t start = now_ns();
  const std::int64_t deadline = start + std::int64_t{config_.busy_timeout_ms} * 1'000'000;
  std::int64_t delay_us = kBackoffFirstUs;
  for (;;) {
    try {
      conn_.cached(kCommit).run();
      break;
    } catch (const Error& e) {
      // Only a rollback journal can meet readers at COMMIT; the transaction stays open.
      if (e.code() != ErrorCode::Busy || now_ns() >= deadline) throw;
      EngineMetrics::bump(metrics_.busy_retries);
      backoff_sleep(delay_us, deadline);
    }
  }
  metrics_.commit_us.record(micros_between(start, now_ns()));
}

void Writer::rollback() noexcept {
  if (!conn_.in_transaction()) return;
  try {
    conn_.cached(kRollback).run();
  } catch (const Error& e) {
    poison(std::string("ROLLBACK failed: ") + e.what());
  }
}

}  // namespace sluice::engine
