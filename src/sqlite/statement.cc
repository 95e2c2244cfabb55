#include "sluice/statement.h"

#include <sqlite3.h>

#include <cctype>
#include <string>
#include <utility>

#include "sqlite/result_code.h"

namespace sluice {
namespace {

// Index of the first character of `sql` that is neither white space nor inside a comment
// (`-- ...` to the end of the line, `/* ... */`), as SQLite's tokenizer skips them.
std::size_t skip_space_and_comments(std::string_view sql) {
  std::size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) == "--") {
      const std::size_t eol = sql.find('\n', i);
      i = eol == std::string_view::npos ? sql.size() : eol + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      return i;
    }
  }
}

// True when the statement's first keyword ends or nests a transaction. Write jobs run inside the
// writer's transaction and must not touch it. Computed once per prepare. Comments before the
// keyword are skipped: "/* x */ COMMIT" is a COMMIT.
bool starts_transaction_control(std::string_view sql) {
  std::size_t i = skip_space_and_comments(sql);
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])) && word.size() < 10) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  }
  return word == "BEGIN" || word == "COMMIT" || word == "END" || word == "ROLLBACK" ||
         word == "SAVEPOINT" || word == "RELEASE";
}

}  // namespace

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db) noexcept
    : stmt_(stmt), db_(db), transaction_control_(starts_transaction_control(sqlite3_sql(stmt))) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(other.db_),
      transaction_control_(other.transaction_control_),
      in_use_(other.in_use_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    transaction_control_ = other.transaction_control_;
    in_use_ = other.in_use_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::fail(int rc) const { throw sqlite::make_error(rc, db_, sql()); }

void Statement::check_parameter_count(int given) const {
  int want = sqlite3_bind_parameter_count(stmt_);
  if (given != want) {
    throw Error(ErrorCode::InvalidArgument, std::string(sql()) + ": takes " + std::to_string(want) +
                                                " parameter(s), " + std::to_string(given) +
                                                " given");
  }
}

void Statement::bind_values(const std::vector<Value>& values) {
  check_parameter_count(static_cast<int>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) bind_value(static_cast<int>(i) + 1, values[i]);
}

void Statement::bind_null(int index) {
  if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) fail(rc);
}

void Statement::bind_int64(int index, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, index, v); rc != SQLITE_OK) fail(rc);
}

void Statement::bind_double(int index, double v) {
  if (int rc = sqlite3_bind_double(stmt_, index, v); rc != SQLITE_OK) fail(rc);
}

// Text and blobs are copied (SQLITE_TRANSIENT): a Query may step after the caller's temporary
// arguments are gone.
void Statement::bind_text(int index, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(rc);
}

void Statement::bind_blob(int index, BlobView v) {
  // A zero-length blob with a null pointer would bind NULL; bind an empty blob instead.
  static const char kEmpty = 0;
  const void* data = v.data != nullptr ? v.data : &kEmpty;
  if (int rc = sqlite3_bind_blob64(stmt_, index, data, v.size, SQLITE_TRANSIENT); rc != SQLITE_OK) {
    fail(rc);
  }
}

void Statement::bind_value(int index, const Value& v) {
  std::visit([&](const auto& x) { bind(index, x); }, v);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset so the statement's read/write lock is released at once; the error stays in rc.
  sqlite3_reset(stmt_);
  fail(rc);
}

int Statement::run() {
  struct ResetOnExit {
    Statement* s;
    ~ResetOnExit() { s->reset(); }
  } guard{this};
  while (step()) {
  }
  return sqlite3_changes(db_);
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::parameter_count() const noexcept { return sqlite3_bind_parameter_count(stmt_); }
int Statement::column_count() const noexcept { return sqlite3_column_count(stmt_); }

std::string_view Statement::column_name(int column) const {
  const char* name = sqlite3_column_name(stmt_, column);
  if (name == nullptr) {
    throw Error(ErrorCode::InvalidArgument,
                std::string(sql()) + ": no column " + std::to_string(column));
  }
  return name;
}

ColumnType Statement::column_type(int column) const noexcept {
  return static_cast<ColumnType>(sqlite3_column_type(stmt_, column));
}

bool Statement::column_is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const noexcept {
  return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::column_text(int column) const noexcept {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(n));
}

BlobView Statement::column_blob(int column) const noexcept {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return BlobView{p, static_cast<std::size_t>(n)};
}

Value Statement::column_value(int column) const {
  if (column < 0 || column >= column_count()) {
    throw Error(ErrorCode::InvalidArgument,
                std::string(sql()) + ": no column " + std::to_string(column));
  }
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER:
      return column_int64(column);
    case SQLITE_FLOAT:
      return column_double(column);
    case SQLITE_TEXT:
      return std::string(column_text(column));
    case SQLITE_BLOB: {
      BlobView b = column_blob(column);
      const auto* p = static_cast<const std::uint8_t*>(b.data);
      return Blob(p, p + b.size);
    }
    default:
      return nullptr;
  }
}

Row Statement::row() const {
  int n = column_count();
  std::vector<Value> values;
  values.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) values.push_back(column_value(i));
  return Row(std::move(values));
}

std::string_view Statement::sql() const noexcept {
  const char* s = stmt_ != nullptr ? sqlite3_sql(stmt_) : nullptr;
  return s != nullptr ? s : "";
}

// ---- Query --------------------------------------------------------------------------------------

Query::Query(Statement* cached, std::unique_ptr<Statement> owned) noexcept
    : stmt_(owned ? owned.get() : cached), owned_(std::move(owned)) {
  stmt_->in_use_ = true;
}

Query::Query(Query&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), owned_(std::move(other.owned_)) {}

Query::~Query() {
  if (stmt_ != nullptr) {
    stmt_->reset();
    stmt_->in_use_ = false;
  }
}

std::vector<Row> Query::all() {
  std::vector<Row> rows;
  while (next()) rows.push_back(row());
  return rows;
}

std::optional<Row> Query::one() {
  if (!next()) return std::nullopt;
  return row();
}

}  // namespace sluice
