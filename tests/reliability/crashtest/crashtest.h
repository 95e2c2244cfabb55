// sluice_crashtest: process crashes against the oracle (see main.cc for the whole story).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::crashtest {

struct Options {
  // --- supervisor ---
  int processes = 3;       // writer processes alive at once
  int threads = 2;         // writer threads per process
  int random_rounds = 10;  // rounds that SIGKILL a random process at a random moment
  int point_rounds = 4;    // rounds per deterministic kill point
  std::vector<std::string> synchronous{"normal"};  // one full run per mode
  std::uint64_t seed = 0;                          // 0 = from the clock; always printed
  std::string dir;    // working directory; default: a fresh one under $TMPDIR, removed
  bool keep = false;  // keep the working directory
  // A deliberately broken writer ("ack-before-commit"): the run succeeds only if it is caught.
  std::string sabotage;
  // --- child (internal) ---
  bool child = false;
  std::string db, log, mode, kill_point;
  std::int64_t writer_base = 0;
  std::uint64_t kill_nth = 0;
};

// The deterministic kill points: the engine's crash points plus "mid-checkpoint" (a SIGKILL at
// the Nth write to the database file, which in WAL mode only a checkpoint makes).
inline const std::vector<std::string> kKillPoints = {"before-begin", "mid-batch", "before-commit",
                                                     "after-commit", "mid-checkpoint"};

int run_child(const Options& o);
int run_supervisor(const Options& o, const std::string& self);

}  // namespace sluice::crashtest
