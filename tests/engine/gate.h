// Gate: holds the writer thread inside a job until the test opens it, so that the jobs submitted
// meanwhile are queued together and form the next batch — deterministic batching, no sleeps.
#pragma once

#include <future>

#include "sluice/database.h"

namespace sluice::testing {

class Gate {
 public:
  // Submits the blocking job and returns once the writer is inside it.
  explicit Gate(Database& db) {
    pending_ = db.submit([this](Transaction&) {
      entered_.set_value();
      open_future_.wait();
    });
    entered_.get_future().wait();
  }
  ~Gate() { open(); }
  void open() {
    if (!opened_) {
      opened_ = true;
      open_.set_value();
      pending_.get();
    }
  }

 private:
  std::promise<void> entered_;
  std::promise<void> open_;
  std::shared_future<void> open_future_{open_.get_future().share()};
  Pending<void> pending_;
  bool opened_ = false;
};

}  // namespace sluice::testing
