// The clients' own durable logs, outside the database: one file per process incarnation, a
// record appended and fdatasync'ed before each write is sent (intent), after it is acknowledged
// (ack), and once after the first ack (the time from process start, for recovery figures).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/oracle.h"

namespace sluice::crashtest {

enum class RecordKind : std::int32_t { Intent = 1, Ack = 2, FirstAckUs = 3 };

struct Record {
  std::int64_t writer;
  std::int64_t value;  // seq, or µs for FirstAckUs
  RecordKind kind;
  std::int32_t pad = 0;
};

class LogWriter {
 public:
  explicit LogWriter(const std::string& path);  // throws std::runtime_error
  ~LogWriter();
  // Appends one record and fdatasyncs it. Thread-safe (O_APPEND; one write per record).
  void append(const Record& r);

 private:
  int fd_ = -1;
};

struct LogSummary {
  std::map<std::int64_t, testing::WriterLog> writers;
  std::vector<double> first_ack_ms;
};

// Reads every "log-*.bin" in `dir` (a torn last record is ignored).
LogSummary read_logs(const std::string& dir);

}  // namespace sluice::crashtest
