#include "sluice/backup.h"

#include <sys/stat.h>

#include "backup/snapshot_copy.h"
#include "sluice/connection.h"
#include "sluice/error.h"

namespace sluice {
namespace {

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

BackupResult backup_file(const std::string& source, const std::string& dest,
                         const BackupOptions& options) {
  if (source == dest || same_file(source, dest)) {
    throw Error(ErrorCode::InvalidArgument,
                "backup destination '" + dest + "' is the source database itself");
  }
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    throw Error(ErrorCode::CantOpen, "backup source '" + source + "' does not exist");
  }
  Connection src = Connection::open(source, OpenOptions::read_only());
  // A writer of another process may hold the lock while a rollback-journal database is
  // written; wait for it as an ordinary reader would. (WAL readers never wait.)
  src.exec("PRAGMA busy_timeout=5000");
  backup::begin_read_snapshot(src);
  BackupResult r = backup::copy_snapshot(src, dest, options);
  src.exec("COMMIT");
  return r;
}

}  // namespace sluice
