// The copy at the heart of backup_file() and of a replica's generation snapshot: the pages of
// the read transaction that `source` holds, copied with sqlite3_backup_step into a new
// self-contained file (journal_mode=DELETE), integrity-checked, fsynced, renamed into place.
//
// Thread-safety: uses `source` on the calling thread only; `source` must not be used elsewhere
// meanwhile.
#pragma once

#include <string>

#include "sluice/backup.h"
#include "sluice/connection.h"

namespace sluice::backup {

// Begins a read transaction on `conn` (BEGIN; a read of sqlite_schema) and keeps it open.
// Throws as Connection::exec.
void begin_read_snapshot(Connection& conn);

// REQUIRES: `source` holds a read transaction (begin_read_snapshot); it is still open after.
// Writes the copy to `dest` (through `dest`.tmp-<pid>). Throws as backup_file() documents.
BackupResult copy_snapshot(Connection& source, const std::string& dest,
                           const BackupOptions& options);

}  // namespace sluice::backup
