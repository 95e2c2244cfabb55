#include "coord/side_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "coord/liveness.h"
#include "coord/robust_mutex.h"
#include "sluice/error.h"

namespace sluice::coord {
namespace {

constexpr std::size_t kBytes = sizeof(SideLayout);

[[noreturn]] void cant_open(const std::string& path, const char* what, int err) {
  throw Error(ErrorCode::CantOpen, "side file '" + path + "': " + what + ": " + std::strerror(err) +
                                       " (Sluice needs to create it beside the database)");
}

// Closes the descriptor (and unmaps) unless released: attach() has many ways to fail.
struct FdGuard {
  int fd;
  void* map = nullptr;
  ~FdGuard() {
    if (map != nullptr) munmap(map, kBytes);
    if (fd >= 0) close(fd);
  }
};

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void check_layout(const SideLayout& l, const std::string& path) {
  const SideHeader& h = l.header;
  if (h.version != kSideVersion || h.layout_bytes != kBytes ||
      h.mutex_bytes != sizeof(pthread_mutex_t) || h.max_slots != kMaxSlots) {
    throw Error(ErrorCode::InvalidArgument,
                "side file '" + path + "' was made by another Sluice version (layout v" +
                    std::to_string(h.version) + ", " + std::to_string(h.layout_bytes) +
                    " bytes; this is v" + std::to_string(kSideVersion) + ", " +
                    std::to_string(kBytes) +
                    " bytes): stop the other processes, or delete the file when none runs");
  }
}

std::uint64_t magic_of(SideLayout& l) {
  return std::atomic_ref<std::uint64_t>(l.header.magic).load(std::memory_order_acquire);
}

void initialise(SideLayout& l) {
  std::memset(static_cast<void*>(&l), 0, kBytes);
  init_robust_mutex(l.writer_lock);
  init_robust_mutex(l.checkpoint_lease);
  l.header.version = kSideVersion;
  l.header.layout_bytes = kBytes;
  l.header.mutex_bytes = sizeof(pthread_mutex_t);
  l.header.max_slots = kMaxSlots;
  // The magic last: a file without it is initialised again by the next attach, and an observer
  // that sees it sees the rest.
  std::atomic_ref<std::uint64_t>(l.header.magic).store(kSideMagic, std::memory_order_release);
}

// The database's permission bits, so the side file is as accessible as the database and its
// -wal and -shm files (SQLite does the same for those).
mode_t file_mode(const std::string& db_path) {
  struct stat st {};
  if (stat(db_path.c_str(), &st) == 0) return st.st_mode & 0777;
  return 0644;
}

}  // namespace

std::unique_ptr<SideFile> SideFile::attach(const std::string& db_path) {
  const std::string path = path_for(db_path);
  FdGuard g{open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, file_mode(db_path))};
  if (g.fd < 0) cant_open(path, "cannot open", errno);
  if (flock(g.fd, LOCK_EX) != 0) cant_open(path, "cannot flock", errno);
  struct stat st {};
  if (fstat(g.fd, &st) != 0) cant_open(path, "cannot stat", errno);
  if (static_cast<std::size_t>(st.st_size) < kBytes && ftruncate(g.fd, kBytes) != 0) {
    cant_open(path, "cannot size", errno);
  }
  g.map = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, g.fd, 0);
  if (g.map == MAP_FAILED) {
    g.map = nullptr;
    cant_open(path, "cannot map", errno);
  }
  auto* layout = static_cast<SideLayout*>(g.map);
  if (magic_of(*layout) != kSideMagic) {
    initialise(*layout);
  } else {
    check_layout(*layout, path);
  }
  std::unique_ptr<SideFile> f(new SideFile(path, g.fd, layout));
  g.fd = -1;
  g.map = nullptr;
  f->reap_dead();
  if (std::ranges::none_of(layout->slots, [](const ProcessSlot& s) {
        return s.pid.load(std::memory_order_acquire) != 0;
      })) {
    // First attachment since every other process left (or died): forget the transient state
    // they left behind — a waiter count of a process killed while waiting, the WAL size of the
    // last run. The lifetime counters (recoveries, takeovers, cycles) stay.
    layout->lock_waiters.store(0, std::memory_order_relaxed);
    layout->checkpoint.wal_frames.store(0, std::memory_order_relaxed);
    layout->checkpoint.threshold.store(0, std::memory_order_relaxed);
    layout->checkpoint.wanted.store(0, std::memory_order_relaxed);
  }
  const pid_t pid = getpid();
  for (ProcessSlot& s : layout->slots) {
    if (s.pid.load(std::memory_order_acquire) != 0) continue;
    s.is_checkpointer.store(0, std::memory_order_relaxed);
    s.start_ticks.store(process_start_ticks(pid), std::memory_order_relaxed);
    s.attached_unix_ms.store(unix_ms(), std::memory_order_relaxed);
    for (auto* c : {&s.commits, &s.jobs_ok, &s.jobs_failed, &s.queue_depth, &s.lock_acquisitions,
                    &s.lock_wait_us_total, &s.lock_wait_us_max}) {
      c->store(0, std::memory_order_relaxed);
    }
    s.last_commit_unix_ms.store(0, std::memory_order_relaxed);
    s.pid.store(pid, std::memory_order_release);
    f->slot_ = &s;
    break;
  }
  flock(f->fd_, LOCK_UN);
  return f;
}

