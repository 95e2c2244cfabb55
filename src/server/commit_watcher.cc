#include "server/commit_watcher.h"

namespace sluice::server {

CommitWatcher::CommitWatcher() : thread_([this] { loop(); }) {}

CommitWatcher::~CommitWatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void CommitWatcher::watch(Pending<void> pending, Callback done) {
  {
    std::lock_guard lock(mutex_);
    items_.push_back(Item{std::move(pending), std::move(done)});
  }
  wake_.notify_one();
}

void CommitWatcher::loop() {
  std::deque<Item> taken;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !items_.empty(); });
      if (items_.empty()) return;  // stopping, and nothing left to wait for
      taken.swap(items_);
    }
    for (Item& item : taken) {
      std::exception_ptr error;
      try {
        item.pending.get();  // waits for the commit (or the failure)
      } catch (...) {
        error = std::current_exception();
      }
      item.done(error);
    }
    taken.clear();
  }
}

}  // namespace sluice::server
