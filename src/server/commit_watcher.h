// CommitWatcher: turns the engine's Pending write results into callbacks, with one thread.
//
// The HTTP threads must never block on a commit (a blocked event-loop thread stalls every
// connection it serves), and Pending offers only waiting. So each request's write job is
// submitted with Database::submit() and its Pending handed here; one thread waits for them in
// submission order and runs each callback once its job has committed or failed. The writer
// completes jobs in queue order, batch by batch, so waiting on the oldest first costs at most
// one extra wake-up per batch: when it is done, the ones behind it from the same batch are too.
//
// Callbacks run on the watcher thread and must be quick (post the real work elsewhere).
//
// Thread-safety: watch() from any thread. The destructor waits for every watched job.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "sluice/database.h"

namespace sluice::server {

class CommitWatcher {
 public:
  // Runs with `error` null after the commit, or with the job's (or its batch's) error.
  using Callback = std::function<void(std::exception_ptr error)>;

  CommitWatcher();
  ~CommitWatcher();  // waits for every watched job, runs its callback, joins the thread
  CommitWatcher(const CommitWatcher&) = delete;
  CommitWatcher& operator=(const CommitWatcher&) = delete;

  void watch(Pending<void> pending, Callback done);

 private:
  struct Item {
    Pending<void> pending;
    Callback done;
  };
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> items_;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  std::thread thread_;
};

}  // namespace sluice::server
