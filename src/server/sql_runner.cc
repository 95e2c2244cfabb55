#include "server/sql_runner.h"

#include <sqlite3.h>

#include <cctype>
#include <memory>
#include <string_view>
#include <variant>

#include "sluice/error.h"

namespace sluice::server {
namespace {

using Clock = std::chrono::steady_clock;

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// A statement that goes back to `cache` when done with (finalized when there is none).
class CachedStmt {
 public:
  CachedStmt(StatementCache* cache, std::string_view sql, sqlite3_stmt* stmt)
      : cache_(cache), sql_(sql), stmt_(stmt) {}
  ~CachedStmt() {
    if (stmt_ == nullptr) return;
    if (cache_ != nullptr) {
      cache_->put(sql_, stmt_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }
  CachedStmt(const CachedStmt&) = delete;
  CachedStmt& operator=(const CachedStmt&) = delete;
  sqlite3_stmt* get() const noexcept { return stmt_; }
  explicit operator bool() const noexcept { return stmt_ != nullptr; }

 private:
  StatementCache* cache_;
  std::string_view sql_;
  sqlite3_stmt* stmt_;
};

int progress(void* arg) {
  const auto* deadline = static_cast<const Clock::time_point*>(arg);
  return Clock::now() > *deadline ? 1 : 0;
}

std::string lower(const char* s) {
  std::string out = s ? s : "";
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// SQLite's rule for TEXT affinity (sqlite.org/datatype3.html 3.1): CHAR, CLOB or TEXT in the
// declared type. JSON is text too, as rqlite renders it.
bool text_affinity(const std::string& decl) {
  return decl.find("char") != std::string::npos || decl.find("clob") != std::string::npos ||
         decl.find("text") != std::string::npos || decl == "json";
}

const char* type_of_value(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "integer";
    case SQLITE_FLOAT:
      return "real";
    case SQLITE_TEXT:
      return "text";
    case SQLITE_BLOB:
      return "blob";
    default:
      return "";
  }
}

void bind(sqlite3_stmt* stmt, int index, const Value& v) {
  // SQLITE_STATIC: the values outlive the statement (both belong to this request).
  if (std::holds_alternative<std::nullptr_t>(v)) {
    sqlite3_bind_null(stmt, index);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    sqlite3_bind_int64(stmt, index, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    sqlite3_bind_double(stmt, index, *d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
  } else if (const auto* b = std::get_if<Blob>(&v)) {
    sqlite3_bind_blob64(stmt, index, b->data(), b->size(), SQLITE_STATIC);
  }
}

// Binds the statement's share of the request's parameters: positional ones in order from
// `next_positional` (consumed across the statements of a multi-statement string, as go-sqlite3
// does), named ones wherever the statement names them with :, @ or $.
void bind_parameters(sqlite3_stmt* stmt, const SqlStatement& s, std::size_t& next_positional) {
  const int count = sqlite3_bind_parameter_count(stmt);
  for (int i = 1; i <= count && next_positional < s.positional.size(); ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    if (name != nullptr && name[0] != '?') continue;  // a named slot
    bind(stmt, i, s.positional[next_positional++]);
  }
  for (const auto& [name, value] : s.named) {
    for (char prefix : {':', '@', '$'}) {
      const std::string full = prefix + name;
      if (int i = sqlite3_bind_parameter_index(stmt, full.c_str()); i > 0) bind(stmt, i, value);
    }
  }
}

Value column_value(sqlite3_stmt* stmt, int i, std::size_t& bytes) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      bytes += 8;
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      bytes += 8;
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      bytes += n;
      return std::string(p, n);
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
      const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      bytes += n;
      return Blob(p, p + n);
    }
    default:
      return nullptr;
  }
}

}  // namespace

SqlRunner::SqlRunner(sqlite3* db, SqlGuard& guard, Path path, const RunLimits& limits,
                     StatementCache* cache)
    : db_(db), path_(path), limits_(limits), cache_(path == Path::Write ? cache : nullptr) {
  guard.install(db_);
  if (path_ == Path::Read) {
    if (limits_.deadline != Clock::time_point::max()) {
      sqlite3_progress_handler(db_, 1000, &progress, &limits_.deadline);
    }
  }
}

SqlRunner::~SqlRunner() {
  if (path_ == Path::Read) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
}

bool SqlRunner::transaction_lost() const { return sqlite3_get_autocommit(db_) != 0; }

int SqlRunner::prepare(const char*& tail, const char* end, sqlite3_stmt** stmt,
                       std::string* error) {
  SqlGuard::Scope scope(path_ == Path::Read ? SqlGuard::Policy::Read : SqlGuard::Policy::Write);
  const int rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), stmt, &tail);
  if (rc != SQLITE_OK && error != nullptr) {
    // A refusal by the guard can surface as SQLITE_AUTH or as SQLITE_ERROR ("not authorized
    // to use function"); the guard's reason is the clearer message.
    *error = scope.denied().empty() ? sqlite3_errmsg(db_) : scope.denied();
  }
  if (rc != SQLITE_OK && error == nullptr && !scope.denied().empty()) return SQLITE_AUTH;
  return rc;
}

