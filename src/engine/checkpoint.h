// Running a WAL checkpoint on a connection and measuring it.
#pragma once

#include "engine/engine_metrics.h"
#include "sluice/connection.h"
#include "sluice/checkpoint.h"

namespace sluice::engine {

// sqlite3_wal_checkpoint_v2 in `mode` on `conn`. PASSIVE never waits; the other modes wait for
// readers/writers through SQLite's busy handler for up to busy_timeout_ms, then report busy.
// Records duration, frames written and the count in `metrics`. Throws Error on I/O errors.
// REQUIRES: conn is not inside a transaction.
CheckpointResult run_checkpoint(Connection& conn, CheckpointMode mode, int busy_timeout_ms,
                                EngineMetrics& metrics);

// Flushes the database file's written pages to disk through SQLite's own file handle (xSync;
// never a descriptor of ours, whose close would drop this process's POSIX locks on the file).
// A PASSIVE checkpoint that copies everything ends with this sync; doing it first, outside the
// writer lock, leaves the checkpoint's own sync only its last few pages. Throws Error(IoError).
void sync_database_file(Connection& conn);

}  // namespace sluice::engine
