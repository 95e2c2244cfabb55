#include "engine/checkpoint.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/clock.h"
#include "sqlite/result_code.h"

namespace sluice::engine {

CheckpointResult run_checkpoint(Connection& conn, CheckpointMode mode, int busy_timeout_ms,
                                EngineMetrics& metrics) {
  int emode = SQLITE_CHECKPOINT_PASSIVE;
  switch (mode) {
    case CheckpointMode::Passive:
      emode = SQLITE_CHECKPOINT_PASSIVE;
      break;
    case CheckpointMode::Full:
      emode = SQLITE_CHECKPOINT_FULL;
      break;
    case CheckpointMode::Restart:
      emode = SQLITE_CHECKPOINT_RESTART;
      break;
    case CheckpointMode::Truncate:
      emode = SQLITE_CHECKPOINT_TRUNCATE;
      break;
  }
  sqlite3* db = conn.native_handle();
  // The writer connection normally has no busy handler (the engine retries itself); the
  // waiting modes need one for their bounded wait on readers.
  const bool waits = mode != CheckpointMode::Passive;
  if (waits) sqlite3_busy_timeout(db, busy_timeout_ms);
  const std::int64_t start = now_ns();
  const std::int64_t deadline = start + std::int64_t{busy_timeout_ms} * 1'000'000;
  CheckpointResult r;
  int rc;
  // SQLite never calls the busy handler for the checkpoint lock itself: while another connection
  // checkpoints (this Database's checkpointer in a bulk pass, another process's, `sluice
  // checkpoint`), every mode returns SQLITE_BUSY at once with the counts left at -1. The waiting
  // modes wait for that checkpoint too, within the same busy_timeout_ms, polling as SQLite's own
  // busy handler does (there is nothing to be woken by).
  for (int delay_ms = 1;; delay_ms = std::min(delay_ms * 2, 8)) {
    r.wal_frames = r.checkpointed_frames = -1;
    rc = sqlite3_wal_checkpoint_v2(db, nullptr, emode, &r.wal_frames, &r.checkpointed_frames);
    const bool other_checkpoint = rc == SQLITE_BUSY && r.wal_frames == -1;
    if (!waits || !other_checkpoint || now_ns() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  const std::int64_t end = now_ns();
  if (waits) sqlite3_busy_timeout(db, 0);
  r.duration_ms = static_cast<double>(end - start) / 1e6;
  if (rc == SQLITE_BUSY) {
    r.busy = true;
  } else if (rc != SQLITE_OK) {
    throw sqlite::make_error(rc, db, "checkpoint of '" + conn.path() + "'");
  }
  if (r.wal_frames > 0 && r.checkpointed_frames < r.wal_frames) r.busy = true;
  if (r.wal_frames < 0) r.wal_frames = 0;  // -1: not in WAL mode
  if (r.checkpointed_frames < 0) r.checkpointed_frames = 0;
  EngineMetrics::bump(metrics.checkpoints);
  EngineMetrics::bump(metrics.checkpoints_by_mode[static_cast<int>(mode)]);
  if (r.busy) EngineMetrics::bump(metrics.checkpoints_busy);
  EngineMetrics::bump(metrics.checkpoint_pages_written,
                      static_cast<std::uint64_t>(r.checkpointed_frames));
  metrics.checkpoint_us.record(micros_between(start, end));
  return r;
}

void sync_database_file(Connection& conn) {
  sqlite3_file* file = nullptr;
  sqlite3* db = conn.native_handle();
  int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file);
  if (rc == SQLITE_OK && file != nullptr && file->pMethods != nullptr) {
    rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  }
  if (rc != SQLITE_OK) throw sqlite::make_error(rc, db, "sync of '" + conn.path() + "'");
}

}  // namespace sluice::engine

namespace sluice {

std::string_view to_string(CheckpointMode mode) noexcept {
  switch (mode) {
    case CheckpointMode::Passive:
      return "passive";
    case CheckpointMode::Full:
      return "full";
    case CheckpointMode::Restart:
      return "restart";
    case CheckpointMode::Truncate:
      return "truncate";
  }
  return "unknown";
}

}  // namespace sluice
