#include "server/sqlite_image.h"

#include <sqlite3.h>

#include <string_view>
#include <utility>
#include <vector>

#include "server/request_parser.h"
#include "sluice/error.h"

namespace sluice::server {
namespace {

constexpr std::string_view kMagic{"SQLite format 3\0", 16};
// File format bytes (sqlite.org/fileformat.html 1.3.3): 2 = WAL. An in-memory database cannot
// be in WAL mode, so an image taken from a WAL database is read as a rollback-journal one.
constexpr std::size_t kWriteVersionOffset = 18;
constexpr std::size_t kReadVersionOffset = 19;

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string text(sqlite3_stmt* s, int column) {
  const auto* p = sqlite3_column_text(s, column);
  return p ? reinterpret_cast<const char*>(p) : "";
}

// Prepares `sql` on `db`; throws Error with SQLite's message (or returns null when `optional`).
StmtPtr prepare(sqlite3* db, const std::string& sql, bool optional = false) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    if (optional) return nullptr;
    throw Error(ErrorCode::InvalidArgument,
                std::string(sqlite3_errmsg(db)) + " (loading: " + sql.substr(0, 200) + ")");
  }
  return stmt;
}

// Steps to the next row; false at the end. Throws Error with SQLite's message.
bool next_row(sqlite3* db, sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(ErrorCode::InvalidArgument,
              std::string(sqlite3_errmsg(db)) + " (loading: " + sqlite3_sql(stmt) + ")");
}

void run(sqlite3* db, const std::string& sql) {
  StmtPtr stmt = prepare(db, sql);
  while (next_row(db, stmt.get())) {
  }
}

struct SchemaObject {
  std::string type, name, sql;
};

std::vector<SchemaObject> schema_of(sqlite3* db) {
  std::vector<SchemaObject> out;
  StmtPtr s = prepare(db,
                      "SELECT type, name, coalesce(sql, '') FROM main.sqlite_schema "
                      "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid");
  while (next_row(db, s.get()))
    out.push_back({text(s.get(), 0), text(s.get(), 1), text(s.get(), 2)});
  return out;
}

bool is_virtual(const SchemaObject& o) {
  return o.type == "table" && sqlite3_strnicmp(o.sql.c_str(), "CREATE VIRTUAL", 14) == 0;
}

// Copies every row of `table` from `src` into `dest`, rowids included when the table has them.
void copy_rows(sqlite3* src, sqlite3* dest, const std::string& table) {
  const std::string q = quote_identifier(table);
  StmtPtr select = prepare(src, "SELECT rowid, * FROM main." + q, /*optional=*/true);
  const bool with_rowid = select != nullptr;  // WITHOUT ROWID tables have no rowid column
  if (!with_rowid) select = prepare(src, "SELECT * FROM main." + q);
  const int columns = sqlite3_column_count(select.get());
  std::string names, params;
  for (int i = 0; i < columns; ++i) {
    if (i > 0) names += ',';
    names += with_rowid && i == 0 ? std::string("rowid")
                                  : quote_identifier(sqlite3_column_name(select.get(), i));
    params += i ? ",?" : "?";
  }
  StmtPtr insert =
      prepare(dest, "INSERT INTO main." + q + "(" + names + ") VALUES(" + params + ")");
  while (next_row(src, select.get())) {
    for (int i = 0; i < columns; ++i) {
      sqlite3_bind_value(insert.get(), i + 1, sqlite3_column_value(select.get(), i));
    }
    while (next_row(dest, insert.get())) {
    }
    sqlite3_reset(insert.get());
  }
}

std::int64_t pragma_value(sqlite3* db, const char* pragma) {
  StmtPtr s = prepare(db, std::string("PRAGMA main.") + pragma);
  return next_row(db, s.get()) ? sqlite3_column_int64(s.get(), 0) : 0;
}

}  // namespace

bool SqliteImage::has_magic(const std::string& bytes) {
  return std::string_view(bytes).substr(0, kMagic.size()) == kMagic;
}

