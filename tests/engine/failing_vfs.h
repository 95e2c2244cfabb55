// A test VFS that wraps SQLite's default one and can make xSync fail with SQLITE_IOERR_FSYNC, to
// drive the engine into an I/O error of unknown outcome at COMMIT. Registered once per process
// under the name "sluice-failing-sync"; select it with Config::vfs.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <mutex>

namespace sluice::testing {

class FailingSyncVfs {
 public:
  static constexpr const char* kName = "sluice-failing-sync";

  static void install() {
    static bool installed = [] {
      base_ = sqlite3_vfs_find(nullptr);
      vfs_ = *base_;
      vfs_.zName = kName;
      vfs_.szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
      vfs_.xOpen = &open;
      vfs_.pNext = nullptr;
      return sqlite3_vfs_register(&vfs_, 0) == SQLITE_OK;
    }();
    (void)installed;
  }
  static void fail_syncs(bool on) { fail_.store(on); }

 private:
  // Our file: SQLite's base file object followed by the wrapped one.
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
  };

  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
    File* file = reinterpret_cast<File*>(f);
    // The wrapped file lives in the same allocation, after our header.
    file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(File));
    int rc = base_->xOpen(base_, name, file->real, flags, out);
    if (rc != SQLITE_OK) {
      f->pMethods = nullptr;
      return rc;
    }
    // Every file of the unix VFS has the same methods; build our wrappers once.
    std::call_once(methods_once_, [&] { build_methods(*file->real->pMethods); });
    f->pMethods = &methods_;
    return SQLITE_OK;
  }

  static void build_methods(const sqlite3_io_methods& base) {
    methods_ = base;
    methods_.xClose = [](sqlite3_file* x) { return real(x)->pMethods->xClose(real(x)); };
    methods_.xRead = [](sqlite3_file* x, void* b, int n, sqlite3_int64 o) {
      return real(x)->pMethods->xRead(real(x), b, n, o);
    };
    methods_.xWrite = [](sqlite3_file* x, const void* b, int n, sqlite3_int64 o) {
      return real(x)->pMethods->xWrite(real(x), b, n, o);
    };
    methods_.xTruncate = [](sqlite3_file* x, sqlite3_int64 s) {
      return real(x)->pMethods->xTruncate(real(x), s);
    };
    methods_.xSync = [](sqlite3_file* x, int flags) {
      if (fail_.load()) return SQLITE_IOERR_FSYNC;
      return real(x)->pMethods->xSync(real(x), flags);
    };
    methods_.xFileSize = [](sqlite3_file* x, sqlite3_int64* s) {
      return real(x)->pMethods->xFileSize(real(x), s);
    };
    methods_.xLock = [](sqlite3_file* x, int l) { return real(x)->pMethods->xLock(real(x), l); };
    methods_.xUnlock = [](sqlite3_file* x, int l) {
      return real(x)->pMethods->xUnlock(real(x), l);
    };
    methods_.xCheckReservedLock = [](sqlite3_file* x, int* r) {
      return real(x)->pMethods->xCheckReservedLock(real(x), r);
    };
    methods_.xFileControl = [](sqlite3_file* x, int op, void* a) {
      return real(x)->pMethods->xFileControl(real(x), op, a);
    };
    methods_.xSectorSize = [](sqlite3_file* x) { return real(x)->pMethods->xSectorSize(real(x)); };
    methods_.xDeviceCharacteristics = [](sqlite3_file* x) {
      return real(x)->pMethods->xDeviceCharacteristics(real(x));
    };
    methods_.xShmMap = [](sqlite3_file* x, int i, int s, int e, void volatile** p) {
      return real(x)->pMethods->xShmMap(real(x), i, s, e, p);
    };
    methods_.xShmLock = [](sqlite3_file* x, int o, int n, int fl) {
      return real(x)->pMethods->xShmLock(real(x), o, n, fl);
    };
    methods_.xShmBarrier = [](sqlite3_file* x) { real(x)->pMethods->xShmBarrier(real(x)); };
    methods_.xShmUnmap = [](sqlite3_file* x, int d) {
      return real(x)->pMethods->xShmUnmap(real(x), d);
    };
    methods_.xFetch = [](sqlite3_file* x, sqlite3_int64 o, int n, void** p) {
      return real(x)->pMethods->xFetch(real(x), o, n, p);
    };
    methods_.xUnfetch = [](sqlite3_file* x, sqlite3_int64 o, void* p) {
      return real(x)->pMethods->xUnfetch(real(x), o, p);
    };
  }

  static inline sqlite3_vfs* base_ = nullptr;
  static inline sqlite3_vfs vfs_{};
  static inline sqlite3_io_methods methods_{};
  static inline std::once_flag methods_once_;
  static inline std::atomic<bool> fail_{false};
};

}  // namespace sluice::testing
