// Histogram: bucket layout, percentile accuracy against exact percentiles, concurrent records.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <latch>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "metrics/histogram.h"

namespace sluice::metrics {
namespace {

// The exact value of rank ceil(q * n) (at least 1) in sorted `values`.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

TEST(Histogram, EmptyIsAllZero) {
  Histogram h;
  Summary s = h.summary();
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.p50, 0u);
  EXPECT_EQ(s.p999, 0u);
  EXPECT_EQ(s.max, 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 0; v < 64; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.0), 0u);  // rank 1
  EXPECT_EQ(h.percentile(0.5), 31u);
  EXPECT_EQ(h.percentile(0.9), 57u);  // rank ceil(57.6) = 58 -> value 57
  EXPECT_EQ(h.percentile(1.0), 63u);
  EXPECT_EQ(h.percentile(2.0), 63u);  // q is clamped
  Summary s = h.summary();
  EXPECT_EQ(s.count, 64u);
  EXPECT_EQ(s.max, 63u);
  EXPECT_DOUBLE_EQ(s.mean, 31.5);
  EXPECT_EQ(s.p50, 31u);
  EXPECT_EQ(s.p99, 63u);
}

TEST(Histogram, OneLargeValueIsReportedExactlyThroughTheMax) {
  Histogram h;
  h.record(1'000'003);
  Summary s = h.summary();
  EXPECT_EQ(s.p50, 1'000'003u);  // the bucket's upper bound, clamped to the exact max
  EXPECT_EQ(s.p999, 1'000'003u);
  EXPECT_EQ(s.max, 1'000'003u);
  EXPECT_DOUBLE_EQ(s.mean, 1'000'003.0);
}

TEST(Histogram, BucketsTileEveryValueInOrderWithin1Of32) {
  EXPECT_EQ(Histogram::bucket_of(0), 0);
  EXPECT_EQ(Histogram::bucket_upper(0), 0u);
  EXPECT_EQ(Histogram::bucket_upper(Histogram::kBuckets - 1),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(Histogram::bucket_of(std::numeric_limits<std::uint64_t>::max()),
            Histogram::kBuckets - 1);
  for (int b = 0; b + 1 < Histogram::kBuckets; ++b) {
    const std::uint64_t upper = Histogram::bucket_upper(b);
    const std::uint64_t lower = b == 0 ? 0 : Histogram::bucket_upper(b - 1) + 1;
    ASSERT_EQ(Histogram::bucket_of(upper), b);
    ASSERT_EQ(Histogram::bucket_of(lower), b);
    ASSERT_EQ(Histogram::bucket_of(upper + 1), b + 1);
    // Reporting `upper` for any value in the bucket errs by at most 1/32 of the value.
    ASSERT_LE(static_cast<double>(upper - lower), static_cast<double>(lower) / 32.0) << b;
  }
}

TEST(Histogram, PercentilesWithinOneThirtySecondOfExact) {
  std::mt19937_64 rng(12345);
  std::lognormal_distribution<double> lognormal(6.0, 1.5);
  std::uniform_int_distribution<std::uint64_t> uniform(0, 10'000'000);
  for (int shape = 0; shape < 2; ++shape) {
    std::vector<std::uint64_t> values;
    Histogram h;
    std::uint64_t sum = 0;
    for (int i = 0; i < 100'000; ++i) {
      auto v = shape == 0 ? static_cast<std::uint64_t>(lognormal(rng)) : uniform(rng);
      values.push_back(v);
      sum += v;
      h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
      const auto exact = static_cast<double>(exact_percentile(values, q));
      const auto got = static_cast<double>(h.percentile(q));
      EXPECT_GE(got, exact) << "shape " << shape << " q " << q;
      EXPECT_LE(got, exact * (1 + 1.0 / 32)) << "shape " << shape << " q " << q;
    }
    Summary s = h.summary();
    EXPECT_EQ(s.count, values.size());
    EXPECT_EQ(s.max, values.back());
    EXPECT_DOUBLE_EQ(s.mean, static_cast<double>(sum) / static_cast<double>(values.size()));
    EXPECT_EQ(s.p50, h.percentile(0.5));
    EXPECT_EQ(s.p90, h.percentile(0.9));
    EXPECT_EQ(s.p99, h.percentile(0.99));
    EXPECT_EQ(s.p999, h.percentile(0.999));
  }
}

TEST(Histogram, ConcurrentRecordsAreAllCounted) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  Histogram h;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();  // all four record at once
      for (int i = 0; i < kPerThread; ++i) h.record(static_cast<std::uint64_t>(i + t));
    });
  }
  for (auto& th : threads) th.join();
  Summary s = h.summary();
  EXPECT_EQ(s.count, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(s.max, std::uint64_t{kPerThread - 1 + kThreads - 1});
  // Sum of i + t over i < kPerThread, t < kThreads.
  const double sum = kThreads * (kPerThread * (kPerThread - 1.0) / 2) +
                     kPerThread * (kThreads * (kThreads - 1.0) / 2);
  EXPECT_DOUBLE_EQ(s.mean, sum / (kThreads * kPerThread));
}

}  // namespace
}  // namespace sluice::metrics
