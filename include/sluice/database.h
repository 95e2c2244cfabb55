// Database: Sluice's façade. One Database per file per process.
//
//   auto db = sluice::Database::open("data/app.db");
//   int64_t id = db.write([&](sluice::Transaction& tx) {
//     tx.exec("INSERT INTO users(name) VALUES (?)", name);
//     return tx.last_insert_rowid();
//   });
//   auto rows = db.read([&](sluice::Connection& c) {
//     return c.query("SELECT id, name FROM users WHERE id = ?", id).all();
//   });
//
// Writes: every write job runs on the one writer thread, inside a group-commit transaction that
// holds every job queued when the batch began (up to Config::max_batch_jobs): BEGIN IMMEDIATE,
// one SAVEPOINT per job, COMMIT, then every caller is completed. The contract:
//   - Ack = committed. write() returns (and a Pending becomes ready) only after COMMIT returned,
//     durable as Config::synchronous promises.
//   - A failing job fails alone: its savepoint rolls back, its caller gets the error.
//   - A failed COMMIT fails the whole batch; nothing of it is acknowledged. After an I/O error of
//     unknown outcome every later write fails with WritesRefused until the file is reopened.
//   - SQLITE_BUSY from a foreign writer (a program without Sluice) is retried with jittered
//     backoff for up to busy_timeout_ms, then the batch's jobs fail with Busy.
//   - A full queue answers Overloaded at once (or after enqueue_timeout_ms); a job not started by
//     its deadline fails with DeadlineExceeded and never runs.
//   - A job must not call back into its own Database: that fails with Reentrant.
//   - close() (and the destructor) stop admission, commit everything accepted, checkpoint, close.
//
// Reads run on a pool of read-only connections, each read in one read transaction (a consistent
// snapshot). A read started after a write's ack sees that write. Reads never wait for writes;
// they wait only for a free pooled connection (up to read_timeout_ms).
//
// Thread-safety: all methods, close() included, may be called concurrently from any threads: a
// call racing close() either completes (close() waits for admitted writes and for reads in
// flight) or fails with Closed. The destructor and move-assignment must not race other calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/backup.h"
#include "sluice/checkpoint.h"
#include "sluice/config.h"
#include "sluice/connection.h"
#include "sluice/detail/job.h"
#include "sluice/error.h"
#include "sluice/stats.h"
#include "sluice/transaction.h"

namespace sluice {

namespace engine {
class DatabaseCore;
}

struct WriteOptions {
  // Deadline from submission; 0 = Config::write_deadline_ms.
  std::chrono::milliseconds timeout{0};
};

struct ReadOptions {
  // Longest wait for a pooled connection; 0 = Config::read_timeout_ms.
  std::chrono::milliseconds timeout{0};
  // How old a snapshot this read accepts; negative = Config::max_staleness_ms. 0 = a new read
  // transaction, seeing every commit acknowledged before the read began (in any process).
  // S > 0 = the read may reuse a pooled connection's snapshot taken at most S ago, so it may
  // miss commits of the last S — except the calling thread's own acknowledged writes, which it
  // always sees (read-your-writes; another thread's writes, even acknowledged, may be missed).
  // Like rqlite's `level=none&freshness=`. It pays off under writes: every new snapshot after a
  // commit starts with an empty page cache (see Config::max_staleness_ms).
  std::chrono::milliseconds max_staleness{-1};
};

// What a declarative execute() did.
struct ExecResult {
  int changes = 0;  // rows changed
  std::int64_t last_insert_rowid = 0;
};

// The future result of submit(). Move-only handle; the writer keeps the job alive even if the
// handle is dropped (the write still happens).
template <class R>
class Pending {
 public:
  Pending() = default;
  explicit Pending(std::shared_ptr<detail::AsyncState<R>> state) : state_(std::move(state)) {}

  bool valid() const noexcept { return state_ != nullptr; }
  // True once committed or failed. Never blocks.
  bool ready() const noexcept { return state_->done.load(std::memory_order_acquire) != 0; }
  // Waits up to `timeout`; true when ready.
  bool wait_for(std::chrono::nanoseconds timeout) const noexcept {
    return detail::wait_for(*state_, timeout);
  }
  // Waits until committed, then returns the job's result or throws its error (sluice::Error,
  // with JobFailed wrapping a foreign exception). Call once: the result is moved out.
  R get() {
    detail::wait(*state_);
    if (state_->error) std::rethrow_exception(state_->error);
    detail::note_write_acked();
    if constexpr (!std::is_void_v<R>) return std::move(*state_->result);
  }

 private:
  std::shared_ptr<detail::AsyncState<R>> state_;
};

class Database {
 public:
  // Opens (creating when Config::create_if_missing) the database at `path`, applies and verifies
  // the pragmas, starts the writer thread and the reader pool.
  // Throws Error: InvalidArgument (bad config, pragma mismatch when strict), CantOpen (directory
  // missing or not writable), NotADatabase, ReadOnly, Corrupt.
  static Database open(const std::string& path, Config config = Config::production());
  // As above, with the path taken from config.path.
  static Database open(Config config);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database();  // close(); never throws

