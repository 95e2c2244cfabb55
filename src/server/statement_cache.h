// StatementCache: the write path's prepared statements, kept across requests by their SQL text.
//
// rqlite clients send the same statements again and again with new parameters; preparing one
// (sqlite3_prepare_v2: tokenizer, parser, code generator) was the largest single cost of a
// one-row INSERT request (~17% of the server's instructions per request under callgrind, see
// docs/server.md). Only a statement string that is exactly one statement is cached, and only
// on the writer's connection, where every statement is prepared under the same guard policy
// (SqlGuard::Policy::Write) — so a cached statement is one the guard already allowed. It is not
// the engine's Connection::cached(): user SQL must never find the engine's own BEGIN/COMMIT.
//
// A statement the schema changed under is re-prepared by SQLite inside sqlite3_step
// (sqlite3_prepare_v2 semantics); one whose table is gone fails there with SQLite's message.
//
// Thread-safety: none. Used only inside write jobs, which the engine runs one at a time; the
// engine's hand-off between jobs orders the accesses. Must be destroyed before the connection
// closes (the Api, which owns it, goes before its Database).
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

struct sqlite3_stmt;

namespace sluice::server {

class StatementCache {
 public:
  // At most `capacity` statements; the least recently used one is finalized to make room.
  explicit StatementCache(std::size_t capacity = 128) : capacity_(capacity) {}
  ~StatementCache();  // finalizes every statement
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement prepared for exactly `sql`, taken out of the cache (the caller owns it until
  // it gives it back with put()), or nullptr.
  sqlite3_stmt* take(std::string_view sql);
  // Gives `stmt` (prepared from exactly `sql`) to the cache, reset and with its bindings
  // cleared.
  void put(std::string_view sql, sqlite3_stmt* stmt);

 private:
  using Entry = std::pair<std::string, sqlite3_stmt*>;
  const std::size_t capacity_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_
};

}  // namespace sluice::server
