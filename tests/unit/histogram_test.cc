// Histogram accuracy and concurrency; Stats rendering.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "metrics/histogram.h"
#include "sluice/stats.h"

namespace sluice {
namespace {

using metrics::Histogram;

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 0; v < 64; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 31u);
  EXPECT_EQ(h.percentile(1.0), 63u);
  Summary s = h.summary();
  EXPECT_EQ(s.count, 64u);
  EXPECT_EQ(s.max, 63u);
  EXPECT_DOUBLE_EQ(s.mean, 31.5);
}

TEST(Histogram, BucketsCoverEveryValueInOrder) {
  for (std::uint64_t v : {64ull, 65ull, 1000ull, 123456789ull, ~0ull}) {
    int b = Histogram::bucket_of(v);
    ASSERT_LT(b, Histogram::kBuckets);
    EXPECT_GE(Histogram::bucket_upper(b), v);
    if (b > 0) {
      EXPECT_LT(Histogram::bucket_upper(b - 1), v);
    }
  }
}

TEST(Histogram, PercentilesWithinOneThirtySecondOfExact) {
  std::mt19937_64 rng(12345);
  std::lognormal_distribution<double> dist(6.0, 1.5);
  std::vector<std::uint64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    auto rank = static_cast<std::size_t>(std::ceil(q * values.size())) - 1;
    double exact = static_cast<double>(values[rank]);
    double got = static_cast<double>(h.percentile(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * (1 + 1.0 / 32) + 1) << q;
  }
  EXPECT_EQ(h.summary().max, values.back());
}

TEST(Histogram, ConcurrentRecordsAreAllCounted) {
  Histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50000; ++i) h.record(static_cast<std::uint64_t>(i + t));
    });
  }
  for (auto& th : threads) th.join();
  Summary s = h.summary();
  EXPECT_EQ(s.count, 200000u);
  EXPECT_EQ(s.max, 50002u);
}

TEST(Stats, JsonAndPrometheusCarryEveryMetric) {
  Stats s;
  s.commits = 7;
  s.queue_depth = 3;
  s.write_us.count = 2;
  s.write_us.mean = 5;
  s.write_us.p99 = 9;
  auto j = nlohmann::json::parse(s.to_json());
  EXPECT_EQ(j["commits_total"], 7);
  EXPECT_EQ(j["queue_depth_jobs"], 3);
  EXPECT_EQ(j["write_latency_microseconds"]["p99"], 9);
  EXPECT_TRUE(j.contains("batch_size_jobs"));

  std::string text = s.to_prometheus();
  EXPECT_NE(text.find("# TYPE sluice_commits_total counter\nsluice_commits_total 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_write_latency_microseconds{quantile=\"0.99\"} 9\n"),
            std::string::npos);
  EXPECT_NE(text.find("sluice_write_latency_microseconds_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("sluice_write_latency_microseconds_sum 10\n"), std::string::npos);
  // Every sample line is "name[{labels}] integer".
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) continue;
    auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    EXPECT_TRUE(line.starts_with("sluice_")) << line;
    EXPECT_NO_THROW((void)std::stoull(line.substr(space + 1))) << line;
  }
}

}  // namespace
}  // namespace sluice
