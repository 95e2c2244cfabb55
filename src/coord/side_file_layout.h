// The layout of a Sluice side file (`<database>-sluice`): memory that every Sluice process
// attached to one database maps with MAP_SHARED.
//
//   SideHeader   magic, version, sizes — checked at attach; a mismatch refuses to attach while
//                another process is attached — and the boot that wrote the locks (boot_id)
//   writer lock  robust process-shared mutex around each batch's BEGIN IMMEDIATE ... COMMIT
//   lease        robust process-shared mutex held by the one active checkpointer
//   checkpoint   the WAL size after the last commit of any process, the checkpointer's
//                threshold and a futex word writers bump to wake it
//   slots        one per attached Database: pid, start time, live counters and the futex word
//                its submitters of ring jobs sleep on
//   job ring     kRingSlots slots of declarative write jobs (SQL text + typed parameters) that
//                any process publishes and the writer-lock holder runs (job_ring.h)
//
// Every field after the mutexes is a lock-free std::atomic (address-free, so valid across
// mappings at different addresses); a new file is zero-filled, which is a valid state for all.
// The layout is private to one build of Sluice: processes of different versions refuse to share.
// It is also private to src/coord: only coord's .cc files (and coord's tests) include this header;
// the engine uses WriterLock, CheckpointLease and ProcessCounters.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice::coord {

inline constexpr std::uint64_t kSideMagic = 0x3145444953434c53ULL;  // "SLCSIDE1"
// 2: boot_id in the header; every attachment holds an OFD read lock on the file (side_file.h).
// 3: the job ring (job_ring.h) and each slot's ring wake-up word and counters.
inline constexpr std::uint32_t kSideVersion = 3;
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
  std::atomic<std::uint32_t> ring_wake;            // futex word: bumped when its ring jobs are done
  std::atomic<std::uint32_t> ring_depth;           // its ring jobs published or running now
  std::atomic<std::uint64_t> ring_jobs_submitted;  // its jobs that went through the ring
  std::atomic<std::uint64_t> ring_jobs_for_others;  // other processes' ring jobs it ran
};

// Ring slot states (JobRing), in the low 8 bits of RingSlotHeader::state; the bits above hold
// the submitter's ProcessSlot index, set by the same compare-exchange that claims the slot: FREE ->
// FILLING (a submitter claimed it) -> PUBLISHED (one release store: visible to the writer-lock
// holder) -> TAKEN (by a leader, for its batch) -> DONE (outcome written) -> FREE (the submitter
// read the outcome). A submitter may also withdraw a PUBLISHED job whose deadline passed (-> FREE).
enum RingState : std::uint32_t { kFree = 0, kFilling = 1, kPublished = 2, kTaken = 3, kDone = 4 };

inline constexpr int kRingSlots = 64;
// A slot's size (bytes) and the part of it that holds the encoded job (job_codec.h). Source:
// design — one-row INSERTs/UPDATEs of web applications take 100-500 bytes; 64 x 4 KiB keep the
// side file at about 280 KiB.
inline constexpr std::size_t kRingSlotBytes = 4096;
inline constexpr std::size_t kRingMessageBytes = 256;

// The fields after the atomics are plain bytes owned by whoever the state names: the submitter
// while FILLING, the leader while TAKEN, the submitter again once DONE; the state's release
// store / acquire load orders them.
struct RingSlotHeader {
  std::atomic<std::uint32_t> state;     // RingState | owner ProcessSlot index << 8
  std::atomic<std::int32_t> owner_pid;  // the submitter's pid (valid once PUBLISHED)
  std::atomic<std::int32_t> taker_pid;  // the leader that took it (0 = none)
  std::atomic<std::uint64_t> ticket;    // publication order: FIFO across processes
  std::atomic<std::uint64_t> batch;     // the batch number of the transaction that runs it
  std::uint32_t job_bytes;
  std::int32_t error_code;  // -1 = succeeded, else a sluice::ErrorCode
  std::int32_t sqlite_code;
  std::uint32_t requeues;  // times a leader died holding it (JobRing::recover)
  std::int64_t changes;
  std::int64_t last_insert_rowid;
  char message[kRingMessageBytes];  // NUL-terminated, truncated
};
inline constexpr std::size_t kJobBytes = kRingSlotBytes - sizeof(RingSlotHeader);

struct alignas(64) RingSlot {
  RingSlotHeader h;
  std::uint8_t job[kJobBytes];
};
static_assert(sizeof(RingSlot) == kRingSlotBytes, "a ring slot is one page");

struct JobRingState {
  std::atomic<std::uint64_t> next_ticket;
  std::atomic<std::uint64_t> recoveries;  // jobs decided after their leader died (recover)
  std::atomic<std::uint64_t> jobs_run;    // ring jobs run, by every leader
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
  alignas(64) JobRingState ring;
  alignas(4096) RingSlot ring_slots[kRingSlots];
};

static_assert(sizeof(SideHeader) <= 64, "the header must not move the mutexes (layout v1 offsets)");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::int32_t>::is_always_lock_free,
              "side-file counters must be lock-free to work across processes");

}  // namespace sluice::coord
