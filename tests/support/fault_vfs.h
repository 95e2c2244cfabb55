// FaultVfs: a test-only SQLite VFS that wraps the default (unix) one and misbehaves on request,
// in the manner of SQLite's crash VFS (src/test6.c) and LevelDB's fault-injection Env.
//
// Select it with Config::vfs = FaultVfs::kName (or `?vfs=sluice-fault` in a URL) after
// FaultVfs::install(). With nothing armed it passes every call through unchanged.
//
//  * I/O errors: arm(IoFault) fails the Nth xWrite, xSync or xTruncate (counted from arm(), over
//    every file of every connection), once or from then on, as EIO or ENOSPC would surface
//    through the unix VFS: write EIO → SQLITE_IOERR_WRITE; write ENOSPC → half the bytes written,
//    then SQLITE_FULL; sync → SQLITE_IOERR_FSYNC; truncate → SQLITE_IOERR_TRUNCATE (the unix VFS
//    turns every errno of fsync and ftruncate into those two codes). What a failed sync does to
//    the data depends on the error, as on Linux: EIO is a failed writeback, whose dirty pages
//    the kernel drops ("fsyncgate") — every sector written since the file's last good sync gets
//    its synced content back (zeros beyond the synced end), and a later sync succeeds without
//    bringing them back; ENOSPC (no room for delayed allocation) leaves the pages dirty, and a
//    retry may still write them. While a fault is armed the VFS keeps each file's synced
//    content apart for this, as in power-loss mode, and syncs really.
//
//  * Power loss: start_power_loss(PowerLoss) keeps what has not been synced apart. Each xWrite
//    first saves the durable content of every sector it touches (the content at the last xSync
//    of that file, by path: any connection's fd); xSync makes a file's content durable without
//    calling fsync (the crash is simulated, the real disk does not matter); xTruncate saves the
//    durable sectors it cuts. At the chosen xSync or xWrite — or at crash_now() — the "power goes":
//    each unsynced sector independently keeps its new content, gets its durable content back (zeros
//    if it had none) or is garbled with random bytes, and a file that grew since its last sync
//    may lose the whole tail (an unsynced truncation is undone whole or not at all: it is one
//    metadata change, which a filesystem journal commits or not); then the process _exits with
//    kPowerLossExitCode, leaving the files as a disk would after the outage. The sector size (512
//    or 4096 bytes) is reported through xSectorSize and no device characteristics are claimed (no
//    POWERSAFE_OVERWRITE unless PowerLoss::powersafe_overwrite, no atomic writes), so SQLite
//    pads and syncs as it must on such a disk.
//    Directory entries: a file the VFS creates during power-loss mode has an unsynced entry in
//    its directory until the directory is synced. The unix VFS syncs the directory at the first
//    sync of a journal or WAL it created (and never for a main database file), so the model does
//    the same: that sync makes every entry of the directory durable. At the outage, of the
//    entries still unsynced a suffix in creation order is lost (the file is gone), as with a
//    filesystem that journals metadata in order. Not simulated: deletions (durable at once),
//    directories created by others than SQLite (Connection fsyncs their parents; see
//    src/sqlite/connection.cc) and the -shm file (SQLite rebuilds the WAL index).
//
//  * Kill points: kill_at_main_db_write(N) SIGKILLs the process at the Nth write to a main
//    database file — in WAL mode, only checkpoints write there, so this kills mid-checkpoint.
//
//  * Before a power loss or a kill the hook set with set_before_crash runs (e.g. to wait until
//    the test's clients have logged the acks they were given).
//
//  * Sabotage (to prove the suite catches it): PowerLoss::skip_db_sync makes every xSync of a
//    main database file report success without making anything durable — in WAL mode only a
//    checkpoint syncs the database file, so this is a checkpoint that claims success unsynced.
//
// Thread-safety: all functions may be called from any thread; the VFS's bookkeeping is under
// one mutex (fine for tests, not fast). State is process-wide.
#pragma once

#include <cerrno>
#include <cstdint>

namespace sluice::testing {

enum class FaultOp { Write = 0, Sync = 1, Truncate = 2 };
const char* to_string(FaultOp op) noexcept;

struct IoFault {
  FaultOp op = FaultOp::Write;
  std::uint64_t nth = 1;    // the Nth op of this kind after arm() fails (1-based)
  bool persistent = false;  // false: only that one; true: that one and every later one
  int error = EIO;          // EIO or ENOSPC
};

struct PowerLoss {
  int sector_size = 4096;            // bytes, a power of two ≥ 512
  std::uint64_t crash_at_sync = 0;   // the Nth xSync (1-based) crashes instead; 0 = never
  std::uint64_t crash_at_write = 0;  // the Nth xWrite (1-based) crashes instead; 0 = never
  std::uint64_t seed = 1;            // chooses what happens to each unsynced sector
  bool skip_db_sync = false;         // sabotage: database-file syncs succeed without syncing
  // The disk's powersafe overwrite (SQLITE_IOCAP_POWERSAFE_OVERWRITE, which the unix VFS claims
  // by default): a torn write garbles only the bytes it changed. Without it, it may garble the
  // whole sector, synced bytes included.
  bool powersafe_overwrite = false;
};

class FaultVfs {
 public:
  static constexpr const char* kName = "sluice-fault";
  static constexpr int kPowerLossExitCode = 86;

  // Registers the VFS (not as the default). Idempotent.
  static void install();

  // Arms one I/O fault and resets the op counters; replaces any earlier fault.
  static void arm(const IoFault& fault);
  // No more injected errors; power-loss tracking stops (files keep their current content).
  static void disarm();
  // Whether an armed fault has been returned to SQLite since arm().
  static bool fired();
  // Ops of a kind seen since the last arm() / start_power_loss().
  static std::uint64_t count(FaultOp op);

  // Starts keeping unsynced writes apart (see above) and resets the op counters.
  static void start_power_loss(const PowerLoss& config);
  // Applies the power loss now and _exits with kPowerLossExitCode. Needs start_power_loss().
  [[noreturn]] static void crash_now();

  // SIGKILLs this process at the Nth write (1-based, counted from now) to a main database
  // file; 0 = off.
  static void kill_at_main_db_write(std::uint64_t nth);

  // Runs `hook` (nullptr: nothing) just before a power loss or a kill, on the thread that
  // causes it, with the VFS's lock held: it must not use SQLite.
  static void set_before_crash(void (*hook)());
};

}  // namespace sluice::testing
