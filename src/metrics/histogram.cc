#include "metrics/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::metrics {

namespace {
constexpr int kSub = 1 << Histogram::kSubBucketBits;  // 32
constexpr int kExact = 2 * kSub;                      // values below 64 have their own bucket
}  // namespace

int Histogram::bucket_of(std::uint64_t v) noexcept {
  if (v < static_cast<std::uint64_t>(kExact)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);  // >= 6
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
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  std::uint64_t m = max_.load(std::memory_order_relaxed);
  while (value > m && !max_.compare_exchange_weak(m, value, std::memory_order_relaxed)) {
  }
}

std::uint64_t Histogram::percentile(double q) const noexcept {
  std::uint64_t total = 0;
  for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
  const std::uint64_t max = max_.load(std::memory_order_relaxed);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed);
    if (seen >= rank) return std::min(bucket_upper(i), max);
  }
  return max;
}

Summary Histogram::summary() const noexcept {
  Summary s;
  s.count = count_.load(std::memory_order_relaxed);
  if (s.count == 0) return s;
  s.mean = static_cast<double>(sum_.load(std::memory_order_relaxed)) / static_cast<double>(s.count);
  s.p50 = percentile(0.50);
  s.p90 = percentile(0.90);
  s.p99 = percentile(0.99);
  s.p999 = percentile(0.999);
  s.max = max_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sluice::metrics
