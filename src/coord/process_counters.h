// ProcessCounters: this Database's live counters in its slot of the side file, which
// `sluice inspect` and read_side_file() (include/sluice/processes.h) show for every attached
// process. Writer-lock waits are recorded by the WriterLock itself.
//
// Without a slot (every slot of the side file taken) publishing does nothing.
//
// Thread-safety: publish() from the writer (one leader at a time); relaxed atomics.
#pragma once

#include <cstdint>

#include "coord/side_file.h"

namespace sluice::coord {

class ProcessCounters {
 public:
  explicit ProcessCounters(SideFile& side) noexcept : side_(side) {}

  struct Values {
    std::uint64_t commits = 0;
    std::uint64_t jobs_ok = 0;
    std::uint64_t jobs_failed = 0;
    std::uint64_t queue_depth = 0;  // jobs waiting in this process after the batch
  };
  // Stores `v` and the current time as this Database's last commit time (Unix ms).
  void publish(const Values& v) noexcept;

 private:
  SideFile& side_;
};

}  // namespace sluice::coord
