// `sluice bench` beyond one process and the blog workload: --processes, --workload ingest, and
// the flags that go with them, run through the real binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tools/cli_runner.h"

namespace {

using sluice::testing::CliRun;

CliRun sluice(const std::string& args) { return sluice::testing::sluice_cli(args); }

std::filesystem::path scratch(const std::string& name) {
  return sluice::testing::scratch_dir(name);
}

nlohmann::json run_json(const std::filesystem::path& dir, const std::string& args) {
  auto json_path = dir / "out.json";
  CliRun r = sluice("bench " + args + " --dir " + dir.string() + " --json " + json_path.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(json_path);
  if (!in) return nlohmann::json::object();
  return nlohmann::json::parse(in);
}

TEST(BenchProcesses, EveryProcessRunsItsSliceAndThePercentilesCoverAllOfThem) {
  auto dir = scratch("processes");
  auto j =
      run_json(dir, "--phase write --mode tuned,sluice --processes 3 --workers 2 --scale 0.005");
  const std::int64_t total = j["workload"]["write_phase_ops"];
  ASSERT_EQ(j["points"].size(), 2u) << j.dump();
  std::set<int> pids;
  for (const auto& p : j["points"]) {
    const std::string mode = p["mode"];
    EXPECT_EQ(p["processes"], 3) << mode;
    EXPECT_EQ(p["error_count"], 0) << mode;
    // Exact percentiles: every operation of every process is a sample.
    EXPECT_EQ(p["write"]["count"], total) << mode;
    ASSERT_EQ(p["per_process"].size(), 3u) << mode;
    std::int64_t sum = 0;
    double rate_sum = 0, rate_min = 0;
    for (const auto& proc : p["per_process"]) {
      EXPECT_GT(proc["ops"], 0) << mode;
      sum += proc["ops"].get<std::int64_t>();
      pids.insert(proc["pid"].get<int>());
      // Each process's rate is its own ops over its own run.
      const double rate = proc["ops_per_s"].get<double>();
      EXPECT_NEAR(rate, proc["ops"].get<double>() / proc["seconds"].get<double>(), rate * 1e-6)
          << mode;
      rate_min = rate_sum == 0 ? rate : std::min(rate_min, rate);
      rate_sum += rate;
    }
    EXPECT_EQ(sum, total) << mode;
    // Fairness is the slowest process's rate over the mean rate, from the rows above.
    const double mean = rate_sum / 3;
    EXPECT_NEAR(p["fairness"].get<double>(), rate_min / mean, 1e-9) << mode;
    EXPECT_GT(p["fairness"], 0.0) << mode;
    EXPECT_FALSE(p["wal_series"].empty()) << mode;
  }
  EXPECT_EQ(pids.size(), 6u) << "each point runs in fresh processes";
  std::filesystem::remove_all(dir);
}

TEST(BenchIngest, OpenLoopOffersEveryRequestAndTimesItFromItsArrival) {
  auto dir = scratch("ingest");
  // 2000/s for 0.5 s in bursts of 100: 1,000 requests, 10 bursts 50 ms apart.
  auto j = run_json(dir,
                    "--workload ingest --mode tuned,sluice,sluice-submit --rate 2000 --burst 100 "
                    "--seconds 0.5 --readers 1 --workers 4");
  ASSERT_EQ(j["points"].size(), 3u) << j.dump();
  std::set<std::string> modes;
  for (const auto& p : j["points"]) {
    const std::string mode = p["mode"];
    modes.insert(mode);
    EXPECT_EQ(p["phase"], "ingest");
    EXPECT_EQ(p["rate"], 2000.0);
    EXPECT_EQ(p["burst"], 100);
    EXPECT_EQ(p["error_count"], 0) << mode;
    EXPECT_EQ(p["write"]["count"], 1000) << mode;
    EXPECT_GT(p["read"]["count"], 0) << mode << ": the reader ran alongside";
    // The last burst arrives 0.45 s after the first: an open loop cannot finish sooner.
    EXPECT_GE(p["seconds"].get<double>(), 0.45) << mode;
    EXPECT_FALSE(p["wal_series"].empty()) << mode;
  }
  EXPECT_EQ(modes, (std::set<std::string>{"tuned", "sluice", "sluice-submit"}));
  std::filesystem::remove_all(dir);
}

TEST(BenchIngest, FlagsThatDoNotFitTheWorkloadAreRefused) {
  CliRun r = sluice("bench --mode sluice-submit");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("ingest"), std::string::npos) << r.output;
  r = sluice("bench --workload ingest --processes 2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--processes"), std::string::npos) << r.output;
  r = sluice("bench --workload ingest --rate 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--rate"), std::string::npos) << r.output;
  r = sluice("bench --workload nosuch");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("ingest"), std::string::npos) << r.output;
}

}  // namespace
