// Attached processes: what the side file `<database>-sluice` says about every Sluice Database
// attached to a database file — in this process or any other — and the shared coordination
// state (writer lock holder, checkpointer lease). Used by `sluice inspect`; usable by an
// application's own health page.
//
// Reads the side file's shared memory read-only, without locks (every field is an atomic, so a
// snapshot may mix instants a few µs apart); never creates or changes anything.
//
// Thread-safety: a free function; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

// One attached Database (a process that opened the same file twice shows twice).
struct AttachedProcess {
  int pid = 0;
  bool alive = true;          // false: the process is gone and the slot not yet reaped
  bool checkpointer = false;  // holds the checkpointer lease
  std::int64_t attached_unix_ms = 0;
  std::uint64_t commits = 0;             // group-commit transactions
  std::uint64_t jobs_ok = 0;             // write jobs committed
  std::uint64_t jobs_failed = 0;         // write jobs failed
  std::uint64_t queue_depth = 0;         // write jobs queued after its last batch
  std::int64_t last_commit_unix_ms = 0;  // 0 = none yet
  std::uint64_t lock_acquisitions = 0;   // batches that took the writer lock
  std::uint64_t lock_wait_us_total = 0;  // time waiting for the writer lock (µs)
  std::uint64_t lock_wait_us_max = 0;    // longest single wait (µs)
  // The shared job ring (declarative writes, Database::execute):
  std::uint32_t ring_depth = 0;            // its jobs published or running now
  std::uint64_t ring_jobs_submitted = 0;   // its jobs that went through the ring
  std::uint64_t ring_jobs_for_others = 0;  // other processes' ring jobs its leaders ran
};

struct SideFileState {
  bool present = false;      // false: no side file (no Sluice process has opened the database)
  std::string path;          // the side file's path
  int writer_lock_pid = 0;   // process holding the writer lock now (0 = free)
  int checkpointer_pid = 0;  // process holding the checkpointer lease (0 = none)
  std::uint32_t lock_waiters = 0;       // threads waiting for the writer lock now
  std::uint64_t lock_recoveries = 0;    // writer lock taken over from a dead holder, ever
  std::uint64_t lease_takeovers = 0;    // checkpointer lease taken over from a dead holder, ever
  std::uint64_t checkpoint_cycles = 0;  // checkpointer cycles run, by every lease holder
  std::uint64_t wal_frames = 0;         // after the last Sluice commit (pages)
  std::uint64_t ring_jobs_run = 0;      // ring jobs run by every leader (since the file was made)
  std::uint64_t ring_recoveries = 0;    // ring jobs decided after their leader died
  std::vector<AttachedProcess> processes;
};

// Reads the side file of `db_path`. Returns present=false when there is none.
// Throws Error(InvalidArgument) when the side file was made by an incompatible Sluice version.
SideFileState read_side_file(const std::string& db_path);

}  // namespace sluice