bool SqlRunner::prepares_as_read(const SqlStatement& s) {
  const char* tail = s.sql.data();
  const char* end = tail + s.sql.size();
  while (tail < end) {
    sqlite3_stmt* raw = nullptr;
    const int rc = prepare(tail, end, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc == SQLITE_AUTH) return false;
    if (rc != SQLITE_OK) return true;  // a syntax error is reported by run()
  }
  return true;
}

StatementResult SqlRunner::run(const SqlStatement& s) {
  const auto start = Clock::now();
  StatementResult r;
  std::size_t next_positional = 0;
  const char* tail = s.sql.data();
  const char* end = tail + s.sql.size();
  while (tail < end) {
    const bool first = tail == s.sql.data();
    sqlite3_stmt* raw = first && cache_ ? cache_->take(s.sql) : nullptr;
    int rc = SQLITE_OK;
    std::string error;
    if (raw != nullptr) {
      tail = end;
    } else {
      rc = prepare(tail, end, &raw, &error);
    }
    // The whole string is this one statement: back to the cache after use (error or not).
    CachedStmt stmt{first && tail == end ? cache_ : nullptr, s.sql, raw};
    if (rc != SQLITE_OK) {
      r = StatementResult{};
      r.error = std::move(error);
      break;
    }
    if (!stmt) continue;  // only whitespace or a comment
    bind_parameters(stmt.get(), s, next_positional);
    r = StatementResult{};
    const int ncol = sqlite3_column_count(stmt.get());
    r.has_columns = ncol > 0;
    for (int i = 0; i < ncol; ++i) {
      r.columns.emplace_back(sqlite3_column_name(stmt.get(), i));
      r.types.push_back(lower(sqlite3_column_decltype(stmt.get(), i)));
      r.text_columns.push_back(text_affinity(r.types.back()));
    }
    std::size_t bytes = 0;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      std::vector<Value> row;
      row.reserve(static_cast<std::size_t>(ncol));
      for (int i = 0; i < ncol; ++i) {
        if (r.rows.empty() && r.types[static_cast<std::size_t>(i)].empty()) {
          r.types[static_cast<std::size_t>(i)] = type_of_value(sqlite3_column_type(stmt.get(), i));
        }
        row.push_back(column_value(stmt.get(), i, bytes));
      }
      r.rows.emplace_back(std::move(row));
      if ((limits_.max_rows != 0 && r.rows.size() > limits_.max_rows) ||
          (limits_.max_bytes != 0 && bytes > limits_.max_bytes)) {
        rc = SQLITE_TOOBIG;
        break;
      }
    }
    if (rc == SQLITE_TOOBIG) {
      r = StatementResult{};
      r.error = "result too large: over " + std::to_string(limits_.max_rows) + " rows or " +
                std::to_string(limits_.max_bytes) +
                " bytes (--max-result-rows, --max-result-bytes)";
      break;
    }
    if (rc != SQLITE_DONE) {
      const bool timeout = rc == SQLITE_INTERRUPT && Clock::now() > limits_.deadline;
      const bool read_only = (rc & 0xFF) == SQLITE_READONLY && path_ == Path::Read;
      r = StatementResult{};
      r.error = timeout     ? "query timeout"
                : read_only ? "attempt to change database via query operation"
                            : sqlite3_errmsg(db_);
      break;
    }
    if (!r.has_columns) {
      r.last_insert_id = sqlite3_last_insert_rowid(db_);
      r.rows_affected = sqlite3_changes64(db_);
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

std::vector<StatementResult> run_write_request(sqlite3* db, SqlGuard& guard,
                                               const std::vector<SqlStatement>& statements,
                                               bool transaction, const RunLimits& limits,
                                               StatementCache* cache) {
  SqlRunner runner(db, guard, SqlRunner::Path::Write, limits, cache);
  std::vector<StatementResult> results;
  results.reserve(statements.size());
  auto exec = [&](const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw Error(ErrorCode::Internal, std::string(sql) + ": " + sqlite3_errmsg(db));
    }
  };
  if (transaction) exec("SAVEPOINT sluice_request");
  for (const SqlStatement& s : statements) {
    results.push_back(runner.run(s));
    if (results.back().error.empty()) continue;
    if (runner.transaction_lost()) {
      throw Error(ErrorCode::Internal,
                  "a statement rolled back the whole group-commit transaction (" +
                      results.back().error + "); nothing of this batch was committed");
    }
    if (transaction) {
      exec("ROLLBACK TO sluice_request");
      break;
    }
  }
  if (transaction) exec("RELEASE sluice_request");
  return results;
}

}  // namespace sluice::server
