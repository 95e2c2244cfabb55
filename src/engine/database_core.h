// DatabaseCore: what a Database owns — the write connection, the write queue, the writer
// thread, the reader pool, the metrics — and the order in which they start and stop.
//
// Open:   writer connection (create, pragmas, verify) → side file (attach, claim a slot) →
//         reader pool → checkpointer (waits for the lease) → writer.
// Close:  closing_ = true (admission stops; later submissions fail with Closed)
//         → writer drains every admitted job and stops
//         → replicator (Config::replica) ships the last commits, lets go of the WAL
//         → checkpointer stops
//         → reader pool closes
//         → TRUNCATE checkpoint on the write connection → it closes last (SQLite removes the WAL)
//         → the side file's slot is freed.
// In a child process after fork() nothing is closed or joined (the threads do not exist there
// and the descriptors are the parent's): every call fails with InvalidArgument, and the
// destructor only leaks the parent's handles.
//
// Thread-safety: enqueue/lease/stats from any thread; close() once, not racing other calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "coord/job_ring.h"
#include "coord/process_counters.h"
#include "coord/side_file.h"
#include "coord/writer_lock.h"
#include "engine/checkpointer.h"
#include "engine/completion.h"
#include "engine/engine_metrics.h"
#include "engine/reader_pool.h"
#include "engine/write_queue.h"
#include "engine/writer.h"
#include "sluice/config.h"
#include "sluice/connection.h"
#include "sluice/database.h"

namespace sluice::backup {
class Replicator;
}

namespace sluice::engine {

class DatabaseCore {
 public:
  // Throws Error as Database::open documents.
  explicit DatabaseCore(Config config);
  ~DatabaseCore();  // close()

  // Admits a job: sets its times and completion, pushes it to the writer. `lead`: the caller
  // will wait for the job at once (a synchronous write), so it leads the group commit on its own
  // thread when no one else does (Writer::lead) instead of waking the writer thread.
  // Throws Reentrant, WritesRefused, Overloaded, Closed.
  void enqueue(detail::Job& job, std::int64_t timeout_ms, bool lead = false);
  // A declarative write through the shared job ring (coordinate_processes): publishes it, makes
  // sure a leader will take it (this process's, or whichever holds the writer lock first), and
  // waits for its outcome until the job's deadline (timeout_ms, 0 = write_deadline_ms).
  // Returns nullopt when the ring cannot take it (no ring, ring full, job larger than a slot):
  // the caller then runs it in this process's own turn. Throws the job's error (as a write job
  // would), DeadlineExceeded when no leader took it in time (it never runs), and what enqueue
  // throws.
  std::optional<ExecResult> execute_via_ring(std::string_view sql, const std::vector<Value>& params,
                                             std::int64_t timeout_ms);
  // Constant (close() frees ring_ under lifetime_mu_; this reads only the config).
  bool uses_ring() const noexcept { return config_.coordinate_processes; }
  // Queues a RingDrive unless one is queued already (Writer::claim_drive). Throws what
  // enqueue throws.
  void drive_ring(std::int64_t timeout_ms);

  // Throws Reentrant on the writer thread, Closed after close(), InvalidArgument in a child
  // process after fork().
  void check_caller() const;

  ReaderPool* readers() noexcept { return readers_.get(); }
  EngineMetrics& metrics() noexcept { return metrics_; }
  detail::Completion& completion() noexcept { return completion_; }
  const Config& config() const noexcept { return config_; }
  Stats stats() const;
  const std::map<std::string, std::string>& effective_pragmas() const noexcept {
    return effective_;
  }
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  void close() noexcept;
  bool forked() const noexcept;
  bool is_open() const noexcept { return !closing_.load(std::memory_order_acquire); }

 private:
  // Constant after construction.
  const Config config_;
  EngineMetrics metrics_;
  detail::Completion completion_;
  std::map<std::string, std::string> effective_;
  std::vector<std::string> warnings_;

  // stats() holds it shared; close() exclusively while it frees writer_, side_, checkpointer_.
  mutable std::shared_mutex lifetime_mu_;
  std::uint64_t fork_generation_;
  std::optional<Connection> write_conn_;
  std::unique_ptr<coord::SideFile> side_;
  std::unique_ptr<coord::WriterLock> writer_lock_;
  std::unique_ptr<coord::ProcessCounters> counters_;
  std::unique_ptr<coord::JobRing> ring_;  // coordinate_processes only
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<backup::Replicator> replicator_;  // Config::replica; outlives checkpointer_
  std::unique_ptr<Checkpointer> checkpointer_;      // null without WAL or with inline checkpoints
  WriteQueue queue_;
  std::unique_ptr<Writer> writer_;

  std::atomic<bool> closing_{false};
};

}  // namespace sluice::engine
