// The clients' own logs, outside the database: one file per process incarnation, mapped
// MAP_SHARED, holding for each writer thread the last seq it intended to write (stored before
// the write is sent) and the last seq acknowledged to it (stored right after the ack), and the
// time of the process's first ack (for recovery figures). A store into the mapping is in the
// kernel's page cache at once: it outlives the writer's SIGKILL, and the supervisor reads it
// without any sync. So a caller logs its ack nanoseconds after it wakes — a synced log file took
// an fdatasync first, during which a kill would hide an ack given too early.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/oracle.h"

namespace sluice::crashtest {

inline constexpr int kMaxLogThreads = 64;

struct LogSlot {
  std::atomic<std::int64_t> writer{0};  // 0: slot unused
  std::atomic<std::int64_t> intended{0};
  std::atomic<std::int64_t> acked{0};
};

struct LogPage {
  std::atomic<std::int64_t> first_ack_us{0};  // 0: no ack yet
  LogSlot slots[kMaxLogThreads];
};

class LogWriter {
 public:
  // Creates `path` and maps it; throws std::runtime_error.
  explicit LogWriter(const std::string& path);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Thread `t` (0 ≤ t < kMaxLogThreads) is `writer` and means to write `seq`. Thread-safe
  // across threads (each owns its slot).
  void intend(int t, std::int64_t writer, std::int64_t seq);
  // Thread `t` was told its last write is done.
  void ack(int t, std::int64_t seq);
  // The process's first ack came `us` µs after it started (kept only the first time).
  void first_ack(std::int64_t us);

 private:
  LogPage* page_ = nullptr;
};

struct LogSummary {
  std::map<std::int64_t, testing::WriterLog> writers;
  std::vector<double> first_ack_ms;
};

// Reads every "log-*.bin" in `dir`.
LogSummary read_logs(const std::string& dir);

}  // namespace sluice::crashtest
