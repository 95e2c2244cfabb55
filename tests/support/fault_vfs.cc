#include "support/fault_vfs.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sluice::testing {
namespace {

// Our file object: SQLite's base followed by the wrapped unix file (same allocation).
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  const char* path;  // SQLite keeps the name valid until xClose; nullptr for temp files
  bool main_db;
};

// What a disk would hold for one path after a power loss, apart from the unsynced sectors.
struct DurableFile {
  // sector index → its durable bytes (nullopt: the sector lay beyond the durable end of file)
  std::map<std::int64_t, std::optional<std::vector<char>>> unsynced;
  std::int64_t durable_size = 0;
  // Sectors an unsynced xTruncate cut off. A truncation is one metadata change: after the crash
  // it has happened or not, as a whole (a filesystem journal commits it or not).
  std::set<std::int64_t> cut;
};

struct State {
  std::mutex mu;
  IoFault fault;
  bool armed = false;
  bool fired = false;
  std::array<std::uint64_t, 3> counts{};
  bool power_loss = false;
  PowerLoss loss;
  std::map<std::string, DurableFile> files;
  std::uint64_t kill_at_db_write = 0;
  std::uint64_t db_writes = 0;
  void (*before_crash)() = nullptr;
  // Directory → files created in it (in order) since its last sync, in power-loss mode.
  std::map<std::string, std::vector<std::string>> unsynced_entries;
  // Created journals and WALs whose first sync syncs their directory (the unix VFS's rule).
  std::set<std::string> dirsync_on_first_sync;
};

// Never destroyed: SQLite may call the VFS while the process exits.
State& state() {
  static State* s = new State;
  return *s;
}

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs{};
sqlite3_io_methods g_methods{};
std::once_flag g_methods_once;

File* as_file(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return as_file(f)->real; }

std::int64_t real_size(sqlite3_file* f) {
  sqlite3_int64 size = 0;
  real(f)->pMethods->xFileSize(real(f), &size);
  return size;
}

// The durable view of f's path, created on first use from the file's current size (everything
// written before power-loss tracking started counts as durable). Caller holds the mutex.
DurableFile& durable(State& s, sqlite3_file* f) {
  auto [it, inserted] = s.files.try_emplace(as_file(f)->path);
  if (inserted) it->second.durable_size = real_size(f);
  return it->second;
}

// Remembers the durable bytes of sector `index` before its first change since the last sync.
void save_sector(DurableFile& d, sqlite3_file* f, std::int64_t index, int sector) {
  if (d.unsynced.count(index) != 0) return;
  const std::int64_t start = index * sector;
  if (start >= d.durable_size) {
    d.unsynced.emplace(index, std::nullopt);
    return;
  }
  std::vector<char> bytes(
      static_cast<std::size_t>(std::min<std::int64_t>(sector, d.durable_size - start)));
  real(f)->pMethods->xRead(real(f), bytes.data(), static_cast<int>(bytes.size()), start);
  d.unsynced.emplace(index, std::move(bytes));
}

// Counts an op and tells whether the armed fault hits it. Caller holds the mutex.
bool injected(State& s, FaultOp op) {
  const std::uint64_t n = ++s.counts[static_cast<int>(op)];
  if (!s.armed || s.fault.op != op) return false;
  const bool hit = n == s.fault.nth || (s.fault.persistent && n > s.fault.nth);
  if (hit) s.fired = true;
  return hit;
}

// Whether f's synced content is kept apart: in power-loss mode, and while a fault is armed (a
// failed sync drops what was not synced).
bool tracked(const State& s, sqlite3_file* f) {
  return (s.power_loss || s.armed) && as_file(f)->path != nullptr;
}

// A failed writeback (EIO): the kernel drops the dirty pages, so every sector written since the
// last good sync reads back as it was then (zeros beyond the synced end); a truncation stays.
// The file now holds only synced content. Caller holds the mutex.
void drop_unsynced(State& s, sqlite3_file* f) {
  DurableFile& d = durable(s, f);
  const int sector = s.loss.sector_size;
  const std::int64_t size = real_size(f);
  for (const auto& [index, durable_bytes] : d.unsynced) {
    const std::int64_t start = index * sector;
    const std::int64_t now_len = std::clamp<std::int64_t>(size - start, 0, sector);
    if (now_len == 0 || d.cut.count(index) != 0) continue;
    std::vector<char> bytes(static_cast<std::size_t>(now_len), 0);
    if (durable_bytes) {
      std::copy_n(durable_bytes->begin(),
                  std::min<std::size_t>(durable_bytes->size(), bytes.size()), bytes.begin());
    }
    real(f)->pMethods->xWrite(real(f), bytes.data(), static_cast<int>(bytes.size()), start);
  }
  d.unsynced.clear();
  d.cut.clear();
  d.durable_size = size;
}

