// ReaderPool: a fixed set of read-only connections (SQLITE_OPEN_READONLY), leased one read at a
// time. In WAL mode a reader never waits for the writer; it only waits here when every
// connection is leased, for at most its deadline, and that wait is measured.
//
// Each lease's start is kept: stats show the oldest open read, and a read that held its
// connection (and so its snapshot, pinning the WAL) over max_read_txn_ms is counted with its SQL.
//
// Thread-safety: every member from any thread; close() waits for the leases in flight.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_metrics.h"
#include "engine/pragmas.h"
#include "sluice/config.h"
#include "sluice/connection.h"

namespace sluice::engine {

class ReaderPool {
 public:
  // Opens config.pool_size read-only connections to `path` and applies the reader pragmas.
  // Throws Error as Connection::open / apply_pragmas do.
  ReaderPool(const std::string& path, const Config& config, EngineMetrics& metrics);

  // Leases a connection, waiting until deadline_ns (steady clock) at most.
  // Throws Error(DeadlineExceeded) naming the pool size, Error(Closed) after close().
  Connection* acquire(std::int64_t deadline_ns);
  void release(Connection* conn) noexcept;
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
  std::size_t index_of(const Connection* conn) const noexcept;  // REQUIRES: mu_ held

  EngineMetrics& metrics_;
  const std::int64_t max_read_ns_;  // 0 = no check
  const std::size_t size_;
  PragmaReport pragmas_;  // of the first connection; all are configured alike

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // State below is protected by mu_.
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> free_;
  std::vector<std::int64_t> leased_since_ns_;  // per all_ entry; 0 = free
  std::vector<std::thread::id> holders_;       // per all_ entry; id() = free
  std::string long_read_sql_;
  std::int64_t long_read_ns_ = 0;
  bool closed_ = false;
};

}  // namespace sluice::engine
