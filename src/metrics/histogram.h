// Histogram: a lock-free, log-linear histogram of non-negative integers (µs, jobs, pages).
//
// Buckets: values 0..63 exactly; above that, 32 sub-buckets per power of two, so a reported
// percentile is within ~3% of the true value. record() is wait-free (one relaxed fetch_add per
// bucket plus count/sum/max updates); summary() reads a consistent-enough snapshot.
//
// Thread-safety: record() and summary() may be called concurrently from any threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "sluice/stats.h"

namespace sluice::metrics {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 5;  // 32 sub-buckets per power of two
  static constexpr int kBuckets = 64 * (1 << kSubBucketBits);

  void record(std::uint64_t value) noexcept;
  // count, mean, p50/p90/p99/p999 (bucket upper bounds, clamped to max) and exact max.
  Summary summary() const noexcept;
  // Value at quantile q in [0,1] (0 when empty).
  std::uint64_t percentile(double q) const noexcept;

  static int bucket_of(std::uint64_t value) noexcept;
  static std::uint64_t bucket_upper(int bucket) noexcept;  // largest value in the bucket

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace sluice::metrics
