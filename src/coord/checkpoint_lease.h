// CheckpointLease: the one-active-checkpointer lease of a database and the wake-up protocol
// between its writers and that checkpointer, both in the side file (side_file_layout.h).
//
// The lease is a robust process-shared mutex: the active checkpointer holds it for as long as it
// serves; the other Databases' checkpointers wait for it in the kernel. A holder that dies
// (SIGKILL included) releases it at once and the next taker is told (Take::TakenOver).
//
// The wake-up: writers of every process report the WAL's size after each commit
// (note_wal_frames); the first report that crosses the threshold sets `wanted` and wakes the
// active checkpointer with one futex wake. The checkpointer clears `wanted` (clear_request),
// then reads the WAL size — both seq_cst, as note_wal_frames' store and exchange — so either it
// sees a writer's frames or that writer sees wanted == 0 and wakes it: no wake-up is lost.
//
// Thread-safety: every member may be called from any thread of any process attached to the side
// file; take()/release() from the checkpointer thread (the thread that took must release).
#pragma once

#include <cstdint>

#include "coord/side_file.h"

namespace sluice::coord {

class CheckpointLease {
 public:
  explicit CheckpointLease(SideFile& side) noexcept;

  enum class Take {
    Held,       // this Database is now the active checkpointer
    TakenOver,  // the same, and the previous holder had died holding it
    TimedOut,   // another process's checkpointer is active
  };
  // Waits until deadline_ns (steady clock, ns) for the lease; marks this Database's slot as the
  // checkpointer. Throws Error(Internal) if the lease is unrecoverable.
  Take take(std::int64_t deadline_ns);
  void release() noexcept;

  // Writer, after a commit: the WAL now holds `frames` frames. One relaxed store unless it
  // crosses threshold(default_threshold) (then one futex wake for the whole crossing).
  void note_wal_frames(std::uint64_t frames, std::uint64_t default_threshold) noexcept;

  // Checkpointer side.
  std::uint64_t wal_frames() const noexcept;
  // The frames that wake the checkpointer: the stored threshold, or default_threshold when none
  // is stored.
  std::uint64_t threshold(std::uint64_t default_threshold) const noexcept;
  void set_threshold(std::uint64_t frames) noexcept;
  // The current value of the wake-up word, to wait on (wait_for_signal).
  std::uint32_t signal() const noexcept;
  // Clears the pending request; then read wal_frames() (see the header comment).
  void clear_request() noexcept;
  // Sleeps while the wake-up word still equals `seen`, at most timeout_ns. False on timeout.
  bool wait_for_signal(std::uint32_t seen, std::int64_t timeout_ns) noexcept;
  // Wakes every checkpointer waiting on the word (stop()).
  void wake_all() noexcept;
  // Counts one checkpoint cycle (every mode, every process: `sluice inspect`).
  void count_checkpoint() noexcept;

 private:
  SideFile& side_;
};

}  // namespace sluice::coord
