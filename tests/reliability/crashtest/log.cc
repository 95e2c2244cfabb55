#include "crashtest/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace sluice::crashtest {

LogWriter::LogWriter(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open log " + path);
}

LogWriter::~LogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void LogWriter::append(const Record& r) {
  if (::write(fd_, &r, sizeof r) != static_cast<ssize_t>(sizeof r) || ::fdatasync(fd_) != 0) {
    throw std::runtime_error("log append failed");
  }
}

LogSummary read_logs(const std::string& dir) {
  LogSummary s;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("log-", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    Record r{};
    while (in.read(reinterpret_cast<char*>(&r), sizeof r)) {
      if (r.kind == RecordKind::FirstAckUs) {
        s.first_ack_ms.push_back(static_cast<double>(r.value) / 1000.0);
        continue;
      }
      auto& w = s.writers[r.writer];
      w.writer = r.writer;
      if (r.kind == RecordKind::Intent) w.intended = std::max(w.intended, r.value);
      if (r.kind == RecordKind::Ack) w.acked = std::max(w.acked, r.value);
    }
  }
  return s;
}

}  // namespace sluice::crashtest
