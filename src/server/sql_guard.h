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
// The write path (/db/execute) runs user SQL inside Sluice's group-commit transaction, so it
// refuses what would break that transaction or the engine's settings: BEGIN, COMMIT, END,
// ROLLBACK, SAVEPOINT, RELEASE, and the pragmas rqlite refuses (journal_mode=, synchronous=,
// wal_autocheckpoint=, query_only=, wal_checkpoint) plus locking_mode= and writable_schema=.
//
// Thread-safety: ReadGuard::install is safe from any thread; a ReadScope is per thread.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

struct sqlite3;

namespace sluice::server {

// True for a PRAGMA the writer refuses (see above). `sql` is one statement's text; leading
// whitespace and comments are skipped, keywords match in any case.
bool is_refused_pragma(std::string_view sql);
// True for BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT and RELEASE.
bool is_transaction_control(std::string_view sql);

// The read-only authorizer, installed once on each pooled read connection and active only on
// the thread inside a ReadScope (so the engine's own statements on that connection are never
// affected). Installing once matters: sqlite3_set_authorizer() expires every prepared statement
// of the connection.
class ReadGuard {
 public:
  // Installs the authorizer on `db` the first time this guard sees it. The pool's connections
  // live as long as their Database, which outlives the server that owns this guard, so a handle
  // seen once stays installed.
  void install(sqlite3* db);

  // While alive, statements prepared on this thread are checked. denied() says why the last
  // refusal happened ("" when none).
  class Scope {
   public:
    Scope();
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    const std::string& denied() const noexcept { return denied_; }
    void record(std::string reason) { denied_ = std::move(reason); }

   private:
    Scope* previous_;
    std::string denied_;
  };

 private:
  std::mutex mutex_;
  std::unordered_set<sqlite3*> installed_;  // guarded by mutex_
};

}  // namespace sluice::server