// The content f has now is what a power loss keeps. Caller holds the mutex.
void mark_synced(State& s, sqlite3_file* f) {
  DurableFile& d = durable(s, f);
  d.unsynced.clear();
  d.cut.clear();
  d.durable_size = real_size(f);
}

[[noreturn]] void crash_locked(State& s);

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A sync of `path`: if it is a created journal or WAL's first, its directory is synced too,
// as the unix VFS does (UNIXFILE_DIRSYNC). Caller holds the mutex.
void note_sync(State& s, const std::string& path) {
  if (s.dirsync_on_first_sync.erase(path) != 0) s.unsynced_entries.erase(directory_of(path));
}

// At the outage: of each directory's unsynced entries, a suffix (in creation order) is lost.
void lose_unsynced_entries(State& s, std::mt19937_64& rng) {
  for (const auto& [dir, entries] : s.unsynced_entries) {
    const std::size_t kept = rng() % (entries.size() + 1);
    for (std::size_t i = kept; i < entries.size(); ++i) ::unlink(entries[i].c_str());
  }
}

int on_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  State& s = state();
  std::unique_lock lock(s.mu);
  if (as_file(f)->main_db && s.kill_at_db_write != 0 && ++s.db_writes == s.kill_at_db_write) {
    if (s.before_crash != nullptr) s.before_crash();
    ::raise(SIGKILL);
  }
  const bool fail = injected(s, FaultOp::Write);
  if (tracked(s, f) && n > 0) {
    if (s.power_loss && s.loss.crash_at_write != 0 &&
        s.counts[static_cast<int>(FaultOp::Write)] >= s.loss.crash_at_write) {
      crash_locked(s);
    }
    DurableFile& d = durable(s, f);
    const int sector = s.loss.sector_size;
    for (std::int64_t i = offset / sector; i <= (offset + n - 1) / sector; ++i) {
      save_sector(d, f, i, sector);
    }
  }
  if (fail) {
    if (s.fault.error != ENOSPC) return SQLITE_IOERR_WRITE;
    // A full disk takes part of the write, as write(2) does, then refuses the rest.
    if (n / 2 > 0) real(f)->pMethods->xWrite(real(f), buf, n / 2, offset);
    return SQLITE_FULL;
  }
  return real(f)->pMethods->xWrite(real(f), buf, n, offset);
}

int on_sync(sqlite3_file* f, int flags) {
  State& s = state();
  std::unique_lock lock(s.mu);
  if (injected(s, FaultOp::Sync)) {
    if (tracked(s, f) && s.fault.error != ENOSPC) drop_unsynced(s, f);
    return SQLITE_IOERR_FSYNC;
  }
  if (!tracked(s, f)) return real(f)->pMethods->xSync(real(f), flags);
  if (!s.power_loss) {
    const int rc = real(f)->pMethods->xSync(real(f), flags);
    if (rc == SQLITE_OK) mark_synced(s, f);
    return rc;
  }
  if (s.loss.crash_at_sync != 0 &&
      s.counts[static_cast<int>(FaultOp::Sync)] >= s.loss.crash_at_sync) {
    crash_locked(s);
  }
  if (s.loss.skip_db_sync && as_file(f)->main_db) return SQLITE_OK;  // the sabotage: a lie
  note_sync(s, as_file(f)->path);
  mark_synced(s, f);
  return SQLITE_OK;  // simulated: the real disk's durability does not matter here
}

int on_truncate(sqlite3_file* f, sqlite3_int64 size) {
  State& s = state();
  std::unique_lock lock(s.mu);
  if (injected(s, FaultOp::Truncate)) return SQLITE_IOERR_TRUNCATE;
  if (tracked(s, f)) {
    DurableFile& d = durable(s, f);
    const int sector = s.loss.sector_size;
    for (std::int64_t i = size / sector; i * sector < d.durable_size; ++i) {
      save_sector(d, f, i, sector);
      d.cut.insert(i);
    }
  }
  return real(f)->pMethods->xTruncate(real(f), size);
}

