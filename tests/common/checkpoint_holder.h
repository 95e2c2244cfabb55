// CheckpointHolder: another connection's checkpoint in progress, for as long as a test wants.
//
// A FULL checkpoint on its own connection, on a thread, while a reader pins the WAL: SQLite
// holds the checkpoint lock while the busy handler waits for that reader, and the handler here
// keeps waiting until release() (or about a minute). Other checkpoints meanwhile find the lock
// taken: SQLite answers them SQLITE_BUSY at once, without calling their busy handler.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "sluice/connection.h"

namespace sluice::testing {

class CheckpointHolder {
 public:
  // REQUIRES: a reader of `path` holds a snapshot older than the WAL's last frame.
  explicit CheckpointHolder(const std::string& path)
      : thread_([this, path] {
          Connection c = Connection::open(path);
          sqlite3_busy_handler(
              c.native_handle(),
              [](void* self, int n) {
                auto& h = *static_cast<CheckpointHolder*>(self);
                h.holding_.store(true);
                // The other party of the test, not synchronisation: a checkpoint that is busy.
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                return h.release_.load() || n > 60000 ? 0 : 1;
              },
              this);
          (void)c.query("PRAGMA wal_checkpoint(FULL)").next();
          finished_.store(true);
        }) {}
  ~CheckpointHolder() { release(); }
  CheckpointHolder(const CheckpointHolder&) = delete;
  CheckpointHolder& operator=(const CheckpointHolder&) = delete;

  // Waits (up to 30 s) until the checkpoint is in progress; false if it ended without waiting.
  bool wait_until_holding() {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!holding_ && !finished_ && std::chrono::steady_clock::now() < limit) {
      std::this_thread::yield();
    }
    return holding_;
  }
  // Lets the checkpoint give up and end; joins its thread.
  void release() {
    release_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> holding_{false};
  std::atomic<bool> release_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;  // last: started after the flags exist
};

}  // namespace sluice::testing