  // Runs fn(Transaction&) on the writer inside the current batch; blocks until committed and
  // returns fn's result. Throws fn's error (as sluice::Error; other exceptions are wrapped as
  // JobFailed), or Overloaded, DeadlineExceeded, Busy, Closed, WritesRefused, Reentrant, or the
  // COMMIT's error. No heap allocation on this path.
  template <class F>
  auto write(F&& fn, WriteOptions options = {}) {
    using R = std::invoke_result_t<F&, Transaction&>;
    static_assert(!std::is_reference_v<R>, "write jobs return values, not references");
    detail::CallJob<std::remove_reference_t<F>, R> job(fn);
    run_sync(job, options);
    if constexpr (!std::is_void_v<R>) return std::move(*job.result);
  }

  // Queues fn like write() but returns at once; the Pending becomes ready after COMMIT.
  // Throws at submission: Overloaded, Closed, WritesRefused, Reentrant.
  template <class F>
  auto submit(F&& fn, WriteOptions options = {}) {
    using Fn = std::decay_t<F>;
    using R = std::invoke_result_t<Fn&, Transaction&>;
    static_assert(!std::is_reference_v<R>, "write jobs return values, not references");
    auto state = std::make_shared<detail::AsyncJob<Fn, R>>(Fn(std::forward<F>(fn)));
    state->keepalive = state;
    try {
      enqueue(*state, options);
    } catch (...) {
      state->keepalive.reset();
      throw;
    }
    return Pending<R>(std::static_pointer_cast<detail::AsyncState<R>>(std::move(state)));
  }

  // A declarative write: one statement with parameters, as a job of its own. With
  // Config::coordinate_processes it goes through the side file's shared job ring, so whichever
  // Sluice process holds the writer lock commits it in its batch (group commit across
  // processes); a statement with parameters larger than a ring slot (about 3.7 KiB encoded), or
  // a full ring, runs in this process's own turn instead (Stats::ring_fallbacks). Same errors
  // either way. A process that dies after submitting leaves a job that may still commit.
  template <class... A>
  ExecResult execute(std::string_view sql, const A&... args) {
    if (uses_job_ring()) return execute_values(sql, {detail::to_value(args)...});
    return write([&](Transaction& tx) {
      int n = tx.exec(sql, args...);
      return ExecResult{n, tx.last_insert_rowid()};
    });
  }
  // As above with parameters known only at run time (through the job ring likewise).
  ExecResult execute_values(std::string_view sql, const std::vector<Value>& params);

  // Runs fn(Connection&) on a pooled read-only connection inside one read transaction, and
  // returns its result. Throws DeadlineExceeded when no connection is free within the timeout,
  // Reentrant inside a write job, Closed, or fn's error. Values fn returns must not refer to
  // statements (return rows, not a Query).
  template <class F>
  auto read(F&& fn, ReadOptions options = {}) {
    using R = std::invoke_result_t<F&, Connection&>;
    if (!reads_use_pool()) {
      return write([&](Transaction& tx) -> R { return fn(tx.connection()); },
                   WriteOptions{options.timeout});
    }
    ReadScope scope(*this, options);
    if constexpr (std::is_void_v<R>) {
      fn(scope.connection());
      scope.succeed();
    } else {
      R result = fn(scope.connection());
      scope.succeed();
      return result;
    }
  }

  // Runs a checkpoint now, on the writer thread (between batches). PASSIVE never waits (and
  // reports busy when another checkpoint, e.g. the checkpointer's, is in progress);
  // FULL/RESTART/TRUNCATE wait up to busy_timeout_ms for readers and for another checkpoint in
  // progress, and report busy if they could not finish. Throws Closed, Reentrant, or SQLite's
  // error.
  CheckpointResult checkpoint(CheckpointMode mode = CheckpointMode::Passive);

  // A consistent, integrity-checked copy of the database as of this call, written to `dest`
  // while writes continue (backup_file() in sluice/backup.h describes how, and the errors).
  // Every write acknowledged before the call is in the copy. Runs on the calling thread with a
  // connection of its own: it never waits for the writer and never blocks it. Also throws
  // Closed, and Reentrant inside a write job.
  BackupResult backup_to(const std::string& dest, const BackupOptions& options = {}) const;

  Stats stats() const;
  // The pragmas as read back from the writer connection at open, e.g. {"journal_mode","wal"}.
  std::map<std::string, std::string> effective_pragmas() const;
  // Non-fatal findings at open (pragma mismatches with strict_pragmas=false).
  std::vector<std::string> warnings() const;
  const Config& config() const;
  const std::string& path() const;

  // Stops admission (later calls fail with Closed), commits every job already accepted, waits
  // for reads in flight, runs a final checkpoint and closes every connection. Idempotent. Throws
  // nothing. From inside a write job or a read callback it does nothing (it would wait for
  // itself).
  void close() noexcept;
  bool is_open() const noexcept;

 private:
  // RAII over one pooled read: lease + BEGIN; ROLLBACK + release when not succeeded.
  class ReadScope {
   public:
    ReadScope(Database& db, const ReadOptions& options);
    ~ReadScope();
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;
    Connection& connection() noexcept { return *conn_; }
    void succeed();  // COMMIT the read transaction; records the read

   private:
    engine::DatabaseCore& core_;
    Connection* conn_;
    std::int64_t start_ns_;
    bool done_ = false;
  };

  explicit Database(std::unique_ptr<engine::DatabaseCore> core) noexcept;
  void run_sync(detail::Job& job, const WriteOptions& options);
  void enqueue(detail::Job& job, const WriteOptions& options);
  bool reads_use_pool() const noexcept;
  bool uses_job_ring() const noexcept;
  engine::DatabaseCore& core() const;

  std::unique_ptr<engine::DatabaseCore> core_;
};

}  // namespace sluice
