#include "backup/snapshot_copy.h"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>

#include "backup/file_io.h"
#include "sqlite/result_code.h"

namespace sluice::backup {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Removes the temporary copy unless released (every failure path before the rename).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) {
      ::unlink(path_.c_str());
      ::unlink((path_ + "-journal").c_str());
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

void check_integrity(Connection& copy, const std::string& dest) {
  auto q = copy.query("PRAGMA integrity_check(20)");
  std::string problems;
  while (q.next()) {
    const std::string line = q.get<std::string>(0);
    if (line == "ok") return;
    problems += "\n  " + line;
  }
  throw Error(ErrorCode::Corrupt,
              "the copy for '" + dest + "' failed PRAGMA integrity_check:" + problems);
}

}  // namespace

void begin_read_snapshot(Connection& conn) {
  conn.exec("BEGIN");
  // BEGIN is deferred: the first read takes the snapshot (and, in WAL mode, a read mark).
  conn.query("SELECT count(*) FROM sqlite_schema").scalar<std::int64_t>();
}

BackupResult copy_snapshot(Connection& source, const std::string& dest,
                           const BackupOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (file_exists(dest) && !options.overwrite) {
    throw Error(ErrorCode::InvalidArgument,
                "backup destination '" + dest + "' exists (pass overwrite to replace it)");
  }
  if (!file_exists(parent_dir(dest))) {
    throw Error(ErrorCode::InvalidArgument,
                "backup destination's directory '" + parent_dir(dest) + "' does not exist");
  }
  TempFile tmp(dest + ".tmp-" + std::to_string(::getpid()));
  ::unlink(tmp.path().c_str());
  BackupResult result;
  result.path = dest;
  {
    Connection copy = Connection::open(tmp.path());
    sqlite3* src = source.native_handle();
    sqlite3* dst = copy.native_handle();
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == nullptr) {
      throw sqlite::make_error(sqlite3_errcode(dst), dst, "backup of '" + source.path() + "'");
    }
    // The source's read transaction is open, so every step reads the same snapshot and the
    // copy never restarts (sqlite3_backup_step only begins — and ends — a transaction of its
    // own when the source has none).
    int rc = SQLITE_OK;
    const int step = options.step_pages > 0 ? options.step_pages : 1024;
    do {
      rc = sqlite3_backup_step(b, step);
      if (options.progress) {
        BackupProgress p;
        p.pages_total = sqlite3_backup_pagecount(b);
        p.pages_copied = p.pages_total - sqlite3_backup_remaining(b);
        options.progress(p);
      }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    result.pages = sqlite3_backup_pagecount(b);
    const int finish_rc = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) sqlite::check(rc, dst, "backup step into '" + tmp.path() + "'");
    sqlite::check(finish_rc, dst, "backup into '" + tmp.path() + "'");
    // The pages carry the source's header: a WAL source makes a WAL-mode copy. A rollback
    // journal makes it one self-contained file.
    copy.pragma("journal_mode=DELETE");
    result.page_size = copy.query("PRAGMA page_size").scalar<std::int64_t>();
    if (options.integrity_check) {
      const auto check_start = std::chrono::steady_clock::now();
      check_integrity(copy, dest);
      result.integrity_ms = ms_since(check_start);
    }
  }
  fsync_path(tmp.path());
  durable_rename(tmp.path(), dest);
  tmp.release();
  result.bytes = file_size(dest);
  result.duration_ms = ms_since(start);
  return result;
}

}  // namespace sluice::backup
