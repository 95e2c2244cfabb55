// SqliteImage: an uploaded SQLite database file (POST /db/load with the "SQLite format 3\0"
// magic), checked, and copied into the live database inside one write job.
//
// Why not sqlite3_backup: the backup API refuses a destination with an open transaction, and
// every write job runs inside Sluice's group-commit transaction. Copying inside the job instead
// keeps the load one atomic job among the others: readers see the old contents or the new ones,
// never a mix, a failure rolls the job's savepoint back and leaves the old data, and writes
// before and after it are ordered by the batch like any other job.
//
// What is copied: every table (rows with their rowids), index, view and trigger of the image's
// main schema, sqlite_sequence, user_version and application_id. What is not: sqlite_stat1
// (run ANALYZE after a load), the page size and other file-level settings (the live file keeps
// its own). Virtual tables are refused (their shadow tables would be copied twice).
//
// Thread-safety: create on any thread; replace_contents() from one thread at a time (the writer
// runs one job at a time).
#pragma once

#include <memory>
#include <string>

struct sqlite3;

namespace sluice::server {

class SqliteImage {
 public:
  // The 16-byte header every SQLite database file starts with.
  static bool has_magic(const std::string& bytes);

  // Opens `bytes` as a read-only in-memory database and checks it: PRAGMA integrity_check must
  // say "ok", foreign_key_check must find nothing, and it must hold no virtual table. Throws
  // BadRequest naming what is wrong (a truncated or damaged file is "malformed").
  explicit SqliteImage(std::string bytes);
  ~SqliteImage();
  SqliteImage(const SqliteImage&) = delete;
  SqliteImage& operator=(const SqliteImage&) = delete;

  // Inside a write job on `dest` (the writer's connection): drops every table, view and trigger
  // of dest's main schema and recreates the image's, rows included. Throws sluice::Error on a
  // failure; the job's savepoint then undoes all of it.
  void replace_contents(sqlite3* dest) const;

 private:
  std::string bytes_;  // the deserialized pages live here: must outlive db_
  sqlite3* db_ = nullptr;
};

}  // namespace sluice::server
