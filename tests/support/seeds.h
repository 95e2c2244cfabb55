// Seeds for the randomised reliability tests: PREFIX_SEED=S replays one seed; otherwise seeds
// 1..N with N from PREFIX_SEEDS (default `ci_count`, the CI size).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace sluice::testing {

inline std::vector<std::uint64_t> seeds_from_env(const std::string& prefix,
                                                 std::uint64_t ci_count) {
  if (const char* one = std::getenv((prefix + "_SEED").c_str())) {
    return {std::strtoull(one, nullptr, 10)};
  }
  std::uint64_t n = ci_count;
  if (const char* count = std::getenv((prefix + "_SEEDS").c_str())) {
    n = std::strtoull(count, nullptr, 10);
  }
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 1; s <= n; ++s) seeds.push_back(s);
  return seeds;
}

}  // namespace sluice::testing
