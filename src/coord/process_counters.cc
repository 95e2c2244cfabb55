#include "coord/process_counters.h"

#include <chrono>

#include "coord/side_file_layout.h"

namespace sluice::coord {

void ProcessCounters::publish(const Values& v) noexcept {
  ProcessSlot* s = side_.slot();
  if (s == nullptr) return;
  constexpr auto r = std::memory_order_relaxed;
  s->commits.store(v.commits, r);
  s->jobs_ok.store(v.jobs_ok, r);
  s->jobs_failed.store(v.jobs_failed, r);
  s->queue_depth.store(v.queue_depth, r);
  s->last_commit_unix_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count(),
                               r);
}

}  // namespace sluice::coord
