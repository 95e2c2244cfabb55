// SqlRunner: runs the statements of one HTTP request on one SQLite connection and collects
// rqlite-shaped results. Used inside Database::read() (read path) and inside a write job
// (write path); the caller owns the transaction.
//
// Per statement string (which may hold several ';'-separated statements, each prepared in turn
// over the tail): the result is that of the last statement, and the first error stops the
// string, as go-sqlite3's Exec does for rqlite. After a statement without result columns,
// last_insert_id and rows_affected are sqlite3_last_insert_rowid() and sqlite3_changes64()
// taken verbatim — after DDL too, where they are the previous statement's values (rqlite
// reports them so, and the rqlite-js suite asserts it).
//
// Thread-safety: one runner per thread, on a connection that thread holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/request_parser.h"
#include "server/sql_guard.h"
#include "server/statement_cache.h"
#include "sluice/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::server {

// The outcome of one request element.
struct StatementResult {
  std::string error;         // "" = success
  bool has_columns = false;  // returned a result set (SELECT, RETURNING, PRAGMA ...)
  std::vector<std::string> columns;
  std::vector<std::string> types;  // declared types, lower-cased; from the first row if none
  std::vector<bool> text_columns;  // declared with TEXT affinity: BLOBs there render as text
  std::vector<Row> rows;
  std::int64_t last_insert_id = 0;
  std::int64_t rows_affected = 0;
  double seconds = 0;  // wall time of the statement (?timings)
};

struct RunLimits {
  // Read path only: interrupt a statement running past this (steady clock); max() = none.
  // (On the writer an interrupt would roll back the whole group-commit transaction.)
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::size_t max_rows = 0;   // per statement; 0 = no limit
  std::size_t max_bytes = 0;  // of values per statement (text and blob bytes, 8 per number)
};

class SqlRunner {
 public:
  enum class Path { Read, Write };

  // `guard` is installed on `db` here; user statements are prepared under its policy for
  // `path`. With a `cache` (the writer's, Path::Write only), a statement string that is one
  // statement is taken from it and given back after use instead of prepared and finalized.
  SqlRunner(sqlite3* db, SqlGuard& guard, Path path, const RunLimits& limits,
            StatementCache* cache = nullptr);
  ~SqlRunner();
  SqlRunner(const SqlRunner&) = delete;
  SqlRunner& operator=(const SqlRunner&) = delete;

  StatementResult run(const SqlStatement& statement);

  // Read path: true when every statement of `statement` prepares under the read guard (used to
  // route /db/request). Nothing is executed.
  bool prepares_as_read(const SqlStatement& statement);

  // Write path: true when the last error made SQLite roll back the whole transaction
  // (INSERT OR ROLLBACK, RAISE(ROLLBACK), SQLITE_FULL, ...): the group-commit batch is lost.
  bool transaction_lost() const;

 private:
  sqlite3* db_;
  Path path_;
  RunLimits limits_;
  StatementCache* cache_;
  // Prepares the next statement of [tail, end) under the guard; on failure sets `error`.
  int prepare(const char*& tail, const char* end, sqlite3_stmt** stmt, std::string* error);
};

// Runs a write request's statements inside a write job. `transaction`: one savepoint around all
// of them; the first error rolls them all back and ends the list (later statements get no
// result), as rqlite's ?transaction does. Without it, each statement stands alone: a failing
// one is undone by SQLite's statement journal and the others keep their effects.
// Throws Error(Internal) when SQLite rolled back the whole transaction (see transaction_lost).
// `cache`: the writer connection's statement cache (may be null).
std::vector<StatementResult> run_write_request(sqlite3* db, SqlGuard& guard,
                                               const std::vector<SqlStatement>& statements,
                                               bool transaction, const RunLimits& limits,
                                               StatementCache* cache = nullptr);

}  // namespace sluice::server
