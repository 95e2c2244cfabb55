#include "sluice/connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sqlite/result_code.h"

namespace sluice {
namespace {

struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// fsync(2) of a directory, so that the entries created in it survive a power loss.
std::error_code sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {errno, std::generic_category()};
  std::error_code ec;
  if (::fsync(fd) != 0) ec = {errno, std::generic_category()};
  ::close(fd);
  return ec;
}

// Creates `dir` and its missing parents, then fsyncs the parent of each directory created: a
// new directory's entry lives in its parent, and until that is synced a power loss may take the
// directory — and the database created in it — away again (SQLite syncs the directory of the
// files it creates, not the directories above).
std::error_code create_directories_durably(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> missing;  // deepest first
  for (std::filesystem::path p = dir; !p.empty() && !std::filesystem::exists(p, ec);
       p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  if (ec) return ec;
  if (missing.empty()) return {};
  std::filesystem::create_directories(dir, ec);
  if (ec) return ec;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (std::error_code e = sync_directory(it->parent_path())) return e;
  }
  return {};
}

}  // namespace

struct Connection::Impl {
  sqlite3* db = nullptr;
  std::string path;
  bool read_only = false;
  // Keyed by SQL text; heterogeneous lookup so a hit costs one hash and no allocation.
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache;
  std::uint64_t prepared = 0;
  std::string last_sql;  // of the last query()/exec()/prepare_query()

  ~Impl() {
    cache.clear();  // finalize statements before closing the handle
    sqlite3_close_v2(db);
  }
};

Connection Connection::open(const std::string& path, const OpenOptions& options) {
  if (path.empty()) throw Error(ErrorCode::InvalidArgument, "database path is empty");
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  switch (options.mode) {
    case OpenOptions::Mode::ReadWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case OpenOptions::Mode::ReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case OpenOptions::Mode::ReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  if (options.create_parent_dirs && options.mode == OpenOptions::Mode::ReadWriteCreate) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    const std::error_code ec =
        parent.empty() ? std::error_code{} : create_directories_durably(parent);
    if (ec) {
      throw Error(ErrorCode::CantOpen, "cannot create directory '" + parent.string() +
                                           "' for database '" + path + "': " + ec.message());
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->read_only = options.mode == OpenOptions::Mode::ReadOnly;
  // The handle is stored before rc is checked so that a failed open is still closed.
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string hint;
    if ((rc & 0xff) == SQLITE_CANTOPEN) {
      hint = options.mode == OpenOptions::Mode::ReadWriteCreate
                 ? " (does the directory exist and is it writable?)"
                 : " (does the file exist and is it readable?)";
    }
    Error e = sqlite::make_error(rc, impl->db, "cannot open database '" + path + "'");
    throw Error(e.code(), e.what() + hint, e.sqlite_code());
  }
  sqlite3_extended_result_codes(impl->db, 1);
  return Connection(std::move(impl));
}

Connection::Connection(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Connection::Connection(Connection&& other) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept = default;
Connection::~Connection() = default;

Statement Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(impl_->db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) throw sqlite::make_error(rc, impl_->db, sql);
  if (stmt == nullptr) {
    throw Error(ErrorCode::InvalidArgument, "no SQL statement in '" + std::string(sql) + "'");
  }
  ++impl_->prepared;
  return Statement(stmt, impl_->db);
}

const std::string& Connection::last_sql() const noexcept { return impl_->last_sql; }

Statement& Connection::cached(std::string_view sql) {
  auto it = impl_->cache.find(sql);
  if (it == impl_->cache.end()) {
    auto stmt = std::make_unique<Statement>(prepare(sql));
    it = impl_->cache.emplace(std::string(sql), std::move(stmt)).first;
  }
  return *it->second;
}

Query Connection::prepare_query(std::string_view sql) {
  impl_->last_sql.assign(sql);
  Statement& s = cached(sql);
  if (s.in_use()) return Query(nullptr, std::make_unique<Statement>(prepare(sql)));
  return Query(&s, nullptr);
}

void Connection::exec_script(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(impl_->db, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string detail = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw Error(sqlite::error_code_for(rc), text.substr(0, 200) + ": " + detail, rc);
  }
}

std::string Connection::pragma(std::string_view name) {
  Statement s = prepare("PRAGMA " + std::string(name));
  if (!s.step()) return "";
  return std::string(s.column_text(0));
}

std::int64_t Connection::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(impl_->db);
}
int Connection::changes() const noexcept { return sqlite3_changes(impl_->db); }
bool Connection::in_transaction() const noexcept { return sqlite3_get_autocommit(impl_->db) == 0; }
bool Connection::read_only() const noexcept { return impl_->read_only; }
const std::string& Connection::path() const noexcept { return impl_->path; }
std::size_t Connection::statement_cache_size() const noexcept { return impl_->cache.size(); }
std::uint64_t Connection::statements_prepared() const noexcept { return impl_->prepared; }
sqlite3* Connection::native_handle() const noexcept { return impl_->db; }

}  // namespace sluice
