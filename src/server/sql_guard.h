// What user SQL may do on each path of the server.
//
// The read path (/db/query, the read-only half of /db/request) must not be able to write, even
// though the connection it runs on is already a read-only pooled one: an SQLite authorizer
// (sqlite.org/c3ref/set_authorizer.html) refuses at prepare time every action that is not a
// read — INSERT/UPDATE/DELETE, CREATE/DROP/ALTER, ATTACH and DETACH (on a read-only connection
// ATTACH would still open, and with a URI even create, another file), transaction control,
// load_extension(), and every PRAGMA except the plain queries and a list of read-only ones.
// sqlite3_stmt_readonly() alone is not enough: it calls ATTACH, DETACH and some PRAGMAs
// read-only.
//
// The write path (/db/execute) runs user SQL inside Sluice's group-commit transaction, so the
// same authorizer refuses there what would break that transaction, the engine's settings or
// the file set: BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE, ATTACH, DETACH (SQLite
// allows ATTACH inside a transaction, and the writer would keep the attachment),
// load_extension(), and the pragmas rqlite refuses (journal_mode=, synchronous=,
// wal_autocheckpoint=, query_only=, wal_checkpoint) plus locking_mode= and writable_schema=.
//
// Thread-safety: SqlGuard::install is safe from any thread; a Scope belongs to its thread.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

struct sqlite3;

namespace sluice::server {

// True for a PRAGMA rqlite refuses as a whole request ({"results":[],"error":"disallowed
// pragma"}): journal_mode=, synchronous=, wal_autocheckpoint=, query_only=, locking_mode=,
// writable_schema= and wal_checkpoint in any form. `sql` is the start of a statement string;
// leading whitespace and comments are skipped, keywords match in any case.
bool is_refused_pragma(std::string_view sql);

// The authorizer, installed once on each connection the server runs user SQL on and active
// only while a Scope is alive on the calling thread — so the engine's own statements on the
// same connection are never checked. Installing once matters: sqlite3_set_authorizer()
// expires every prepared statement of the connection. It must be in force at prepare time:
// some PRAGMAs (query_only, foreign_keys, ...) take effect while being prepared, before any
// check of the statement's text or of sqlite3_stmt_readonly() could run.
class SqlGuard {
 public:
  enum class Policy { Read, Write };

  // Installs the authorizer on `db` the first time this guard sees it. The server's
  // connections (the writer's, the pool's) live as long as their Database, which outlives the
  // guard's owner, so a handle seen once stays installed.
  void install(sqlite3* db);

  // While alive, statements prepared on this thread are checked against `policy`. denied()
  // says why the last refusal happened ("" when none): the prepare fails with SQLite's
  // "not authorized" and this is the message to show instead.
  class Scope {
   public:
    explicit Scope(Policy policy);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Policy policy() const noexcept { return policy_; }
    const std::string& denied() const noexcept { return denied_; }
    void record(std::string reason) { denied_ = std::move(reason); }

   private:
    Policy policy_;
    Scope* previous_;
    std::string denied_;
  };

 private:
  std::mutex mutex_;
  std::unordered_set<sqlite3*> installed_;  // guarded by mutex_
};

}  // namespace sluice::server