int sector_size(sqlite3_file* f) {
  State& s = state();
  std::lock_guard lock(s.mu);
  return s.power_loss ? s.loss.sector_size : real(f)->pMethods->xSectorSize(real(f));
}

int device_characteristics(sqlite3_file* f) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (!s.power_loss) return real(f)->pMethods->xDeviceCharacteristics(real(f));
  return s.loss.powersafe_overwrite ? SQLITE_IOCAP_POWERSAFE_OVERWRITE : 0;
}

// The outage: every unsynced sector keeps its new bytes, gets its durable bytes back or is
// garbled; a file that grew may lose the whole tail. Then the process ends.
[[noreturn]] void crash_locked(State& s) {
  if (s.before_crash != nullptr) s.before_crash();
  std::mt19937_64 rng(s.loss.seed);
  const int sector = s.loss.sector_size;
  for (auto& [path, d] : s.files) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;  // deleted since
    struct stat st {};
    ::fstat(fd, &st);
    const std::int64_t size = st.st_size;
    // An unsynced truncation either never happened (its cut sectors come back whole) or did
    // (what was written there since is new data beyond the durable end).
    const bool truncation_lost = !d.cut.empty() && rng() % 2 == 0;
    for (auto& [index, durable_bytes] : d.unsynced) {
      const std::int64_t start = index * sector;
      const std::int64_t now_len = std::clamp<std::int64_t>(size - start, 0, sector);
      const bool cut = d.cut.count(index) != 0;
      if (cut && truncation_lost && durable_bytes) {
        (void)!::pwrite(fd, durable_bytes->data(), durable_bytes->size(), start);
        continue;
      }
      const std::vector<char>* old = cut || !durable_bytes ? nullptr : &*durable_bytes;
      std::vector<char> bytes;
      switch (rng() % 3) {
        case 0:  // the new bytes reached the platter
          continue;
        case 1:  // the write never happened
          bytes = old ? *old : std::vector<char>(static_cast<std::size_t>(now_len), 0);
          break;
        default: {  // torn: garbage
          bytes.resize(
              static_cast<std::size_t>(std::max<std::int64_t>(now_len, old ? old->size() : 0)));
          // With powersafe overwrite a torn write garbles only the bytes it changed; without,
          // the whole sector — also the synced bytes a later write shares the sector with.
          std::vector<char> now(static_cast<std::size_t>(now_len));
          if (s.loss.powersafe_overwrite && old) {
            (void)!::pread(fd, now.data(), now.size(), start);
          }
          for (std::size_t i = 0; i < bytes.size(); ++i) {
            const bool unchanged = s.loss.powersafe_overwrite && old && i < old->size() &&
                                   i < now.size() && now[i] == (*old)[i];
            bytes[i] = unchanged ? now[i] : static_cast<char>(rng());
          }
        }
      }
      if (!bytes.empty()) (void)!::pwrite(fd, bytes.data(), bytes.size(), start);
    }
    if (size > d.durable_size && d.cut.empty() && rng() % 2 == 0) {
      (void)!::ftruncate(fd, d.durable_size);
    }
    ::close(fd);
  }
  lose_unsynced_entries(s, rng);
  ::_exit(FaultVfs::kPowerLossExitCode);
}

