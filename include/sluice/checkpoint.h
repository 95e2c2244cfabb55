// Checkpoint modes and results: what Database::checkpoint() takes and returns, and what the
// engine's checkpointer runs. sqlite.org/c3ref/wal_checkpoint_v2.html describes the modes.
//
// Thread-safety: plain values.
#pragma once

#include <string_view>

namespace sluice {

// sqlite3_wal_checkpoint_v2 modes. PASSIVE copies what no reader still needs and never waits;
// FULL also waits for the writer and for readers of older snapshots; RESTART then waits until
// no reader uses the WAL, so the next writer starts it over; TRUNCATE also truncates it to 0 bytes.
enum class CheckpointMode { Passive, Full, Restart, Truncate };
// "passive", "full", "restart", "truncate".
std::string_view to_string(CheckpointMode mode) noexcept;

// One checkpoint's outcome.
struct CheckpointResult {
  int wal_frames = 0;           // frames (pages) in the WAL when the checkpoint ran
  int checkpointed_frames = 0;  // of those, copied back into the database file
  bool busy = false;            // could not finish: a reader or writer was in the way
  double duration_ms = 0;       // wall time of the checkpoint call (ms)
};

}  // namespace sluice
