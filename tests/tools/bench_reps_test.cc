// `sluice bench --reps N`: every point runs N times, the table and the JSON points are the median
// runs with their spread, every run is kept in the JSON, and the mixed table shows the ceiling.
// Also the two comparison modes, tuned-nommap and sluice-stale.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/cli_runner.h"

namespace {

using sluice::testing::CliRun;

TEST(BenchReps, EachPointIsTheMedianOfItsRunsWithTheSpreadAndEveryRunIsKept) {
  auto dir = sluice::testing::scratch_dir("reps");
  auto json_path = dir / "out.json";
  CliRun r = sluice::testing::sluice_cli(
      "bench --phase mixed --mode tuned,tuned-nommap,sluice-stale --workers 1 --reps 3 "
      "--scale 0.002 --dir " +
      dir.string() + " --json " + json_path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("median of 3 runs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ceiling: "), std::string::npos) << r.output;
  std::ifstream in(json_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["args"]["reps"], 3);
  ASSERT_EQ(j["runs"].size(), 9u);  // 3 modes x 3 runs
  ASSERT_EQ(j["points"].size(), 3u);
  std::map<std::string, std::vector<double>> runs;
  for (const auto& run : j["runs"]) runs[run["mode"]].push_back(run["ops_per_s"]);
  for (const auto& p : j["points"]) {
    const std::string mode = p["mode"];
    ASSERT_EQ(runs[mode].size(), 3u) << mode;
    std::sort(runs[mode].begin(), runs[mode].end());
    EXPECT_EQ(p["reps"], 3) << mode;
    EXPECT_DOUBLE_EQ(p["ops_per_s"].get<double>(), runs[mode][1]) << mode << ": not the median";
    EXPECT_DOUBLE_EQ(p["ops_per_s_min"].get<double>(), runs[mode][0]) << mode;
    EXPECT_DOUBLE_EQ(p["ops_per_s_max"].get<double>(), runs[mode][2]) << mode;
    EXPECT_EQ(p["error_count"], 0) << mode;
  }
  // The modes ran with what their names say.
  EXPECT_EQ(j["modes"]["tuned-nommap"]["pragmas"]["mmap_size"], "0");
  EXPECT_EQ(j["modes"]["tuned"]["pragmas"]["mmap_size"], "1073741824");
  EXPECT_EQ(j["modes"]["sluice-stale"]["config"]["max_staleness_ms"], 5);
  std::filesystem::remove_all(dir);
}

TEST(BenchReps, RepsOutsideItsRangeNamesWhatIsValid) {
  CliRun r = sluice::testing::sluice_cli("bench --reps 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--reps"), std::string::npos) << r.output;
}

}  // namespace
