// What `sluice bench` was asked to do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::bench {

enum class Mode { Vanilla, Tuned, Sluice };
enum class Phase { Write, Mixed };

const char* to_string(Mode m);
const char* to_string(Phase p);

struct Options {
  std::string workload = "blog";
  std::vector<Mode> modes = {Mode::Vanilla, Mode::Tuned, Mode::Sluice};
  std::vector<int> workers = {1, 2, 4, 8, 16, 32, 64};
  std::vector<Phase> phases = {Phase::Write, Phase::Mixed};
  bool sync_full = false;  // --sync full
  double scale = 0.01;     // fraction of the article's operation counts
  std::uint64_t seed = 20250101;
  std::string dir = "data/bench";
  std::string json_path;  // empty = no JSON
};

}  // namespace sluice::bench