SqliteImage::SqliteImage(std::string bytes) : bytes_(std::move(bytes)) {
  if (!has_magic(bytes_) || bytes_.size() < 100) {
    throw BadRequest("not an SQLite file: its header is missing or truncated");
  }
  bytes_[kWriteVersionOffset] = 1;
  bytes_[kReadVersionOffset] = 1;
  if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    throw Error(ErrorCode::Internal, "cannot open an in-memory database (out of memory?)");
  }
  const int rc =
      sqlite3_deserialize(db_, "main", reinterpret_cast<unsigned char*>(bytes_.data()),
                          static_cast<sqlite3_int64>(bytes_.size()),
                          static_cast<sqlite3_int64>(bytes_.size()), SQLITE_DESERIALIZE_READONLY);
  try {
    if (rc != SQLITE_OK) {
      throw BadRequest("cannot read the SQLite file: " + std::string(sqlite3_errstr(rc)));
    }
    // integrity_check reads every page: a truncated or damaged file fails here, not midway
    // through the copy.
    std::string verdict;
    try {
      StmtPtr check = prepare(db_, "PRAGMA main.integrity_check(10)");
      while (next_row(db_, check.get())) {
        if (!verdict.empty()) verdict += "; ";
        verdict += text(check.get(), 0);
      }
    } catch (const Error& e) {
      verdict = e.what();
    }
    if (verdict != "ok") throw BadRequest("the SQLite file is corrupt: " + verdict);
    StmtPtr fk = prepare(db_, "PRAGMA main.foreign_key_check");
    if (next_row(db_, fk.get())) {
      throw BadRequest("the SQLite file violates a foreign key (table " + text(fk.get(), 0) + ")");
    }
    for (const SchemaObject& o : schema_of(db_)) {
      if (is_virtual(o)) {
        throw BadRequest("the SQLite file holds a virtual table (" + o.name +
                         "), which /db/load does not copy; load its SQL dump instead");
      }
    }
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

SqliteImage::~SqliteImage() { sqlite3_close(db_); }

void SqliteImage::replace_contents(sqlite3* dest) const {
  // Dropping a parent table before its children, and loading rows in schema order, may break
  // foreign keys for a moment: defer their checks to the end of this job, where the image's
  // own consistency (foreign_key_check above) holds again. Switched back off when the job ends,
  // failed or not, so the batch's later jobs keep immediate checks (the flag is not
  // transactional); the counter of deferred violations is restored by the job's savepoint.
  run(dest, "PRAGMA defer_foreign_keys = ON");
  struct Undefer {
    sqlite3* db;
    ~Undefer() { sqlite3_exec(db, "PRAGMA defer_foreign_keys = OFF", nullptr, nullptr, nullptr); }
  } undefer{dest};
  const std::vector<SchemaObject> old = schema_of(dest);
  for (const char* type : {"view", "trigger"}) {
    for (const SchemaObject& o : old) {
      if (o.type == type)
        run(dest, "DROP " + o.type + " IF EXISTS main." + quote_identifier(o.name));
    }
  }
  for (bool virtual_pass : {true, false}) {  // virtual tables first: they drop their shadows
    for (const SchemaObject& o : old) {
      if (o.type == "table" && is_virtual(o) == virtual_pass) {
        run(dest, "DROP TABLE IF EXISTS main." + quote_identifier(o.name));
      }
    }
  }
  const std::vector<SchemaObject> image = schema_of(db_);
  for (const SchemaObject& o : image) {
    if (o.type != "table") continue;
    run(dest, o.sql);
    copy_rows(db_, dest, o.name);
  }
  StmtPtr sequence = prepare(db_, "SELECT name, seq FROM main.sqlite_sequence", /*optional=*/true);
  if (sequence) {
    run(dest, "DELETE FROM main.sqlite_sequence");
    StmtPtr insert = prepare(dest, "INSERT INTO main.sqlite_sequence(name, seq) VALUES(?, ?)");
    while (next_row(db_, sequence.get())) {
      sqlite3_bind_value(insert.get(), 1, sqlite3_column_value(sequence.get(), 0));
      sqlite3_bind_value(insert.get(), 2, sqlite3_column_value(sequence.get(), 1));
      while (next_row(dest, insert.get())) {
      }
      sqlite3_reset(insert.get());
    }
  }
  // Indexes and triggers after the rows: indexes build once, triggers do not fire on the copy.
  for (const char* type : {"index", "view", "trigger"}) {
    for (const SchemaObject& o : image) {
      if (o.type == type && !o.sql.empty()) run(dest, o.sql);  // "" = an automatic index
    }
  }
  for (const char* pragma : {"user_version", "application_id"}) {
    run(dest,
        std::string("PRAGMA main.") + pragma + " = " + std::to_string(pragma_value(db_, pragma)));
  }
  StmtPtr fk = prepare(dest, "PRAGMA main.foreign_key_check");
  if (next_row(dest, fk.get())) {
    throw Error(ErrorCode::Constraint,
                "load left a foreign key violated (table " + text(fk.get(), 0) + ")");
  }
}

}  // namespace sluice::server
