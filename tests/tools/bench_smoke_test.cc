// Runs the real `sluice` binary: a tiny benchmark, and bad flags.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
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
  auto dir = std::filesystem::temp_directory_path() / ("sluice-tool-test-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(BenchSmoke, TinyRunReportsEveryModeWithoutErrorsForTunedAndSluice) {
  auto dir = scratch("bench");
  auto json_path = dir / "out.json";
  CliRun r = sluice("bench --scale 0.002 --workers 1,8 --dir " + dir.string() + " --json " +
                    json_path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("vs tuned"), std::string::npos) << r.output;
  std::ifstream in(json_path);
  auto j = nlohmann::json::parse(in);
  EXPECT_TRUE(j["machine"].contains("sqlite_version"));
  EXPECT_EQ(j["modes"]["tuned"]["pragmas"]["journal_mode"], "wal");
  EXPECT_EQ(j["modes"]["vanilla"]["pragmas"]["journal_mode"], "delete");
  std::set<std::string> seen;
  for (const auto& p : j["points"]) {
    std::string key = p["phase"].get<std::string>() + "/" + p["mode"].get<std::string>();
    seen.insert(key);
    if (p["mode"] != "vanilla") {
      EXPECT_EQ(p["error_count"], 0) << key << " " << p.dump();
      EXPECT_GT(p["ops"], 0) << key;
    }
    if (p["mode"] == "sluice") {
      EXPECT_GT(p["sluice_stats"]["commits_total"], 0);
      EXPECT_GT(p["ratio_to_tuned"], 0);
    }
  }
  for (const char* phase : {"write", "mixed"}) {
    for (const char* mode : {"vanilla", "tuned", "sluice"}) {
      EXPECT_TRUE(seen.count(std::string(phase) + "/" + mode)) << phase << "/" << mode;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(BenchSmoke, BadFlagsNameTheFlagAndWhatIsValid) {
  CliRun r = sluice("bench --workers 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--workers"), std::string::npos) << r.output;
  r = sluice("bench --mode nosuch");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--mode"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("vanilla|tuned|sluice"), std::string::npos) << r.output;
  r = sluice("bench --phase sometimes");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--phase"), std::string::npos) << r.output;
  r = sluice("");
  EXPECT_NE(r.exit_code, 0);
}

TEST(BenchSmoke, HelpTeachesTheModes) {
  CliRun r = sluice("bench --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"vanilla", "tuned", "sluice", "--scale", "--workers", "closed loop"}) {
    EXPECT_NE(r.output.find(word), std::string::npos) << word;
  }
}

}  // namespace
