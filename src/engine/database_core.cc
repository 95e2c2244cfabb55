#include "engine/database_core.h"

#include <sys/stat.h>

#include <shared_mutex>

#include "backup/replicator.h"
#include "coord/fork_guard.h"
#include "engine/checkpoint.h"
#include "engine/clock.h"
#include "engine/malloc_tuning.h"
#include "engine/pragmas.h"

namespace sluice::engine {
namespace {

Config validated(Config config) {
  config.validate();
  return config;
}

}  // namespace

DatabaseCore::DatabaseCore(Config config)
    : config_(validated(std::move(config))),
      fork_generation_(coord::fork_generation()),
      queue_(static_cast<std::uint64_t>(config_.queue_capacity)) {
  apply_malloc_tuning(config_);
  OpenOptions options;
  options.mode =
      config_.create_if_missing ? OpenOptions::Mode::ReadWriteCreate : OpenOptions::Mode::ReadWrite;
  options.vfs = config_.vfs;
  options.create_parent_dirs = config_.create_if_missing;
  write_conn_.emplace(Connection::open(config_.path, options));

  // The first pragma (journal_mode) reads the file header: a non-database fails here.
  PragmaReport report = apply_pragmas(*write_conn_, config_, Role::Writer);
  effective_ = report.effective;
  effective_["busy_timeout"] = std::to_string(config_.busy_timeout_ms);
  effective_["writer_busy_handling"] =
      "sluice jittered backoff up to " + std::to_string(config_.busy_timeout_ms) + " ms";
  std::vector<std::string> mismatches = report.mismatches;
  if (config_.separate_read_write) {
    readers_ = std::make_unique<ReaderPool>(config_.path, config_, metrics_);
    for (const auto& m : readers_->pragmas().mismatches) mismatches.push_back(m);
    effective_["busy_timeout"] = readers_->pragmas().effective.at("busy_timeout");
  }
  if (!mismatches.empty()) {
    if (config_.strict_pragmas) {
      std::string msg = "pragmas did not take (strict_pragmas=true):";
      for (const auto& m : mismatches) msg += "\n  " + m;
      throw Error(ErrorCode::InvalidArgument, msg);
    }
    warnings_ = std::move(mismatches);
  }

  side_ = config_.coordinate_processes ? coord::SideFile::attach(config_.path)
                                       : coord::SideFile::in_process();
  writer_lock_ = std::make_unique<coord::WriterLock>(*side_);
  counters_ = std::make_unique<coord::ProcessCounters>(*side_);
  if (config_.coordinate_processes) ring_ = std::make_unique<coord::JobRing>(*side_);
  if (config_.wal && config_.commit_autocheckpoint_pages == 0) {
    checkpointer_ = std::make_unique<Checkpointer>(config_, metrics_, *side_, *writer_lock_);
    if (ReaderPool* pool = readers_.get()) {
      // Kept snapshots (max_staleness) pin the WAL: the checkpointer ends the stale ones.
      checkpointer_->set_release_snapshots([pool] { pool->end_stale_snapshots(); });
    }
    if (!config_.replica.empty()) {
      Checkpointer* cp = checkpointer_.get();
      replicator_ = std::make_unique<backup::Replicator>(
          config_, directory_target(config_.replica), *writer_lock_, [cp] { return cp->active(); });
      checkpointer_->set_shipping(replicator_.get());
    }
    checkpointer_->start();
    if (replicator_) replicator_->start();
  } else if (!config_.replica.empty()) {
    throw Error(ErrorCode::InvalidArgument,
                "replica='" + config_.replica +
                    "' needs WAL mode and the checkpointer thread (wal=true, "
                    "commit_autocheckpoint_pages=0)");
  }
  writer_ =
      std::make_unique<Writer>(*write_conn_, config_, metrics_, queue_, completion_,
                               checkpointer_.get(), *writer_lock_, *counters_, ring_.get(), this);
  writer_->start();
}

DatabaseCore::~DatabaseCore() { close(); }

bool DatabaseCore::forked() const noexcept { return coord::fork_generation() != fork_generation_; }

void DatabaseCore::check_caller() const {
  if (forked()) {
    throw Error(ErrorCode::InvalidArgument,
                "Database '" + config_.path +
                    "' was opened before fork(): a child process cannot use it (its threads "
                    "stayed in the parent); open a new Database in the child");
  }
  if (Writer::on_writer_thread(this)) {
    throw Error(ErrorCode::Reentrant,
                "a write job called back into its own Database (it would wait for itself); use "
                "the Transaction it was given instead");
  }
  if (closing_.load(std::memory_order_acquire)) {
    throw Error(ErrorCode::Closed, "database '" + config_.path + "' is closed");
  }
}

void DatabaseCore::enqueue(detail::Job& job, std::int64_t timeout_ms, bool lead) {
  check_caller();
  const bool admitted =
      config_.enqueue_timeout_ms > 0
          ? queue_.reserve_within(std::int64_t{config_.enqueue_timeout_ms} * 1'000'000)
          : queue_.try_reserve();
  if (!admitted) {
    EngineMetrics::bump(metrics_.overloaded);
    throw Error(ErrorCode::Overloaded,
                "write queue full (queue_capacity=" + std::to_string(config_.queue_capacity) +
                    " jobs waiting); back off and retry");
  }
  // Pairs with close(): either we see closing_ here, or the draining writer sees our slot.
  if (closing_.load(std::memory_order_seq_cst)) {
    queue_.unreserve();
    throw Error(ErrorCode::Closed, "database '" + config_.path + "' is closed");
  }
  // Our reservation keeps a concurrent close() waiting for the writer, so writer_ lives on.
  if (writer_->poisoned()) {
    queue_.unreserve();
    throw Error(ErrorCode::WritesRefused, "writes refused until '" + config_.path +
                                              "' is reopened: " + writer_->poison_reason());
  }
  const std::int64_t now = now_ns();
  const std::int64_t ms = timeout_ms > 0 ? timeout_ms : config_.write_deadline_ms;
  job.enqueued_ns = now;
  job.deadline_ns = now + ms * 1'000'000;
  job.completion = &completion_;
  job.error = nullptr;
  if (!lead || !writer_->callers_lead()) {
    queue_.push(&job);
    return;
  }
  // Inside enter()/leave() the writer thread does not end, so writer_ outlives our lead().
  queue_.enter();
  queue_.push_quiet(&job);
  writer_->lead(job);
  queue_.leave();
}

Stats DatabaseCore::stats() const {
  std::shared_lock lifetime(lifetime_mu_);  // close() frees the parts read below
  Stats s = metrics_.snapshot();
  s.queue_depth = queue_.depth();
  s.enqueue_waiters = queue_.space_waiters();
  s.readers_total = readers_ ? readers_->size() : 0;
  s.writes_refused = writer_ && writer_->poisoned();
  s.checkpointer_active = checkpointer_ && checkpointer_->active();
  struct stat st {};
  if (stat((config_.path + "-wal").c_str(), &st) == 0) {
    s.wal_bytes = static_cast<std::uint64_t>(st.st_size);
  }
  if (side_ && config_.coordinate_processes) {
    s.processes_attached = side_->attached();
  } else {
    s.processes_attached = 1;
  }
  if (readers_) readers_->long_read_report(s);
  if (replicator_) replicator_->report(s);
  return s;
}

void DatabaseCore::close() noexcept {
  // Cannot wait for ourselves (documented): from inside a write job or a read, close() is a no-op.
  if (Writer::on_writer_thread(this)) return;
  if (readers_ && readers_->leased_by_this_thread()) return;
  if (closing_.exchange(true, std::memory_order_seq_cst)) return;
  if (forked()) {
    // The parent's threads and descriptors: joining would hang, closing could release the
    // parent's locks. Leak them; the child's exit frees the memory.
    (void)writer_.release();
    (void)checkpointer_.release();
    (void)replicator_.release();
    (void)readers_.release();
    (void)writer_lock_.release();
    (void)counters_.release();
    (void)ring_.release();
    (void)side_.release();
    if (write_conn_) (void)new Connection(std::move(*write_conn_));
    return;
  }
  if (writer_) writer_->stop();
  // While this process still holds the checkpointer lease: no other process's replicator can
  // take the generation over meanwhile.
  if (replicator_) replicator_->stop();
  if (checkpointer_) checkpointer_->stop();
  if (readers_) readers_->close();
  if (write_conn_) {
    try {
      // With every reader gone, TRUNCATE empties the WAL; SQLite then deletes it at close.
      run_checkpoint(*write_conn_, CheckpointMode::Truncate, 0, metrics_);
    } catch (const Error&) {
      // Nothing is lost: the WAL stays and the next open recovers it.
    }
  }
  std::unique_lock lifetime(lifetime_mu_);
  writer_.reset();
  write_conn_.reset();
  checkpointer_.reset();
  replicator_.reset();
  writer_lock_.reset();
  counters_.reset();
  ring_.reset();
  side_.reset();
}

}  // namespace sluice::engine