std::unique_ptr<SideFile> SideFile::in_process() {
  void* map = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    throw Error(ErrorCode::Internal, std::string("cannot map memory: ") + std::strerror(errno));
  }
  auto* layout = static_cast<SideLayout*>(map);
  initialise(*layout);
  std::unique_ptr<SideFile> f(new SideFile("", -1, layout));
  f->slot_ = &layout->slots[0];
  f->slot_->start_ticks.store(process_start_ticks(getpid()), std::memory_order_relaxed);
  f->slot_->pid.store(getpid(), std::memory_order_relaxed);
  return f;
}

std::unique_ptr<SideFile> SideFile::observe(const std::string& db_path) {
  const std::string path = path_for(db_path);
  FdGuard g{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (g.fd < 0) return nullptr;
  struct stat st {};
  if (fstat(g.fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < kBytes) return nullptr;
  g.map = mmap(nullptr, kBytes, PROT_READ, MAP_SHARED, g.fd, 0);
  if (g.map == MAP_FAILED) {
    g.map = nullptr;
    return nullptr;
  }
  auto* layout = static_cast<SideLayout*>(g.map);
  if (magic_of(*layout) != kSideMagic) return nullptr;
  check_layout(*layout, path);
  std::unique_ptr<SideFile> f(new SideFile(path, g.fd, layout));
  g.fd = -1;
  g.map = nullptr;
  return f;
}

SideFile::~SideFile() {
  if (slot_ != nullptr) {
    slot_->is_checkpointer.store(0, std::memory_order_relaxed);
    slot_->pid.store(0, std::memory_order_release);
  }
  if (layout_ != nullptr) munmap(layout_, kBytes);
  if (fd_ >= 0) close(fd_);
}

int SideFile::reap_dead() noexcept {
  int freed = 0;
  for (ProcessSlot& s : layout_->slots) {
    const std::int32_t pid = s.pid.load(std::memory_order_acquire);
    if (pid == 0 || process_alive(pid, s.start_ticks.load(std::memory_order_relaxed))) continue;
    // Only the owner or a reaper frees a slot; compare-exchange so two reapers free it once.
    std::int32_t expected = pid;
    if (s.pid.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
      s.is_checkpointer.store(0, std::memory_order_relaxed);
      ++freed;
    }
  }
  for (auto* holder : {&layout_->writer_pid, &layout_->lease_pid}) {
    std::int32_t pid = holder->load(std::memory_order_relaxed);
    if (pid != 0 && !process_alive(pid, 0)) holder->compare_exchange_strong(pid, 0);
  }
  return freed;
}

}  // namespace sluice::coord
