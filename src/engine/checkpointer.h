// Checkpointer: runs WAL checkpoints on its own thread and connection, so that no COMMIT and no
// write job ever waits for one.
//
// The writer reports the WAL's size after every commit (note_wal_frames); when it reaches the
// threshold the checkpointer wakes and runs PASSIVE, which copies every frame no reader still
// needs and never waits. Hysteresis: if readers pinned part of the WAL (the checkpoint could not
// copy everything), the next attempt waits until the WAL has grown by another half of
// checkpoint_pages — otherwise a WAL held by readers would be re-checkpointed after every commit
// (measured: 435 attempts of up to 31 ms in one 16-worker mixed run when this ran on the writer).
//
// Why the writer still runs a short checkpoint: SQLite restarts the WAL from its beginning only
// when a write transaction starts after *every* frame was copied back. With a writer that keeps
// committing while another connection checkpoints, that moment never comes and the WAL grows
// without bound. So the checkpointer does the bulk copy (thousands of pages, tens of ms) off the
// commit path, then asks the writer for the tail: a PASSIVE checkpoint between two batches that
// copies only the frames committed meanwhile (~1 ms), after which the next BEGIN IMMEDIATE
// restarts the WAL. Readers that keep a read transaction open all the time (many workers on a
// small pool) pin the WAL so that PASSIVE never finishes: once the WAL passes
// 2 x checkpoint_pages the tail escalates to RESTART, which waits (at most kRestartWaitMs) for
// the readers of old snapshots only — new readers read from the database file.
//
// Thread-safety: note_wal_frames()/take_tail_request() from the writer; start()/stop() from the
// owner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/engine_metrics.h"
#include "sluice/config.h"
#include "sluice/connection.h"
#include "sluice/database.h"

namespace sluice::engine {

class Checkpointer {
 public:
  // Opens its own read-write connection to config.path (wal_autocheckpoint=0).
  // Throws Error as Connection::open does.
  Checkpointer(const Config& config, EngineMetrics& metrics);
  ~Checkpointer();  // stop(); never throws

  void start();
  void stop() noexcept;

  // Writer, after a commit: the WAL now holds `frames` frames. Cheap unless it crosses the
  // threshold (then one condition-variable notify).
  void note_wal_frames(std::uint64_t frames) noexcept;
  // Writer, between batches: once after each bulk checkpoint, the mode of the tail to run now
  // (PASSIVE, or RESTART when readers kept the WAL past 2 x checkpoint_pages); nullopt
  // otherwise.
  std::optional<CheckpointMode> take_tail_request() noexcept {
    if (!tail_wanted_.load(std::memory_order_relaxed) ||
        !tail_wanted_.exchange(false, std::memory_order_acquire)) {
      return std::nullopt;
    }
    return frames_.load(std::memory_order_relaxed) >=
                   2 * static_cast<std::uint64_t>(config_.checkpoint_pages)
               ? CheckpointMode::Restart
               : CheckpointMode::Passive;
  }
  // Longest wait of a RESTART tail for readers of old snapshots (ms). Source: design — blog
  // reads take ≤ tens of ms; a longer read keeps the WAL and is the reader's cost to see.
  static constexpr int kRestartWaitMs = 50;

 private:
  void run() noexcept;

  // Constant after construction.
  const Config config_;
  EngineMetrics& metrics_;
  std::optional<Connection> conn_;

  // Frames at which the next checkpoint starts; written by the checkpointer thread.
  std::atomic<std::uint64_t> threshold_;
  std::atomic<std::uint64_t> frames_{0};
  std::atomic<bool> tail_wanted_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;  // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::thread thread_;
};

}  // namespace sluice::engine
