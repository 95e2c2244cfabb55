// The three ways `sluice bench` runs the same operations:
//   vanilla — SQLite as it comes: rollback journal, synchronous=FULL, no busy timeout,
//             autocommit single-statement writes; errors are counted, not retried.
//   tuned   — the seeds' final pragma table, one persistent connection per worker, cached
//             statements, BEGIN IMMEDIATE ... COMMIT per write: a careful user without Sluice.
//   sluice  — one sluice::Database: reads through read(), writes through write().
//   sluice-ckpt-in-commit — the same with checkpoints inside COMMIT (the baseline of the
//             checkpointer's p999 target).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "bench/blog_workload.h"
#include "bench/options.h"

namespace sluice::bench {

// One worker thread's handle. Each call runs one operation as a caller would and throws
// sluice::Error on failure. Used by one thread at a time.
class Worker {
 public:
  virtual ~Worker() = default;
  virtual void run(const Op& op) = 0;
  // The settings this worker actually runs with, read back from the database (for vanilla and
  // tuned with PRAGMA on the worker's own connection), so a run that did not get the pragmas it
  // asked for shows it.
  virtual std::map<std::string, std::string> effective_pragmas() = 0;
};

// A write started without waiting (sluice's Database::submit).
class Ticket {
 public:
  virtual ~Ticket() = default;
  // Waits until the write is committed or failed; throws sluice::Error on failure.
  virtual void wait() = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Opens whatever a worker needs (its own connection, or nothing). Called before timing starts.
  virtual std::unique_ptr<Worker> make_worker() = 0;
  // The configuration as JSON (for --json).
  virtual std::string config_json() const = 0;
  // Library statistics after the run, as JSON ("" when not Sluice).
  virtual std::string stats_json() { return ""; }
  // Starts `op` (a write) without waiting for it; thread-safe. Throws sluice::Error when the
  // write is refused at once (Overloaded, ...). Only modes with an asynchronous API implement
  // it (see has_submit()).
  virtual std::unique_ptr<Ticket> submit(const Op& op);
  virtual bool has_submit() const { return false; }
};

// A driver of `mode` over the database file at `path` (SluiceSubmit: the same as Sluice; the
// runner decides to call submit(); SluiceCheckpointInCommit: commit_autocheckpoint_pages=1000).
std::unique_ptr<Driver> make_driver(Mode mode, const std::string& path, bool sync_full);

}  // namespace sluice::bench
