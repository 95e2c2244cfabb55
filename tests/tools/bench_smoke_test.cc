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
  return sluice::testing::scratch_dir(name);
}

TEST(BenchSmoke, TinyRunReportsEveryModeWithoutErrorsForTunedAndSluice) {
  auto dir = scratch("bench");
  auto json_path = dir / "out.json";
  CliRun r = sluice("bench --scale 0.002 --workers 1,8 --dir " + dir.string() + " --json " +
                    json_path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("vs tuned"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("seed 20250101"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tuned effective pragmas:"), std::string::npos) << r.output;
  std::ifstream in(json_path);
  auto j = nlohmann::json::parse(in);
  EXPECT_TRUE(j["machine"].contains("sqlite_version"));
  EXPECT_FALSE(j["machine"]["sqlite_compile_options"].empty());
  EXPECT_EQ(j["args"]["seed"], 20250101u);  // the fixed default
  EXPECT_EQ(j["modes"]["tuned"]["pragmas"]["busy_timeout"], "5000");
  EXPECT_EQ(j["modes"]["vanilla"]["pragmas"]["busy_timeout"], "0");
  EXPECT_EQ(j["modes"]["tuned"]["pragmas"]["journal_mode"], "wal");
  EXPECT_EQ(j["modes"]["vanilla"]["pragmas"]["journal_mode"], "delete");
  std::set<std::string> seen;
  for (const auto& p : j["points"]) {
    std::string key = p["phase"].get<std::string>() + "/" + p["mode"].get<std::string>();
    seen.insert(key);
    if (p["mode"] != "vanilla") {
      EXPECT_EQ(p["error_count"], 0) << key << " " << p.dump();
      EXPECT_GT(p["ops"], 0) << key;
      EXPECT_EQ(p["pragmas"]["journal_mode"], "wal") << key;
    } else {
      // Exactly what vanilla says: SQLite's defaults, and no busy handler.
      EXPECT_EQ(p["pragmas"]["journal_mode"], "delete") << key;
      EXPECT_EQ(p["pragmas"]["busy_timeout"], "0") << key;
    }
    EXPECT_GT(p["read"]["count"].get<int>() + p["write"]["count"].get<int>(), 0) << key;
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
  r = sluice("bench --workers 1,x");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--workers"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 to 1024"), std::string::npos) << r.output;
  r = sluice("bench --scale 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--scale"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0.0001 to 10"), std::string::npos) << r.output;
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
