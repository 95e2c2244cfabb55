#include "metrics/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::metrics {
namespace {

constexpr int kSub = Histogram::kSubBuckets;  // 32
constexpr int kExact = 2 * kSub;              // values below 64 have their own bucket

}  // namespace

// A value v >= 64 with its highest set bit at `msb` falls in power-of-two group msb - 6; within
// it, the kSubBucketBits bits below the highest one pick the sub-bucket.
int Histogram::bucket_of(std::uint64_t v) noexcept {
  if (v < static_cast<std::uint64_t>(kExact)) return static_cast<int>(v);
  const int msb = std::bit_width(v) - 1;  // >= 6
  const int shift = msb - kSubBucketBits;
  const int sub = static_cast<int>((v >> shift) & (kSub - 1));
  return kExact + (msb - (kSubBucketBits + 1)) * kSub + sub;
}

std::uint64_t Histogram::bucket_upper(int b) noexcept {
  if (b < kExact) return static_cast<std::uint64_t>(b);
  const int msb = (b - kExact) / kSub + kSubBucketBits + 1;
  const int sub = (b - kExact) % kSub;
  const int shift = msb - kSubBucketBits;
  const std::uint64_t lower = static_cast<std::uint64_t>(kSub + sub) << shift;
  return lower + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::uint64_t value) noexcept {
  buckets_[static_cast<std::size_t>(bucket_of(value))].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  std::uint64_t m = max_.load(std::memory_order_relaxed);
  while (value > m && !max_.compare_exchange_weak(m, value, std::memory_order_relaxed)) {
  }
}

std::uint64_t Histogram::snapshot(Counts& counts) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
    total += counts[i];
  }
  return total;
}

std::uint64_t Histogram::percentile_of(const Counts& counts, std::uint64_t total, std::uint64_t max,
                                       double q) noexcept {
  if (total == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))), 1, total);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[static_cast<std::size_t>(i)];
    if (seen >= rank) return std::min(bucket_upper(i), max);
  }
  return max;
}

std::uint64_t Histogram::percentile(double q) const noexcept {
  Counts counts;
  const std::uint64_t total = snapshot(counts);
  return percentile_of(counts, total, max_.load(std::memory_order_relaxed), q);
}

Summary Histogram::summary() const noexcept {
  Counts counts;
  Summary s;
  s.count = snapshot(counts);
  if (s.count == 0) return s;
  s.max = max_.load(std::memory_order_relaxed);
  s.mean = static_cast<double>(sum_.load(std::memory_order_relaxed)) / static_cast<double>(s.count);
  s.p50 = percentile_of(counts, s.count, s.max, 0.50);
  s.p90 = percentile_of(counts, s.count, s.max, 0.90);
  s.p99 = percentile_of(counts, s.count, s.max, 0.99);
  s.p999 = percentile_of(counts, s.count, s.max, 0.999);
  return s;
}

}  // namespace sluice::metrics
