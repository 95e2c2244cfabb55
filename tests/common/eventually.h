// eventually(): waits for a state that another process or thread reaches on its own and that no
// event here can signal (a side-file field, a background checkpointer), re-checking every
// millisecond up to a limit. Returns whether the state was reached: assert on it.
#pragma once

#include <chrono>
#include <thread>

namespace sluice::testing {

template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace sluice::testing
