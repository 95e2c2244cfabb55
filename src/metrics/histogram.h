// Histogram: a lock-free, log-linear histogram of non-negative integers (µs, jobs, pages).
//
// Buckets: values 0..63 exactly; above that, 32 sub-buckets per power of two, so a reported
// percentile (a bucket's upper bound) is at most 1/32 (~3%) above the true value, and never
// below it. record() is two relaxed fetch_adds (the value's bucket and the sum) plus a CAS loop
// on the max that runs only while the value is a new maximum; there is no separate count to
// contend on (it is the sum of the buckets). summary() reads each bucket once, so its
// percentiles agree with each other; under concurrent record() its count, mean and max may be a
// few values apart from them.
//
// Thread-safety: record(), summary() and percentile() may be called concurrently from any
// threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "sluice/stats.h"

namespace sluice::metrics {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 5;  // 32 sub-buckets per power of two
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  // 0..63 one bucket each, then kSubBuckets for each power of two from 2^6 to 2^63.
  static constexpr int kBuckets = 2 * kSubBuckets + (64 - kSubBucketBits - 1) * kSubBuckets;

  void record(std::uint64_t value) noexcept;
  // count, mean, p50/p90/p99/p999 (bucket upper bounds, clamped to max) and the exact max.
  // All zero when nothing was recorded.
  Summary summary() const noexcept;
  // The upper bound of the bucket holding the value of rank ceil(q * count) (at least 1),
  // clamped to the exact max; q is clamped to [0, 1]. 0 when nothing was recorded.
  std::uint64_t percentile(double q) const noexcept;

  // The bucket of `value`, in [0, kBuckets).
  static int bucket_of(std::uint64_t value) noexcept;
  // The largest value in bucket `bucket`. REQUIRES: 0 <= bucket < kBuckets.
  static std::uint64_t bucket_upper(int bucket) noexcept;

 private:
  using Counts = std::array<std::uint64_t, kBuckets>;

  // Reads every bucket once; returns their total.
  std::uint64_t snapshot(Counts& counts) const noexcept;
  static std::uint64_t percentile_of(const Counts& counts, std::uint64_t total, std::uint64_t max,
                                     double q) noexcept;

  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace sluice::metrics
