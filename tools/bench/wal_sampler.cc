#include "bench/wal_sampler.h"

#include <sys/stat.h>

#include <chrono>

#include "bench/runner.h"

namespace sluice::bench {

WalSampler::WalSampler(const std::string& db_path, double origin_s)
    : wal_path_(db_path + "-wal"), origin_s_(origin_s), thread_([this] { loop(); }) {}

WalSampler::~WalSampler() { stop(); }

std::vector<std::pair<double, std::int64_t>> WalSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return std::move(series_);
}

void WalSampler::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    struct stat st {};
    const std::int64_t bytes = ::stat(wal_path_.c_str(), &st) == 0 ? st.st_size : 0;
    series_.emplace_back(steady_seconds() - origin_s_, bytes);
    // A timed wait is the sampling period itself; stop() wakes it at once.
    if (cv_.wait_for(lock, std::chrono::milliseconds(kWalSampleMs), [&] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace sluice::bench
