#include "crashtest/log.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace sluice::crashtest {
namespace {

static_assert(std::atomic<std::int64_t>::is_always_lock_free,
              "the log is shared between processes: its atomics must be lock-free");

// Maps `path` (sizeof(LogPage) bytes); nullptr on failure.
LogPage* map_log(const std::string& path, bool create) {
  const int fd =
      ::open(path.c_str(), create ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644);
  if (fd < 0) return nullptr;
  if (create && ::ftruncate(fd, sizeof(LogPage)) != 0) {
    ::close(fd);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(LogPage))) {
    ::close(fd);
    return nullptr;
  }
  void* p = ::mmap(nullptr, sizeof(LogPage), create ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED, fd, 0);
  ::close(fd);
  return p == MAP_FAILED ? nullptr : static_cast<LogPage*>(p);
}

}  // namespace

LogWriter::LogWriter(const std::string& path) : page_(map_log(path, true)) {
  if (page_ == nullptr) throw std::runtime_error("cannot create log " + path);
}

LogWriter::~LogWriter() { ::munmap(page_, sizeof(LogPage)); }

void LogWriter::intend(int t, std::int64_t writer, std::int64_t seq) {
  page_->slots[t].writer.store(writer);
  page_->slots[t].intended.store(seq);
}

void LogWriter::ack(int t, std::int64_t seq) { page_->slots[t].acked.store(seq); }

void LogWriter::first_ack(std::int64_t us) {
  std::int64_t none = 0;
  page_->first_ack_us.compare_exchange_strong(none, us);
}

LogSummary read_logs(const std::string& dir) {
  LogSummary s;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("log-", 0) != 0) continue;
    const LogPage* page = map_log(entry.path().string(), false);
    if (page == nullptr) continue;  // being created: no write sent yet
    if (const std::int64_t us = page->first_ack_us.load(); us != 0) {
      s.first_ack_ms.push_back(static_cast<double>(us) / 1000.0);
    }
    for (const LogSlot& slot : page->slots) {
      const std::int64_t writer = slot.writer.load();
      if (writer == 0) continue;
      testing::WriterLog& w = s.writers[writer];
      w.writer = writer;
      w.intended = slot.intended.load();
      w.acked = slot.acked.load();
    }
    ::munmap(const_cast<LogPage*>(page), sizeof(LogPage));
  }
  return s;
}

}  // namespace sluice::crashtest
