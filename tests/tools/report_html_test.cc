// `sluice bench --report`: a self-contained page that really draws in a browser (headless
// Chromium, installed by `make deps`).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "tools/cli_runner.h"

namespace {

using sluice::testing::CliRun;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command, returning its exit code and standard output.
CliRun shell(const std::string& cmd) {
  CliRun r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.output += buf;
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(BenchReport, PageIsSelfContainedEmbedsTheJsonAndDrawsInHeadlessChromium) {
  auto dir = std::filesystem::temp_directory_path() / "sluice-report-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto page = dir / "r.html";
  CliRun r = sluice::testing::sluice_cli("bench --scale 0.002 --workers 1,4 --phase write --dir " +
                                         dir.string() + " --report " + page.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = read_all(page);

  // The JSON it was made from, intact.
  // (std::find, not std::regex: a regex over a page this size can exhaust the stack.)
  const std::string open_tag = R"(<script type="application/json" id="bench-data">)";
  const auto from = html.find(open_tag);
  ASSERT_NE(from, std::string::npos);
  const auto to = html.find("</script>", from);
  ASSERT_NE(to, std::string::npos);
  std::string embedded = html.substr(from + open_tag.size(), to - from - open_tag.size());
  for (std::size_t at; (at = embedded.find("<\\/")) != std::string::npos;)
    embedded.replace(at, 3, "</");
  auto j = nlohmann::json::parse(embedded);
  EXPECT_EQ(j["points"].size(), 6u);  // 3 modes x 2 worker counts
  EXPECT_EQ(j["args"]["workload"], "blog");

  // Nothing fetched from elsewhere.
  for (const char* external : {"src=\"http", "href=\"http", "@import", "<link"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }

  // It draws: the script marks the body when done, or shows its error.
  ASSERT_EQ(shell("command -v chromium").exit_code, 0)
      << "chromium is missing: run `make deps` (the Makefile installs Debian's chromium)";
  CliRun dom = shell(
      "timeout 120 chromium --headless=new --no-sandbox --disable-gpu "
      "--dump-dom file://" +
      page.string() + " 2>/dev/null");
  ASSERT_EQ(dom.exit_code, 0) << dom.output.substr(0, 2000);
  EXPECT_NE(dom.output.find("data-rendered=\"ok\""), std::string::npos)
      << dom.output.substr(0, 3000);
  std::smatch m;
  const auto body = dom.output.substr(0, dom.output.find('>', dom.output.find("<body")) + 1);
  ASSERT_TRUE(std::regex_search(body, m, std::regex(R"re(data-charts="(\d+)")re"))) << body;
  EXPECT_GE(std::stoi(m[1].str()), 5) << "throughput, latency, errors, batch size, WAL";
  // Each drawn chart is an inline SVG with a line per mode.
  EXPECT_NE(dom.output.find("<polyline"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
