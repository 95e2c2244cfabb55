// Checkpointer: runs WAL checkpoints on its own thread and connection, so that no COMMIT and no
// write job ever waits for one. One per Database; across processes only one is active at a time.
//
// The lease. Every Database's checkpointer first takes the checkpointer lease, a robust
// process-shared mutex in the side file; the others wait for it in the kernel. When the active
// one's process dies (SIGKILL included) the kernel releases the lease and a waiting checkpointer
// of another process takes over at once.
//
// When. Writers of every process report the WAL's size after each commit (note_wal_frames, into
// the side file); when it reaches the threshold they wake the active checkpointer with one futex
// wake. It also runs after checkpoint_idle_ms without a wake-up if frames were committed since
// its last complete checkpoint, so an idle database's WAL empties.
//
// How. A cycle is a bulk PASSIVE checkpoint (copies every frame no reader still needs, never
// waits, tens of ms for thousands of pages) without any lock — repeated while writers appended
// more than kTailFrames meanwhile — then a short tail under the
// cross-process writer lock: with no Sluice writer appending meanwhile, the tail copies the
// frames committed during the bulk pass (~1 ms) and completes, and the next BEGIN IMMEDIATE of
// any process restarts the WAL from its beginning. Without the tail, a WAL under continuous
// writes never restarts and grows without bound. Readers that keep a read transaction open all
// the time pin the WAL so that PASSIVE never completes: past 1.5 x checkpoint_pages the tail
// escalates to RESTART, past 3 x to TRUNCATE, each waiting at most kRestartWaitMs for readers of
// old snapshots (new readers read from the database file). Hysteresis: when readers kept part
// of the WAL, the next cycle waits until the WAL has grown by another half of checkpoint_pages.
//
// Thread-safety: note_wal_frames() from writer threads; start()/stop() from the owner.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

#include "coord/checkpoint_lease.h"
#include "coord/side_file.h"
#include "coord/writer_lock.h"
#include "engine/engine_metrics.h"
#include "engine/wal_shipping.h"
#include "sluice/config.h"
#include "sluice/connection.h"
#include "sluice/checkpoint.h"

namespace sluice::engine {

class Checkpointer {
 public:
  // Opens its own read-write connection to config.path (wal_autocheckpoint=0).
  // Throws Error as Connection::open does.
  Checkpointer(const Config& config, EngineMetrics& metrics, coord::SideFile& side,
               coord::WriterLock& lock);
  ~Checkpointer();  // stop(); never throws

  // Called before each checkpoint and, while waiting for the lease, every kLeaseRetryMs: the
  // reader pool ends its kept snapshots that are past their staleness, so they pin the WAL for
  // a bounded time. Set before start().
  void set_release_snapshots(std::function<void()> fn) { release_snapshots_ = std::move(fn); }

  // A WAL replicator (Config::replica) that must ship frames before a checkpoint may restart the
  // WAL (engine/wal_shipping.h); null without one. Set before start(); it must outlive stop().
  void set_shipping(WalShipping* shipping) { shipping_ = shipping; }

  void start();
  // Stops the thread (releasing the lease). A standby checkpointer notices within
  // kLeaseRetryMs.
  void stop() noexcept;

  // Writer, after a commit: the WAL now holds `frames` frames. One relaxed store unless it
  // crosses the threshold (then one futex wake for the whole crossing).
  void note_wal_frames(std::uint64_t frames) noexcept;

  // True while this Database's checkpointer holds the lease.
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

  // Longest wait of a RESTART/TRUNCATE tail for readers of old snapshots (ms). Source: design —
  // blog reads take ≤ tens of ms; a longer read keeps the WAL and is the reader's cost to see.
  static constexpr int kRestartWaitMs = 50;
  // Longest wait of a tail for the writer lock (ms); a tail that cannot get it is skipped.
  static constexpr int kTailLockWaitMs = 100;
  // The tail should copy at most about this many frames (~1 ms): bulk passes repeat (at most
  // kMaxBulkPasses) while writers appended more during the last one. Source: design — at 120k
  // one-row writes/s a 4000-page bulk pass let ~1,500 frames pile up, and a tail copying them
  // under the writer lock was the write p999 (14–17 ms). The database file is also synced
  // (sync_database_file) before the tail, outside the lock: otherwise the tail's own fdatasync
  // flushes everything the bulk passes wrote (~9 ms for 16 MB).
  static constexpr std::uint64_t kTailFrames = 128;
  static constexpr int kMaxBulkPasses = 6;
  // SQLITE_FCNTL_CHUNK_SIZE of the checkpointer's database handle (bytes): the file then grows
  // in 4 MiB steps (and a small database occupies at least 4 MiB). Source: design — the tail's
  // duration under the writer lock went from 3.2–3.7 ms to 2.2–3.5 ms (blog write phase, 64
  // workers).
  static constexpr int kChunkBytes = 4 << 20;
  // How often a standby checkpointer looks up from waiting for the lease to see stop() (ms).
  static constexpr int kLeaseRetryMs = 100;

 private:
  void run() noexcept;
  bool take_lease() noexcept;  // false when stopped first
  void release_lease() noexcept;
  void serve() noexcept;
  void cycle() noexcept;
  std::uint64_t threshold() const noexcept;

  // Constant after construction.
  const Config config_;
  EngineMetrics& metrics_;
  coord::SideFile& side_;
  coord::CheckpointLease lease_;
  std::function<void()> release_snapshots_;  // set before start()
  WalShipping* shipping_ = nullptr;          // set before start()
  coord::WriterLock& lock_;
  std::optional<Connection> conn_;

  // Checkpointer-thread state.
  std::uint64_t frames_at_last_complete_ = 0;

  std::atomic<bool> stop_{false};
  std::atomic<bool> active_{false};
  std::thread thread_;
};

}  // namespace sluice::engine
