// What the files of a database say, read without SQLite's help: sizes of the database, -wal and
// -shm files, WAL frames, the checkpoint position in the shared-memory index, and the
// filesystem type. Used by `sluice inspect` and `sluice checkpoint`; never writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/connection.h"

namespace sluice::ops {

// Opens an existing database for an operator command: never creates a file. Throws
// sluice::Error(CantOpen) naming the path when it does not exist.
Connection open_existing(const std::string& path, bool read_only);

struct WalFiles {
  std::int64_t db_bytes = 0;
  std::int64_t wal_bytes = -1;  // -1 = no -wal file
  std::int64_t shm_bytes = -1;  // -1 = no -shm file
  // Frames in the -wal file, from its size (32-byte header, then frames of page_size + 24).
  std::int64_t wal_frames = 0;
  // From the -shm index (when present and readable): the last valid frame (mxFrame) and how many
  // frames a checkpoint has copied back (nBackfill).
  std::optional<std::uint32_t> index_max_frame;
  std::optional<std::uint32_t> backfilled_frames;
  // Readers of other processes inside a read transaction that uses the WAL, by read-mark slot
  // (1..4): the snapshot's last frame. A checkpoint cannot copy back past the smallest mark, so a
  // reader whose mark is below index_max_frame pins the WAL.
  struct Reader {
    int slot = 0;
    std::uint32_t snapshot_frame = 0;
  };
  std::vector<Reader> readers;
};

// Reads sizes and the shared-memory index of `db_path` for a database of `page_size` bytes.
// The -shm descriptor stays open until the process exits: closing any descriptor of a file drops
// every POSIX lock this process holds on it, including those of an open SQLite connection.
WalFiles read_wal_files(const std::string& db_path, std::int64_t page_size);

// The filesystem holding `path`: its name ("ext4", "nfs", "fuse", ...) and whether WAL mode is
// unsafe there (network and FUSE filesystems: no shared memory across hosts).
struct FilesystemInfo {
  std::string name;
  bool wal_unsafe = false;
};
FilesystemInfo filesystem_of(const std::string& path);
// The same for a statfs(2) f_type magic number (linux/magic.h), e.g. 0x6969 = nfs; unknown
// numbers are named in hex and taken as safe. Separate so that tests can name filesystems this
// machine has not mounted.
FilesystemInfo filesystem_of_type(std::uint64_t f_type);

}  // namespace sluice::ops