void build_methods(const sqlite3_io_methods& base) {
  g_methods = base;
  g_methods.xClose = [](sqlite3_file* x) { return real(x)->pMethods->xClose(real(x)); };
  g_methods.xRead = [](sqlite3_file* x, void* b, int n, sqlite3_int64 o) {
    return real(x)->pMethods->xRead(real(x), b, n, o);
  };
  g_methods.xWrite = &on_write;
  g_methods.xTruncate = &on_truncate;
  g_methods.xSync = &on_sync;
  g_methods.xFileSize = [](sqlite3_file* x, sqlite3_int64* s) {
    return real(x)->pMethods->xFileSize(real(x), s);
  };
  g_methods.xLock = [](sqlite3_file* x, int l) { return real(x)->pMethods->xLock(real(x), l); };
  g_methods.xUnlock = [](sqlite3_file* x, int l) { return real(x)->pMethods->xUnlock(real(x), l); };
  g_methods.xCheckReservedLock = [](sqlite3_file* x, int* r) {
    return real(x)->pMethods->xCheckReservedLock(real(x), r);
  };
  g_methods.xFileControl = [](sqlite3_file* x, int op, void* a) {
    return real(x)->pMethods->xFileControl(real(x), op, a);
  };
  g_methods.xSectorSize = &sector_size;
  g_methods.xDeviceCharacteristics = &device_characteristics;
  g_methods.xShmMap = [](sqlite3_file* x, int i, int s, int e, void volatile** p) {
    return real(x)->pMethods->xShmMap(real(x), i, s, e, p);
  };
  g_methods.xShmLock = [](sqlite3_file* x, int o, int n, int fl) {
    return real(x)->pMethods->xShmLock(real(x), o, n, fl);
  };
  g_methods.xShmBarrier = [](sqlite3_file* x) { real(x)->pMethods->xShmBarrier(real(x)); };
  g_methods.xShmUnmap = [](sqlite3_file* x, int d) {
    return real(x)->pMethods->xShmUnmap(real(x), d);
  };
  // No mapped pages: every read goes through xRead, where the faults and the unsynced-data
  // model live (a mapping would show the real file behind the model's back).
  g_methods.xFetch = [](sqlite3_file*, sqlite3_int64, int, void** p) {
    *p = nullptr;
    return SQLITE_OK;
  };
  g_methods.xUnfetch = [](sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; };
}

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
  File* file = as_file(f);
  file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(File));
  file->path = name;
  file->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  const bool created =
      name != nullptr && (flags & SQLITE_OPEN_CREATE) != 0 && ::access(name, F_OK) != 0;
  const int rc = g_base->xOpen(g_base, name, file->real, flags, out);
  if (rc != SQLITE_OK || file->real->pMethods == nullptr) {
    f->pMethods = nullptr;
    return rc;
  }
  if (created) {
    State& s = state();
    std::lock_guard lock(s.mu);
    if (s.power_loss) {
      s.unsynced_entries[directory_of(name)].push_back(name);
      if ((flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL)) != 0) {
        s.dirsync_on_first_sync.insert(name);
      }
    }
  }
  // Every file of the unix VFS has the same methods; build our wrappers once.
  std::call_once(g_methods_once, [&] { build_methods(*file->real->pMethods); });
  f->pMethods = &g_methods;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  {
    State& s = state();
    std::lock_guard lock(s.mu);
    s.files.erase(name);
    s.dirsync_on_first_sync.erase(name);
    auto it = s.unsynced_entries.find(directory_of(name));
    if (it != s.unsynced_entries.end()) std::erase(it->second, std::string(name));
  }
  return g_base->xDelete(g_base, name, sync_dir);
}

}  // namespace

const char* to_string(FaultOp op) noexcept {
  switch (op) {
    case FaultOp::Write:
      return "write";
    case FaultOp::Sync:
      return "sync";
    case FaultOp::Truncate:
      return "truncate";
  }
  return "?";
}

void FaultVfs::install() {
  static const bool installed = [] {
    g_base = sqlite3_vfs_find(nullptr);
    g_vfs = *g_base;
    g_vfs.zName = kName;
    g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_base->szOsFile;
    g_vfs.xOpen = &vfs_open;
    g_vfs.xDelete = &vfs_delete;
    g_vfs.pNext = nullptr;
    return sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
  }();
  (void)installed;
}

void FaultVfs::arm(const IoFault& fault) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (!s.power_loss) {
    s.loss = PowerLoss{};  // the sector size of the synced-content bookkeeping
    s.files.clear();
  }
  s.fault = fault;
  s.armed = true;
  s.fired = false;
  s.counts = {};
}

void FaultVfs::disarm() {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.armed = false;
  s.power_loss = false;
  s.files.clear();
  s.unsynced_entries.clear();
  s.dirsync_on_first_sync.clear();
}

bool FaultVfs::fired() {
  State& s = state();
  std::lock_guard lock(s.mu);
  return s.fired;
}

std::uint64_t FaultVfs::count(FaultOp op) {
  State& s = state();
  std::lock_guard lock(s.mu);
  return s.counts[static_cast<int>(op)];
}

void FaultVfs::start_power_loss(const PowerLoss& config) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.loss = config;
  s.power_loss = true;
  s.files.clear();
  s.unsynced_entries.clear();
  s.dirsync_on_first_sync.clear();
  s.counts = {};
}

void FaultVfs::crash_now() {
  State& s = state();
  s.mu.lock();  // never released: every other file operation stops here until the exit
  crash_locked(s);
}

void FaultVfs::set_before_crash(void (*hook)()) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.before_crash = hook;
}

void FaultVfs::kill_at_main_db_write(std::uint64_t nth) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.kill_at_db_write = nth;
  s.db_writes = 0;
}

}  // namespace sluice::testing
