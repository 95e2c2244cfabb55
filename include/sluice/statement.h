// Statement: one prepared SQLite statement (RAII over sqlite3_stmt), with typed binding and
// typed column access. Query: a running statement whose rows are read one at a time.
//
// Parameters are 1-based (as in SQLite); columns are 0-based.
//
// Thread-safety: a Statement belongs to its Connection and is used by one thread at a time,
// like the connection itself.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sluice {

class Connection;

class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();  // finalizes; never throws

  // Binds one parameter (1-based). Accepts integers and bool (INTEGER), floating point (REAL),
  // anything convertible to std::string_view (TEXT, copied), Blob / BlobView (BLOB, copied),
  // nullptr (NULL), Value, and std::optional<T> (NULL when empty).
  // Throws Error(InvalidArgument) when `index` is out of range.
  template <class T>
  void bind(int index, const T& v) {
    if constexpr (std::is_same_v<T, std::nullptr_t>) {
      bind_null(index);
    } else if constexpr (detail::IsOptional<T>::value) {
      if (v) {
        bind(index, *v);
      } else {
        bind_null(index);
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      bind_int64(index, v ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      bind_int64(index, static_cast<std::int64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      bind_double(index, static_cast<double>(v));
    } else if constexpr (std::is_same_v<T, Blob>) {
      bind_blob(index, BlobView{v.data(), v.size()});
    } else if constexpr (std::is_same_v<T, BlobView>) {
      bind_blob(index, v);
    } else if constexpr (std::is_same_v<T, Value>) {
      bind_value(index, v);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      bind_text(index, std::string_view(v));
    } else {
      static_assert(detail::kAlwaysFalse<T>,
                    "sluice: cannot bind this type; use integers, floating point, text, Blob, "
                    "nullptr, Value or std::optional of those");
    }
  }

  // Binds args to parameters 1..N in order. Throws Error(InvalidArgument) when the statement
  // takes a different number of parameters.
  template <class... A>
  void bind_all(const A&... args) {
    check_parameter_count(static_cast<int>(sizeof...(A)));
    int i = 0;
    (bind(++i, args), ...);
  }
  void bind_values(const std::vector<Value>& values);

  void bind_null(int index);
  void bind_int64(int index, std::int64_t v);
  void bind_double(int index, double v);
  void bind_text(int index, std::string_view v);
  void bind_blob(int index, BlobView v);
  void bind_value(int index, const Value& v);

  // Advances: true when a row is available, false when the statement is done.
  // Throws Error with SQLite's extended code (e.g. Constraint, Busy, ReadOnly) naming the SQL.
  bool step();
  // Runs to completion (discarding rows); returns sqlite3_changes() of the connection.
  int run();
  // Resets to run again and clears bindings; ends any read it holds open. Never throws.
  void reset() noexcept;

  int parameter_count() const noexcept;
  int column_count() const noexcept;
  std::string_view column_name(int column) const;
  ColumnType column_type(int column) const noexcept;
  bool column_is_null(int column) const noexcept;
  std::int64_t column_int64(int column) const noexcept;
  double column_double(int column) const noexcept;
  // Valid until the next step(), reset() or column access of another type on this column.
  std::string_view column_text(int column) const noexcept;
  BlobView column_blob(int column) const noexcept;
  Value column_value(int column) const;
  // All columns of the current row, owned.
  Row row() const;

  // Column `column` of the current row as T: integers, bool, floating point, std::string,
  // std::string_view (valid until the next step), Blob, Value, or std::optional<T>.
  // Throws Error(InvalidArgument) on a type mismatch (e.g. NULL into a non-optional).
  template <class T>
  T get(int column) const {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return column_text(column);
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      if (column_type(column) == ColumnType::Integer) return column_int64(column);
      return detail::value_as<T>(column_value(column), column);
    } else if constexpr (std::is_same_v<T, double>) {
      auto t = column_type(column);
      if (t == ColumnType::Real || t == ColumnType::Integer) return column_double(column);
      return detail::value_as<T>(column_value(column), column);
    } else {
      return detail::value_as<T>(column_value(column), column);
    }
  }

  std::string_view sql() const noexcept;
  // True for BEGIN/COMMIT/END/ROLLBACK/SAVEPOINT/RELEASE, which a write job must not run.
  bool is_transaction_control() const noexcept { return transaction_control_; }
  // True when the statement is being stepped by a live Query (used by the statement cache).
  bool in_use() const noexcept { return in_use_; }

 private:
  friend class Connection;
  friend class Query;
  Statement(sqlite3_stmt* stmt, sqlite3* db) noexcept;
  void check_parameter_count(int given) const;
  [[noreturn]] void fail(int rc) const;

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  bool transaction_control_ = false;
  bool in_use_ = false;
};

// A statement being stepped. Created by Connection::query(); resets its statement when
// destroyed (so a pooled connection never keeps a read transaction open by accident).
// Must not outlive the Connection (or read()/write() callback) it came from.
class Query {
 public:
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  ~Query();

  // Binds args to parameters 1..N (see Statement::bind_all).
  template <class... A>
  void bind_all(const A&... args) {
    stmt_->bind_all(args...);
  }
  void bind_values(const std::vector<Value>& values) { stmt_->bind_values(values); }
  // Steps to the next row; false when done. Throws Error like Statement::step().
  bool next() { return stmt_->step(); }
  // Steps through every remaining row, discarding them (for INSERT/UPDATE/DELETE).
  void run() {
    while (stmt_->step()) {
    }
  }
  const Statement& statement() const noexcept { return *stmt_; }
  // Column of the current row (see Statement::get).
  template <class T>
  T get(int column) const {
    return stmt_->get<T>(column);
  }
  Row row() const { return stmt_->row(); }
  int column_count() const noexcept { return stmt_->column_count(); }
  std::string_view column_name(int column) const { return stmt_->column_name(column); }

  // All remaining rows.
  std::vector<Row> all();
  // The next row, or nullopt when there is none.
  std::optional<Row> one();
  // Column 0 of the next row as T. Throws Error(InvalidArgument) when there is no row.
  template <class T>
  T scalar() {
    if (!next())
      throw Error(ErrorCode::InvalidArgument,
                  "query returned no row: " + std::string(stmt_->sql()));
    return get<T>(0);
  }

 private:
  friend class Connection;
  Query(Statement* cached, std::unique_ptr<Statement> owned) noexcept;

  Statement* stmt_;
  std::unique_ptr<Statement> owned_;  // set when the cached statement was already in use
};

}  // namespace sluice
