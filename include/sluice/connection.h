// Connection: one SQLite connection (RAII over sqlite3*) with a prepared-statement cache.
//
// Sluice hands you a Connection inside Database::read() (a pooled, read-only connection) and
// behind a Transaction inside Database::write(). You can also open one directly, e.g. to compare
// against plain SQLite, as `sluice bench` does for its `vanilla` and `tuned` modes.
//
// Thread-safety: a Connection is used by one thread at a time (SQLite's THREADSAFE=1 would make
// concurrent use safe, but it serialises on the connection mutex and statements are shared
// state). Moving it to another thread between uses is fine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/statement.h"

struct sqlite3;

namespace sluice {

// How to open a connection.
struct OpenOptions {
  enum class Mode { ReadWriteCreate, ReadWrite, ReadOnly };
  Mode mode = Mode::ReadWriteCreate;
  // Name of a registered SQLite VFS, empty for the default one.
  std::string vfs;
  // Create missing parent directories of the file (only with ReadWriteCreate).
  bool create_parent_dirs = false;

  static OpenOptions read_only() {
    OpenOptions o;
    o.mode = Mode::ReadOnly;
    return o;
  }
};

class Connection {
 public:
  // Opens `path`. Throws Error(CantOpen) naming the path when the file or its directory cannot be
  // opened (missing, permissions), Error(InvalidArgument) for an empty path.
  // The connection uses SQLITE_OPEN_NOMUTEX: Sluice never shares a connection between threads.
  static Connection open(const std::string& path, const OpenOptions& options = {});

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  ~Connection();  // finalizes cached statements and closes; never throws

  // Runs one statement with parameters to completion, through the statement cache.
  // Returns the number of rows changed (sqlite3_changes). Throws Error naming the SQL.
  template <class... A>
  int exec(std::string_view sql, const A&... args) {
    Query q = prepare_query(sql);
    q.bind_all(args...);
    q.run();
    return changes();
  }

  // Starts a query with parameters, through the statement cache. Read rows with the returned
  // Query (next/get, all, one, scalar). Throws Error naming the SQL.
  template <class... A>
  Query query(std::string_view sql, const A&... args) {
    Query q = prepare_query(sql);
    q.bind_all(args...);
    return q;
  }

  // A Query over the cached statement for `sql`, nothing bound yet. When that statement is
  // already being stepped by another live Query, a fresh uncached statement is used instead.
  Query prepare_query(std::string_view sql);

  // Runs a script of ';'-separated statements without parameters (sqlite3_exec); uncached.
  void exec_script(std::string_view sql);

  // The cached prepared statement for `sql`, reset and with bindings cleared; prepared on first
  // use. The reference stays valid until the connection closes. Throws Error(Sql) on bad SQL.
  // Do not use it while a Query over the same SQL is live (prefer query()/exec()).
  Statement& cached(std::string_view sql);
  // A fresh prepared statement, not cached.
  Statement prepare(std::string_view sql);

  // `PRAGMA name` → its first column as text ("" when it returns no row), e.g. "wal".
  std::string pragma(std::string_view name);

  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;          // rows changed by the last statement
  bool in_transaction() const noexcept;  // !sqlite3_get_autocommit
  bool read_only() const noexcept;
  const std::string& path() const noexcept;

  // The SQL of the last query()/exec()/prepare_query() on this connection ("" before any): what
  // a long-running read was doing, for Stats::long_read_sql.
  const std::string& last_sql() const noexcept;

  // Statement-cache figures: statements held, and how many prepares it has done (misses).
  std::size_t statement_cache_size() const noexcept;
  std::uint64_t statements_prepared() const noexcept;

  // The underlying handle, for the sqlite3_* calls Sluice does not wrap.
  sqlite3* native_handle() const noexcept;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl) noexcept;

  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
