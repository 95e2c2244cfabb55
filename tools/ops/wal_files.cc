#include "ops/wal_files.h"

#include <fcntl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

namespace sluice::ops {
namespace {

std::int64_t size_or(const std::string& path, std::int64_t missing) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? missing : static_cast<std::int64_t>(n);
}

// The wal-index header (sqlite.org/walformat.html): two 48-byte copies of WalIndexHdr, then
// WalCkptInfo whose first field is nBackfill. mxFrame is at byte 16 of WalIndexHdr. Native byte
// order (the index is never moved between machines).
constexpr off_t kMaxFrameOffset = 16;
constexpr off_t kBackfillOffset = 96;
// WalCkptInfo.aReadMark[5] follows nBackfill; the lock bytes start at 120, read lock i at 123+i.
constexpr off_t kReadMarkOffset = 100;
constexpr off_t kReadLockOffset = 123;
constexpr int kReadSlots = 5;

// Opened once per path and never closed (see the header).
int shm_fd(const std::string& path) {
  static std::map<std::string, int> fds;
  static std::mutex mu;
  std::lock_guard lock(mu);
  auto it = fds.find(path);
  if (it != fds.end()) return it->second;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) fds.emplace(path, fd);
  return fd;
}

// True when another process holds a lock on the byte (SQLite readers hold a shared one).
bool byte_locked(int fd, off_t offset) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  return fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

std::optional<std::uint32_t> read_u32(int fd, off_t offset) {
  std::uint32_t v = 0;
  if (pread(fd, &v, sizeof v, offset) != static_cast<ssize_t>(sizeof v)) return std::nullopt;
  return v;
}

}  // namespace

Connection open_existing(const std::string& path, bool read_only) {
  if (!std::filesystem::exists(path)) {
    throw Error(ErrorCode::CantOpen, "no database at '" + path + "'");
  }
  OpenOptions o;
  o.mode = read_only ? OpenOptions::Mode::ReadOnly : OpenOptions::Mode::ReadWrite;
  return Connection::open(path, o);
}

WalFiles read_wal_files(const std::string& db_path, std::int64_t page_size) {
  WalFiles w;
  w.db_bytes = size_or(db_path, 0);
  w.wal_bytes = size_or(db_path + "-wal", -1);
  w.shm_bytes = size_or(db_path + "-shm", -1);
  if (w.wal_bytes > 32 && page_size > 0) w.wal_frames = (w.wal_bytes - 32) / (page_size + 24);
  if (w.shm_bytes >= kReadLockOffset + kReadSlots) {
    const int fd = shm_fd(db_path + "-shm");
    if (fd >= 0) {
      w.index_max_frame = read_u32(fd, kMaxFrameOffset);
      w.backfilled_frames = read_u32(fd, kBackfillOffset);
      // Slot 0 readers read the database file only; they pin nothing.
      for (int i = 1; i < kReadSlots; ++i) {
        auto mark = read_u32(fd, kReadMarkOffset + 4 * i);
        if (mark && byte_locked(fd, kReadLockOffset + i)) w.readers.push_back({i, *mark});
      }
    }
  }
  return w;
}

FilesystemInfo filesystem_of(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path);
  if (!std::filesystem::exists(p)) p = p.parent_path();
  struct statfs s {};
  if (statfs(p.c_str(), &s) != 0) return {"unknown", false};
  return filesystem_of_type(static_cast<std::uint64_t>(s.f_type));
}

FilesystemInfo filesystem_of_type(std::uint64_t f_type) {
  switch (static_cast<unsigned long>(f_type)) {
    case 0xEF53:
      return {"ext4", false};
    case 0x58465342:
      return {"xfs", false};
    case 0x9123683E:
      return {"btrfs", false};
    case 0x01021994:
      return {"tmpfs", false};
    case 0x794C7630:
      return {"overlayfs", false};
    case 0x6969:
      return {"nfs", true};
    case 0x517B:
      return {"smb", true};
    case 0xFF534D42:
      return {"cifs", true};
    case 0xFE534D42:
      return {"smb2", true};
    case 0x65735546:
      return {"fuse", true};
    case 0x01161970:
      return {"gfs2", true};
    case 0x7461636F:
      return {"ocfs2", true};
    case 0x00C36400:
      return {"ceph", true};
    case 0x47504653:
      return {"gpfs", true};
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(f_type));
      return {buf, false};
    }
  }
}

}  // namespace sluice::ops
