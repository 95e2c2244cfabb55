// Running a WAL checkpoint on a connection and measuring it.
#pragma once

#include "engine/engine_metrics.h"
#include "sluice/connection.h"
#include "sluice/database.h"

namespace sluice::engine {

// sqlite3_wal_checkpoint_v2 in `mode` on `conn`. PASSIVE never waits; the other modes wait for
// readers/writers through SQLite's busy handler for up to busy_timeout_ms, then report busy.
// Records duration, frames written and the count in `metrics`. Throws Error on I/O errors.
// REQUIRES: conn is not inside a transaction.
CheckpointResult run_checkpoint(Connection& conn, CheckpointMode mode, int busy_timeout_ms,
                                EngineMetrics& metrics);

}  // namespace sluice::engine
