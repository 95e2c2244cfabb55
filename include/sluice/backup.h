// Online backup: a consistent, integrity-checked copy of a live SQLite database.
//
//   sluice::BackupResult r = sluice::backup_file("data/app.db", "backups/app-2026-12-02.db");
//   // or, from an open Database:  db.backup_to("backups/app.db");
//
// How. One read-only connection opens ONE read transaction and keeps it for the whole copy, so
// the copy is the database exactly as of the moment that transaction began: every write
// acknowledged before backup_file() was called is in it, nothing committed later is. SQLite's
// online backup API (sqlite3_backup_step) then copies pages in steps of `step_pages` inside
// that same read transaction — it never restarts however fast other connections or processes
// write, so it always finishes. Writers are never blocked; in WAL mode the open read
// transaction only keeps the checkpointer from copying frames newer than it back (the WAL
// grows meanwhile and shrinks after). The copy goes to `<dest>.tmp-<pid>` beside `dest`, is
// turned into a self-contained rollback-journal file (journal_mode=DELETE: no -wal needed),
// checked with PRAGMA integrity_check, fsynced, renamed to `dest`, and the directory fsynced.
//
// Thread-safety: backup_file() may run from any thread, concurrently with anything else
// (each call uses its own connections). The progress callback runs on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace sluice {

struct BackupProgress {
  std::int64_t pages_copied = 0;
  std::int64_t pages_total = 0;  // pages in the snapshot being copied
};

struct BackupOptions {
  // Replace `dest` if it exists. Without it an existing `dest` fails with InvalidArgument.
  bool overwrite = false;
  // Pages copied per sqlite3_backup_step (each step holds no lock that writers need).
  int step_pages = 1024;
  // Run PRAGMA integrity_check on the copy before renaming it (a full read of the copy).
  bool integrity_check = true;
  // Called after every step; may be empty.
  std::function<void(const BackupProgress&)> progress;
};

struct BackupResult {
  std::string path;            // dest
  std::int64_t pages = 0;      // pages in the copy
  std::int64_t page_size = 0;  // bytes
  std::int64_t bytes = 0;      // size of the copy
  double duration_ms = 0;      // the whole call, check and fsyncs included
  double integrity_ms = 0;     // of which integrity_check
};

// Copies the SQLite database at `source` (any SQLite file, WAL or rollback journal, written by
// Sluice or not) to `dest` as described above. On failure the temporary file is removed and
// `dest` is untouched.
// Throws Error: InvalidArgument (dest exists without overwrite, dest's directory missing, or
// source == dest), CantOpen / NotADatabase (source), IoError / DiskFull (writing the copy),
// Corrupt (the copy failed integrity_check; the message has the first problems).
BackupResult backup_file(const std::string& source, const std::string& dest,
                         const BackupOptions& options = {});

}  // namespace sluice
