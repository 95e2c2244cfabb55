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
#include <cstdio>
#include <cstring>
#include <string>

#include "coord/job_ring.h"
#include "coord/liveness.h"
#include "coord/robust_mutex.h"
#include "coord/side_file_layout.h"
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

bool layout_matches(const SideLayout& l);

void check_layout(const SideLayout& l, const std::string& path) {
  const SideHeader& h = l.header;
  if (!layout_matches(l)) {
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

// This boot's id (/proc/sys/kernel/random/boot_id), read once; empty when unreadable.
const std::string& this_boot_id() {
  static const std::string id = [] {
    std::string out;
    if (std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "re")) {
      char buf[64] = {};
      if (std::fgets(buf, sizeof buf, f) != nullptr) out = buf;
      std::fclose(f);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out.substr(0, sizeof(SideHeader::boot_id) - 1);
  }();
  return id;
}

bool same_boot(const SideLayout& l) {
  const std::string& id = this_boot_id();
  return !id.empty() && std::strncmp(l.header.boot_id, id.c_str(), sizeof l.header.boot_id) == 0;
}

void stamp_boot_id(SideLayout& l) {
  std::memset(l.header.boot_id, 0, sizeof l.header.boot_id);
  const std::string& id = this_boot_id();
  std::memcpy(l.header.boot_id, id.data(), id.size());
}

// The dead-man switch, as SQLite's -shm has one: every attachment holds an open-file-description
// (OFD) read lock on byte 0 of the side file for its lifetime. OFD locks are kernel state: they
// go away with the descriptor (process exit, kill, reboot) and, unlike POSIX record locks, one
// Database closing its descriptor never drops another's in the same process. No conflicting
// lock means no Sluice process is attached now.
enum class Attached { Nobody, Somebody, Unknown };

struct flock ofd_byte0(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  return fl;
}

Attached probe_attached(int fd) {
  struct flock fl = ofd_byte0(F_WRLCK);
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return Attached::Unknown;  // e.g. no OFD locks here
  return fl.l_type == F_UNLCK ? Attached::Nobody : Attached::Somebody;
}

void hold_attached_lock(int fd) {
  struct flock fl = ofd_byte0(F_RDLCK);
  (void)fcntl(fd, F_OFD_SETLK, &fl);  // without it others see Unknown/Nobody: see attach()
}

void initialise(SideLayout& l) {
  std::memset(static_cast<void*>(&l), 0, kBytes);
  init_robust_mutex(l.writer_lock);
  init_robust_mutex(l.checkpoint_lease);
  l.header.version = kSideVersion;
  l.header.layout_bytes = kBytes;
  l.header.mutex_bytes = sizeof(pthread_mutex_t);
  l.header.max_slots = kMaxSlots;
  stamp_boot_id(l);
  // The magic last: a file without it is initialised again by the next attach, and an observer
  // that sees it sees the rest.
  std::atomic_ref<std::uint64_t>(l.header.magic).store(kSideMagic, std::memory_order_release);
}

// Nobody is attached: every lock and slot is left over from processes that are gone — perhaps
// from a previous boot, whose lock words name threads no kernel will ever mark owner-dead (a
// robust mutex learns of its owner's death only from the exiting thread's robust list). Rebuild
// the locks and slots and forget the transient state; keep the lifetime counters (recoveries,
// takeovers, checkpoint cycles).
void rebuild_unattached(SideLayout& l) {
  std::memset(static_cast<void*>(&l.writer_lock), 0, sizeof l.writer_lock);
  std::memset(static_cast<void*>(&l.checkpoint_lease), 0, sizeof l.checkpoint_lease);
  init_robust_mutex(l.writer_lock);
  init_robust_mutex(l.checkpoint_lease);
  l.writer_pid.store(0, std::memory_order_relaxed);
  l.lease_pid.store(0, std::memory_order_relaxed);
  l.lock_waiters.store(0, std::memory_order_relaxed);
  l.holder_is_tail.store(0, std::memory_order_relaxed);
  l.tail_waiting.store(0, std::memory_order_relaxed);
  l.checkpoint.wal_frames.store(0, std::memory_order_relaxed);
  l.checkpoint.threshold.store(0, std::memory_order_relaxed);
  l.checkpoint.wanted.store(0, std::memory_order_relaxed);
  for (ProcessSlot& s : l.slots) {
    s.is_checkpointer.store(0, std::memory_order_relaxed);
    s.pid.store(0, std::memory_order_release);
  }
  // Jobs of processes that are all gone: nobody waits for them. A job published but not taken
  // is dropped (its submitter died before any acknowledgement, as a client that disconnects).
  for (RingSlot& r : l.ring_slots) {
    r.h.taker_pid.store(0, std::memory_order_relaxed);
    r.h.state.store(kFree, std::memory_order_release);
  }
  stamp_boot_id(l);
}

// Whether a file whose magic is set can be rebuilt rather than refused: its layout is this
// build's, or it is another build's and nobody is attached (its content is transient).
bool layout_matches(const SideLayout& l) {
  const SideHeader& h = l.header;
  return h.version == kSideVersion && h.layout_bytes == kBytes &&
         h.mutex_bytes == sizeof(pthread_mutex_t) && h.max_slots == kMaxSlots;
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
  // Under the flock no other attachment runs, so "nobody attached" stays true until ours.
  // Without OFD locks (an old kernel, a filesystem without them) a different boot id is the
  // only proof that the locks are stale.
  const Attached others = probe_attached(g.fd);
  const bool stale = others == Attached::Nobody ||
                     (others == Attached::Unknown && magic_of(*layout) == kSideMagic &&
                      layout_matches(*layout) && !same_boot(*layout));
  if (magic_of(*layout) != kSideMagic || (stale && !layout_matches(*layout))) {
    initialise(*layout);
  } else {
    check_layout(*layout, path);
    if (stale) rebuild_unattached(*layout);
  }
  hold_attached_lock(g.fd);
  std::unique_ptr<SideFile> f(new SideFile(path, g.fd, layout));
  g.fd = -1;
  g.map = nullptr;
  f->reap_dead();
  if (others == Attached::Unknown && std::ranges::none_of(layout->slots, [](const ProcessSlot& s) {
        return s.pid.load(std::memory_order_acquire) != 0;
      })) {
    // No dead-man switch: the best sign that everyone left is that no slot is taken. Forget the
    // transient state they left behind (a waiter count of a process killed while waiting, the
    // WAL size of the last run), but not the locks: a process without a slot may hold one.
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
                    &s.lock_wait_us_total, &s.lock_wait_us_max, &s.ring_jobs_submitted,
                    &s.ring_jobs_for_others}) {
      c->store(0, std::memory_order_relaxed);
    }
    s.ring_depth.store(0, std::memory_order_relaxed);
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
  reap_orphaned_ring_jobs(*layout_);
  for (auto* holder : {&layout_->writer_pid, &layout_->lease_pid}) {
    std::int32_t pid = holder->load(std::memory_order_relaxed);
    if (pid != 0 && !process_alive(pid, 0)) holder->compare_exchange_strong(pid, 0);
  }
  return freed;
}

int SideFile::attached() const noexcept {
  return static_cast<int>(std::ranges::count_if(layout_->slots, [](const ProcessSlot& s) {
    return s.pid.load(std::memory_order_relaxed) != 0;
  }));
}

}  // namespace sluice::coord
