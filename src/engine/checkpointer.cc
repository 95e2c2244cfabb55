#include "engine/checkpointer.h"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>

#include "engine/checkpoint.h"
#include "engine/clock.h"

namespace sluice::engine {

Checkpointer::Checkpointer(const Config& config, EngineMetrics& metrics, coord::SideFile& side,
                           coord::WriterLock& lock)
    : config_(config), metrics_(metrics), side_(side), lease_(side), lock_(lock) {
  OpenOptions options;
  options.mode = OpenOptions::Mode::ReadWrite;
  options.vfs = config.vfs;
  conn_.emplace(Connection::open(config.path, options));
  // While setting up, wait for other connections (another process may be switching the file to
  // WAL); afterwards checkpoints bound their own waits, so the busy handler is off again.
  conn_->pragma("busy_timeout=" + std::to_string(config.busy_timeout_ms));
  conn_->pragma("wal_autocheckpoint=0");
  // The database file grows in kChunkBytes steps when checkpoints extend it, so the fdatasync
  // ending a checkpoint rarely has to commit a file-size change to the filesystem journal.
  int chunk = kChunkBytes;
  sqlite3_file_control(conn_->native_handle(), "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
  conn_->pragma("synchronous=" + std::to_string(static_cast<int>(config.synchronous)));
  conn_->pragma("busy_timeout=0");
}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::start() {
  thread_ = std::thread([this] { run(); });
}

void Checkpointer::stop() noexcept {
  stop_.store(true, std::memory_order_seq_cst);
  lease_.wake_all();
  if (thread_.joinable()) thread_.join();
  conn_.reset();
}

std::uint64_t Checkpointer::threshold() const noexcept {
  return lease_.threshold(static_cast<std::uint64_t>(config_.checkpoint_pages));
}

void Checkpointer::note_wal_frames(std::uint64_t frames) noexcept {
  lease_.note_wal_frames(frames, static_cast<std::uint64_t>(config_.checkpoint_pages));
}

void Checkpointer::run() noexcept {
  pthread_setname_np(pthread_self(), "sluice-ckpt");
  if (!take_lease()) return;
  serve();
  release_lease();
}

bool Checkpointer::take_lease() noexcept {
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) return false;
    coord::CheckpointLease::Take r;
    try {
      r = lease_.take(now_ns() + std::int64_t{kLeaseRetryMs} * 1'000'000);
    } catch (const Error&) {
      return false;  // unrecoverable lease: the other processes' checkpointers carry on
    }
    if (r == coord::CheckpointLease::Take::TimedOut) {
      if (release_snapshots_) release_snapshots_();
      continue;
    }
    if (r == coord::CheckpointLease::Take::TakenOver) EngineMetrics::bump(metrics_.lease_takeovers);
    break;
  }
  active_.store(true, std::memory_order_relaxed);
  return true;
}

void Checkpointer::release_lease() noexcept {
  active_.store(false, std::memory_order_relaxed);
  lease_.release();
}

void Checkpointer::serve() noexcept {
  const std::int64_t idle_ns = std::int64_t{config_.checkpoint_idle_ms} * 1'000'000;
  // Frames committed while no checkpointer was active (or before a takeover) are due now.
  cycle();
  for (;;) {
    const std::uint32_t seen = lease_.signal();
    if (stop_.load(std::memory_order_acquire)) return;
    // Clear the request, then look at the WAL (both seq_cst, as note_wal_frames' store and
    // exchange): either we see a writer's frames here or that writer sees wanted == 0 and wakes
    // us — no wake-up is lost.
    lease_.clear_request();
    std::uint64_t frames = lease_.wal_frames();
    bool due = frames >= threshold() && frames != frames_at_last_complete_;
    if (!due) {
      if (lease_.wait_for_signal(seen, idle_ns)) continue;  // woken: look again
      if (stop_.load(std::memory_order_acquire)) return;
      // Idle: copy back what was committed since the last complete checkpoint, and free the
      // slots of processes that died and our readers' snapshots past their staleness.
      side_.reap_dead();
      if (release_snapshots_) release_snapshots_();
      frames = lease_.wal_frames();
      due = frames > 0 && frames != frames_at_last_complete_;
    }
    if (due) cycle();
  }
}

void Checkpointer::cycle() noexcept {
  if (release_snapshots_) release_snapshots_();
  if (shipping_) shipping_->before_checkpoint();
  const auto pages = static_cast<std::uint64_t>(config_.checkpoint_pages);
  CheckpointResult bulk;
  try {
    // Bulk passes until what writers appended meanwhile is small: the tail runs under the
    // writer lock, and every frame it copies there stalls every writer of every process.
    for (int pass = 0; pass < kMaxBulkPasses; ++pass) {
      bulk = run_checkpoint(*conn_, CheckpointMode::Passive, 0, metrics_);
      if (bulk.busy) break;  // readers pin the rest: more passes cannot copy it
      const std::uint64_t now = lease_.wal_frames();
      if (now < static_cast<std::uint64_t>(bulk.wal_frames) + kTailFrames) break;
    }
    sync_database_file(*conn_);
  } catch (const Error&) {
    // A failed PASSIVE checkpoint loses nothing; try again after more growth.
    lease_.set_threshold(lease_.wal_frames() + pages / 2);
    return;
  }
  const auto frames = static_cast<std::uint64_t>(bulk.wal_frames);
  const CheckpointMode mode = frames >= 3 * pages       ? CheckpointMode::Truncate
                              : 2 * frames >= 3 * pages ? CheckpointMode::Restart
                                                        : CheckpointMode::Passive;
  CheckpointResult tail;
  tail.busy = true;
  try {
    lock_.acquire_for_tail(now_ns() + std::int64_t{kTailLockWaitMs} * 1'000'000, config_.path);
    // With a replicator that could not ship everything, its read transaction stays: the tail
    // copies only shipped frames and the WAL does not restart.
    const bool shipped = shipping_ == nullptr || shipping_->begin_tail();
    try {
      tail = run_checkpoint(*conn_, shipped ? mode : CheckpointMode::Passive,
                            std::min(config_.busy_timeout_ms, kRestartWaitMs), metrics_);
    } catch (const Error&) {
      tail.busy = true;
    }
    if (shipping_ && shipped) shipping_->end_tail();
    lock_.release();
  } catch (const Error&) {
    // The writer lock stayed busy: the next cycle tries again.
  }
  lease_.count_checkpoint();
  if (!tail.busy) {
    frames_at_last_complete_ = lease_.wal_frames();
    lease_.set_threshold(pages);
  } else {
    // Readers pinned part of the WAL: wait for it to grow by another half of checkpoint_pages.
    lease_.set_threshold(std::max(frames, static_cast<std::uint64_t>(tail.wal_frames)) + pages / 2);
  }
}

}  // namespace sluice::engine
