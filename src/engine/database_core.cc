#include "engine/database_core.h"

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

  if (config_.wal) {
    checkpointer_ = std::make_unique<Checkpointer>(config_, metrics_);
    checkpointer_->start();
  }
  writer_ = std::make_unique<Writer>(*write_conn_, config_, metrics_, queue_, completion_,
                                     checkpointer_.get(), this);
  writer_->start();
}

DatabaseCore::~DatabaseCore() { close(); }

void DatabaseCore::check_caller() const {
  if (Writer::on_writer_thread(this)) {
    throw Error(ErrorCode::Reentrant,
                "a write job called back into its own Database (it would wait for itself); use "
                "the Transaction it was given instead");
  }
  if (closing_.load(std::memory_order_acquire)) {
    throw Error(ErrorCode::Closed, "database '" + config_.path + "' is closed");
  }
}

void DatabaseCore::enqueue(detail::Job& job, std::int64_t timeout_ms) {
  check_caller();
  if (writer_->poisoned()) {
    throw Error(ErrorCode::WritesRefused, "writes refused until '" + config_.path +
                                              "' is reopened: " + writer_->poison_reason());
  }
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
  const std::int64_t now = now_ns();
  const std::int64_t ms = timeout_ms > 0 ? timeout_ms : config_.write_deadline_ms;
  job.enqueued_ns = now;
  job.deadline_ns = now + ms * 1'000'000;
  job.completion = &completion_;
  job.error = nullptr;
  queue_.push(&job);
}

Stats DatabaseCore::stats() const {
  Stats s = metrics_.snapshot();
  s.queue_depth = queue_.depth();
  s.readers_total = readers_ ? readers_->size() : 0;
  s.writes_refused = writer_ && writer_->poisoned();
  return s;
}

void DatabaseCore::close() noexcept {
  if (Writer::on_writer_thread(this)) return;  // cannot wait for ourselves; documented
  if (closing_.exchange(true, std::memory_order_seq_cst)) return;
  if (writer_) writer_->stop();
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
  writer_.reset();
  write_conn_.reset();
}

}  // namespace sluice::engine
