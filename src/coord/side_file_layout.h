// The layout of a Sluice side file (`<database>-sluice`): memory that every Sluice process
// attached to one database maps with MAP_SHARED.
//
//   SideHeader   magic, version, sizes — checked at attach; a mismatch refuses to attach while
//                another process is attached — and the boot that wrote the locks (boot_id)
//   writer lock  robust process-shared mutex around each batch's BEGIN IMMEDIATE ... COMMIT
//   lease        robust process-shared mutex held by the one active checkpointer
//   checkpoint   the WAL size after the last commit of any process, the checkpointer's
//                threshold and a futex word writers bump to wake it
//   slots        one per attached Database: pid, start time and live counters
//
// Every field after the mutexes is a lock-free std::atomic (address-free, so valid across
// mappings at different addresses); a new file is zero-filled, which is a valid state for all.
// The layout is private to one build of Sluice: processes of different versions refuse to share.
// It is also private to src/coord: only coord's .cc files (and coord's tests) include this header;
// the engine uses WriterLock, CheckpointLease and ProcessCounters.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

namespace sluice::coord {

inline constexpr std::uint64_t kSideMagic = 0x3145444953434c53ULL;  // "SLCSIDE1"
// 2: boot_id in the header; every attachment holds an OFD read lock on the file (side_file.h).
inline constexpr std::uint32_t kSideVersion = 2;
// Databases attached at once with their own counters; more still work, without a slot.
inline constexpr int kMaxSlots = 128;

// Live counters of one attached Database, written by its writer thread (relaxed atomics).
struct alignas(64) ProcessSlot {
  std::atomic<std::int32_t> pid;               // 0 = free
  std::atomic<std::uint32_t> is_checkpointer;  // 1 while this Database holds the lease
  std::atomic<std::uint64_t> start_ticks;      // the process's start time (liveness.h)
  std::atomic<std::int64_t> attached_unix_ms;
  std::atomic<std::uint64_t> commits;
  std::atomic<std::uint64_t> jobs_ok;
  std::atomic<std::uint64_t> jobs_failed;
  std::atomic<std::uint64_t> queue_depth;  // after the last batch
  std::atomic<std::int64_t> last_commit_unix_ms;
  std::atomic<std::uint64_t> lock_acquisitions;   // writer-lock acquisitions
  std::atomic<std::uint64_t> lock_wait_us_total;  // time spent waiting for the writer lock
  std::atomic<std::uint64_t> lock_wait_us_max;
};

// What writers tell the checkpointer, and what it counts (also used in process memory when
// coordinate_processes is off).
struct CheckpointState {
  std::atomic<std::uint64_t> wal_frames;       // after the last commit of any process
  std::atomic<std::uint64_t> threshold;        // frames that wake the checkpointer (0 = pages)
  std::atomic<std::uint32_t> signal;           // futex word, bumped to wake the checkpointer
  std::atomic<std::uint32_t> wanted;           // 1 = a wake-up is pending
  std::atomic<std::uint64_t> checkpoints;      // by the lease holders, every mode
  std::atomic<std::uint64_t> lease_takeovers;  // lease taken over from a dead holder
};

struct SideHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t layout_bytes;  // sizeof(SideLayout) of the creator
  std::uint32_t mutex_bytes;   // sizeof(pthread_mutex_t) of the creator
  std::uint32_t max_slots;
  // /proc/sys/kernel/random/boot_id of the boot whose processes initialised the locks
  // (36 characters and a NUL; empty when unreadable). Locks written under another boot are
  // never trusted: a reboot leaves lock words naming threads that no kernel will mark dead.
  char boot_id[40];
};

struct SideLayout {
  SideHeader header;
  alignas(64) pthread_mutex_t writer_lock;
  alignas(64) pthread_mutex_t checkpoint_lease;
  alignas(64) std::atomic<std::int32_t> writer_pid;  // holder of the writer lock, 0 = none
  std::atomic<std::int32_t> lease_pid;               // active checkpointer's pid, 0 = none
  std::atomic<std::uint32_t> lock_waiters;           // threads waiting for the writer lock now
  std::atomic<std::uint32_t> holder_is_tail;         // 1 while a checkpointer's tail holds it
  std::atomic<std::uint32_t> tail_waiting;           // 1 while a tail waits for it (futex word)
  std::atomic<std::uint64_t> lock_recoveries;        // acquisitions after a holder died
  alignas(64) CheckpointState checkpoint;
  alignas(64) ProcessSlot slots[kMaxSlots];
};

static_assert(sizeof(SideHeader) <= 64, "the header must not move the mutexes (layout v1 offsets)");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::int32_t>::is_always_lock_free,
              "side-file counters must be lock-free to work across processes");

}  // namespace sluice::coord
