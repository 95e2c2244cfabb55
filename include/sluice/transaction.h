// Transaction: what a write job sees. It runs on the Database's single writer thread, inside the
// current group-commit transaction and inside the job's own SAVEPOINT: if the job throws, only
// its own changes roll back and its caller gets the error; the rest of the batch commits.
//
// A job must not control the transaction itself: exec()/query() refuse BEGIN, COMMIT, END,
// ROLLBACK, SAVEPOINT and RELEASE with Error(InvalidArgument).
//
// Thread-safety: valid only inside the job, on the writer thread. Do not keep references to it.
#pragma once

#include <cstdint>
#include <string_view>

#include "sluice/connection.h"

namespace sluice {

namespace engine {
class Writer;
}

class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs one statement with parameters (cached). Returns rows changed. Throws Error naming the
  // SQL: Constraint, Sql, ... — letting it escape the job fails this job alone.
  template <class... A>
  int exec(std::string_view sql, const A&... args) {
    Query q = prepare(sql);
    q.bind_all(args...);
    q.run();
    return conn_.changes();
  }

  // As exec(), with parameters known only at run time.
  int exec_values(std::string_view sql, const std::vector<Value>& params);

  // Starts a query (sees this batch's uncommitted changes). See Connection::query.
  template <class... A>
  Query query(std::string_view sql, const A&... args) {
    Query q = prepare(sql);
    q.bind_all(args...);
    return q;
  }

  std::int64_t last_insert_rowid() const noexcept { return conn_.last_insert_rowid(); }
  int changes() const noexcept { return conn_.changes(); }

  // The writer's connection, for calls this class does not wrap. Do not BEGIN/COMMIT on it.
  Connection& connection() noexcept { return conn_; }

 private:
  friend class engine::Writer;
  explicit Transaction(Connection& conn) noexcept : conn_(conn) {}
  // Connection::prepare_query, refusing transaction control with Error(InvalidArgument).
  Query prepare(std::string_view sql);

  Connection& conn_;
};

}  // namespace sluice
