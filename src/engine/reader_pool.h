// ReaderPool: a fixed set of read-only connections (SQLITE_OPEN_READONLY), leased one read at a
// time. In WAL mode a reader never waits for the writer; it only waits here when every
// connection is leased, for at most its deadline, and that wait is measured.
//
// Snapshots. A lease with max_staleness 0 runs in a read transaction of its own (BEGIN ...
// COMMIT): it sees every commit acknowledged before it began. With max_staleness S > 0 a
// connection keeps its read transaction open after a read, and a later lease reuses that
// snapshot while it is younger than S — unless the leasing thread has had a write acknowledged
// since the snapshot began (read-your-writes, engine/snapshot_epoch.h). Reusing a snapshot
// skips BEGIN/COMMIT and, above all, keeps the connection's page cache: SQLite empties a
// reader's whole cache whenever its new read transaction finds the WAL changed by a commit.
// A kept snapshot pins the WAL (no checkpoint can pass it): end_stale_snapshots() ends every
// kept snapshot older than its S; the checkpointer calls it before each checkpoint and at least
// every Checkpointer::kLeaseRetryMs while it waits for the lease.
//
// Each lease's start is kept: stats show the oldest open read, and a read that held its
// connection over max_read_txn_ms is counted with its SQL.
//
// Thread-safety: every member from any thread; close() waits for the leases in flight. A leased
// connection and its snapshot state belong to the leasing thread until release().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_metrics.h"
#include "engine/mutex.h"
#include "engine/pragmas.h"
#include "sluice/config.h"
#include "sluice/connection.h"

namespace sluice::engine {

class ReaderPool {
 public:
  // Opens config.pool_size read-only connections to `path` and applies the reader pragmas.
  // Throws Error as Connection::open / apply_pragmas do.
  ReaderPool(const std::string& path, const Config& config, EngineMetrics& metrics);

  // Leases a connection inside a read transaction, waiting until deadline_ns (steady clock) at
  // most for a free one. max_staleness_ns: 0 = a new read transaction; S > 0 = the connection's
  // kept snapshot when younger than S and not older than the caller's last acknowledged write.
  // Throws Error(DeadlineExceeded) naming the pool size, Error(Closed) after close(), or
  // SQLite's error from BEGIN (the connection is returned first).
  Connection* acquire(std::int64_t deadline_ns, std::int64_t max_staleness_ns);
  // The read succeeded: keeps the snapshot for the next lease when the lease allowed staleness
  // and the snapshot is still young enough, else COMMITs it. Throws SQLite's error from COMMIT.
  void finish(Connection* conn);
  // Returns the connection (rolling back a read transaction that finish() did not keep).
  void release(Connection* conn) noexcept;
  // Ends every kept snapshot of a free connection that is older than its lease's staleness.
  void end_stale_snapshots() noexcept;
  // Fills oldest_read_ms, long_read_sql and long_read_ms.
  void long_read_report(Stats& s);
  // Refuses new leases (Closed), waits until every leased connection is returned, closes them.
  void close() noexcept;
  // Whether the calling thread holds a lease now (close() from inside a read would wait forever).
  bool leased_by_this_thread() const noexcept;

  // Connections opened (config.pool_size); constant, so safe to read while close() runs.
  std::size_t size() const noexcept { return size_; }
  const PragmaReport& pragmas() const noexcept { return pragmas_; }

 private:
  // One pooled connection and its lease and snapshot state.
  struct Slot {
    std::unique_ptr<Connection> conn;
    std::int64_t leased_since_ns = 0;  // 0 = free
    std::thread::id holder;            // id() = free
    std::int64_t snapshot_ns = 0;      // when its open read transaction began; 0 = none
    std::uint64_t snapshot_epoch = 0;  // commit epoch at that BEGIN (snapshot_epoch.h)
    std::int64_t staleness_ns = 0;     // the current (or last) lease's max_staleness
    bool kept = false;                 // finish() kept the snapshot open for the next lease
  };

  // The slot of one of our connections. Needs mu_ for a free slot; a leased one is its holder's.
  Slot& slot_of(const Connection* conn) noexcept;
  Connection* take(std::size_t free_index) REQUIRES(mu_);
  void open_snapshot(Slot& s);                     // s leased by the caller
  static void end_snapshot(Slot& s, bool commit);  // s leased by the caller, or mu_ held and s free

  EngineMetrics& metrics_;
  const std::int64_t max_read_ns_;  // 0 = no check
  const std::size_t size_;
  PragmaReport pragmas_;  // of the first connection; all are configured alike

  mutable Mutex mu_;
  CondVar cv_;  // waits with mu_
  // The vector is filled by the constructor and cleared by close() once every connection is
  // back; in between, a free slot's fields are guarded by mu_ and a leased slot's belong to its
  // holder — a hand-over the analysis cannot express, so slots_ carries no annotation.
  std::vector<Slot> slots_;
  std::vector<Connection*> free_ GUARDED_BY(mu_);
  std::string long_read_sql_ GUARDED_BY(mu_);
  std::int64_t long_read_ns_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace sluice::engine
