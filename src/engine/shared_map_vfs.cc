#include "engine/shared_map_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace sluice::engine {
namespace {

// SQLite may over-read a page of a corrupt database by a few bytes; its own unix VFS keeps 256
// addressable bytes after every page it maps (os_unix.c, unixFetch). So do we.
constexpr std::int64_t kEofMargin = 256;

// One read-only mapping of a database file, shared by every connection of the process to it.
struct SharedMap {
  dev_t dev = 0;
  ino_t ino = 0;
  int fd = -1;
  const char* base = nullptr;
  std::int64_t length = 0;            // bytes mapped (the first connection's mmap limit)
  std::atomic<std::int64_t> size{0};  // the file's size when last read
  int refs = 0;                       // guarded by g_mu

  void refresh_size() noexcept {
    struct stat st {};
    if (::fstat(fd, &st) == 0) size.store(st.st_size, std::memory_order_release);
  }
};

std::mutex g_mu;
std::vector<SharedMap*> g_maps;  // guarded by g_mu
std::uint64_t g_maps_made = 0;   // guarded by g_mu
std::atomic<std::uint64_t> g_pages_fetched{0};
sqlite3_vfs* g_base = nullptr;  // the wrapped VFS; set once before registration
sqlite3_vfs g_vfs{};

// Maps `path` (or takes a reference on its existing mapping). Null when it cannot be mapped:
// the connection then reads as without mmap.
SharedMap* acquire(const char* path, std::int64_t length) noexcept {
  struct stat st {};
  if (::stat(path, &st) != 0) return nullptr;
  std::lock_guard lock(g_mu);
  for (SharedMap* m : g_maps) {
    if (m->dev == st.st_dev && m->ino == st.st_ino) {
      ++m->refs;
      return m;
    }
  }
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* base = ::mmap(nullptr, static_cast<std::size_t>(length), PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    ::close(fd);
    return nullptr;
  }
  auto* m = new SharedMap;
  m->dev = st.st_dev;
  m->ino = st.st_ino;
  m->fd = fd;
  m->base = static_cast<const char*>(base);
  m->length = length;
  m->refs = 1;
  m->refresh_size();
  g_maps.push_back(m);
  ++g_maps_made;
  return m;
}

void release(SharedMap* m) noexcept {
  std::lock_guard lock(g_mu);
  if (--m->refs > 0) return;
  g_maps.erase(std::find(g_maps.begin(), g_maps.end(), m));
  ::munmap(const_cast<char*>(m->base), static_cast<std::size_t>(m->length));
  ::close(m->fd);
  delete m;
}

// Our file handle; the wrapped VFS's handle follows it in the same allocation.
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
  const char* path;       // valid until xClose (SQLite's guarantee for xOpen's name)
  bool main_db;           // SQLITE_OPEN_MAIN_DB: the only file whose pages are fetched
  std::int64_t limit;     // mmap limit set by SQLite (PRAGMA mmap_size); 0 = no fetches
  SharedMap* map;         // null until the first fetch
  std::uint64_t fetched;  // pages handed out (one thread at a time uses a connection)
};

ShimFile* shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return shim(f)->real; }

int x_close(sqlite3_file* f) {
  ShimFile* s = shim(f);
  const int rc = s->real->pMethods->xClose(s->real);
  if (s->map != nullptr) release(s->map);
  s->map = nullptr;
  g_pages_fetched.fetch_add(s->fetched, std::memory_order_relaxed);
  return rc;
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  ShimFile* s = shim(f);
  if (op == SQLITE_FCNTL_MMAP_SIZE && s->main_db) {
    // The limit is ours: the wrapped file never maps anything itself.
    auto* limit = static_cast<sqlite3_int64*>(arg);
    if (*limit >= 0) s->limit = *limit;
    *limit = s->limit;
    return SQLITE_OK;
  }
  return s->real->pMethods->xFileControl(s->real, op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** pp) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, pp);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real(f)->pMethods->xShmUnmap(real(f), delete_flag);
}

int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
  *pp = nullptr;
  ShimFile* s = shim(f);
  if (!s->main_db || s->limit <= 0) return SQLITE_OK;
  if (s->map == nullptr) {
    s->map = acquire(s->path, s->limit);
    if (s->map == nullptr) {
      s->limit = 0;  // cannot map: read as without mmap from now on
      return SQLITE_OK;
    }
  }
  const std::int64_t end = off + n;
  if (end > s->limit || end > s->map->length) return SQLITE_OK;
  if (end + kEofMargin > s->map->size.load(std::memory_order_acquire)) return SQLITE_OK;
  *pp = const_cast<char*>(s->map->base) + off;
  ++s->fetched;
  return SQLITE_OK;
}

int x_unfetch(sqlite3_file* f, sqlite3_int64 /*off*/, void* p) {
  // p != null releases one fetched page: nothing to do, the mapping outlives every connection
  // that uses it. p == null ("any mapping may now be invalid"): keep the mapping, learn the
  // file's size again (a checkpoint may have grown or truncated it).
  ShimFile* s = shim(f);
  if (p == nullptr && s->map != nullptr) s->map->refresh_size();
  return SQLITE_OK;
}

const sqlite3_io_methods kMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  ShimFile* s = shim(f);
  s->real = reinterpret_cast<sqlite3_file*>(s + 1);
  s->real->pMethods = nullptr;
  s->path = name;
  s->main_db = name != nullptr && (flags & SQLITE_OPEN_MAIN_DB) != 0;
  s->limit = 0;
  s->map = nullptr;
  s->fetched = 0;
  const int rc = g_base->xOpen(g_base, name, s->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (s->real->pMethods != nullptr) s->real->pMethods->xClose(s->real);
    s->base.pMethods = nullptr;
    return rc;
  }
  s->base.pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace

const char* shared_map_vfs_name() noexcept {
  static const char* const name = []() -> const char* {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (base == nullptr || base->iVersion < 3) return nullptr;
    g_base = base;
    g_vfs = *base;  // every other entry point (delete, access, time...) is the base's own
    g_vfs.pNext = nullptr;
    g_vfs.zName = "sluice-shared-map";
    g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + base->szOsFile;
    g_vfs.xOpen = x_open;
    if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) return nullptr;
    return g_vfs.zName;
  }();
  return name;
}

SharedMapCounters shared_map_counters() noexcept {
  std::lock_guard lock(g_mu);
  return {g_maps_made, g_maps.size(), g_pages_fetched.load(std::memory_order_relaxed)};
}

}  // namespace sluice::engine
