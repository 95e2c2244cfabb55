// SideFile: the file `<database>-sluice` beside a database, mapped into every Sluice process
// that opens the database, holding the cross-process writer lock, the checkpointer lease and
// each attached Database's live counters (layout in side_file_layout.h).
//
// Attaching (under flock(2) on the side file, so attachments never race): create and initialise
// the file if new, check its layout, reap the slots of processes that died (pid + start time,
// liveness.h), claim a free slot, and hold an OFD read lock on byte 0 until detaching (the
// dead-man switch). Detaching frees the slot. The file is never deleted: a process may be
// attaching at that moment; it is 18 KiB.
//
// State from processes that are gone is never trusted. When no attachment holds the dead-man
// switch (every process exited or was killed, or the machine rebooted: kernel locks do not
// survive), the first attachment rebuilds the writer lock, the checkpointer lease, the holders'
// pids and the slots — a robust mutex is marked owner-dead only by a kernel that saw its owner
// exit, so after a power loss its lock word names a thread of the previous boot forever. Where
// OFD locks are unavailable, a boot id (header) other than this boot's triggers the same rebuild.
//
// Never an fcntl lock on the database file itself (closing any descriptor of that file would
// drop SQLite's own POSIX locks): the side file is a separate file, locked with flock only.
//
// Thread-safety: the mapping is shared; every field is atomic or a process-shared mutex.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace sluice::coord {

// The layout itself is private to src/coord (side_file_layout.h, included only by coord's .cc
// files): the engine reaches the side file through WriterLock, CheckpointLease and
// ProcessCounters.
struct SideLayout;
struct ProcessSlot;

class SideFile {
 public:
  // Opens or creates the side file of `db_path` and claims a slot for this process.
  // Throws Error(CantOpen) naming the file when it cannot be created, opened or mapped (e.g. a
  // read-only directory), Error(InvalidArgument) when it was made by an incompatible Sluice that
  // is still attached (with nobody attached, a file of another layout is initialised anew).
  static std::unique_ptr<SideFile> attach(const std::string& db_path);
  // Maps an existing side file read-only, claiming nothing (for `sluice inspect`). Returns null
  // when there is none; throws Error(InvalidArgument) when its layout is not this build's.
  static std::unique_ptr<SideFile> observe(const std::string& db_path);
  // The same layout in this process's memory only (coordinate_processes = false): the writer
  // lock and the checkpointer then coordinate one Database's own threads. Throws Error(Internal)
  // if memory cannot be mapped.
  static std::unique_ptr<SideFile> in_process();
  // The side file's path for a database path.
  static std::string path_for(const std::string& db_path) { return db_path + "-sluice"; }

  SideFile(const SideFile&) = delete;
  SideFile& operator=(const SideFile&) = delete;
  ~SideFile();  // frees the slot (if any), unmaps, closes; never throws

  // For coord's own types (and coord's tests).
  SideLayout& layout() noexcept { return *layout_; }
  // This attachment's slot; null when every slot was taken (the engine works without one) or
  // when observing.
  ProcessSlot* slot() noexcept { return slot_; }
  const std::string& path() const noexcept { return path_; }
  // Clears the slots, writer pid and lease pid of processes that are gone. Returns how many
  // slots it freed. Safe to run at any time (a slot is freed only when its process is gone).
  int reap_dead() noexcept;
  // Slots taken by attached Databases now (pids, alive or not yet reaped).
  int attached() const noexcept;

 private:
  SideFile(std::string path, int fd, SideLayout* layout) noexcept
      : path_(std::move(path)), fd_(fd), layout_(layout) {}

  std::string path_;
  int fd_ = -1;
  SideLayout* layout_ = nullptr;
  ProcessSlot* slot_ = nullptr;
};

}  // namespace sluice::coord
