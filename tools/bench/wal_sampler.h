// Samples the size of a database's -wal file on a background thread while a point runs, for the
// "WAL size over time" chart and the WAL maximum in the JSON.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice::bench {

// Period between samples. 50 ms resolves a checkpoint cycle (hundreds of ms at the seed's 4000
// pages) while costing one stat() call per period.
inline constexpr int kWalSampleMs = 50;

// Starts sampling at construction; stop() ends it and returns (seconds since `origin_s`, bytes)
// pairs, a missing file counted as 0 bytes. Not thread-safe: one owner calls stop().
class WalSampler {
 public:
  // `origin_s`: std::chrono::steady_clock seconds the series' time axis starts at.
  WalSampler(const std::string& db_path, double origin_s);
  ~WalSampler();
  WalSampler(const WalSampler&) = delete;
  WalSampler& operator=(const WalSampler&) = delete;

  std::vector<std::pair<double, std::int64_t>> stop();

 private:
  void loop();

  std::string wal_path_;
  double origin_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::pair<double, std::int64_t>> series_;
  std::thread thread_;
};

}  // namespace sluice::bench
