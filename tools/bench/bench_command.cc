#include "bench/bench_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "bench/blog_workload.h"
#include "bench/drivers.h"
#include "bench/machine.h"
#include "bench/options.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "sluice/sluice.h"

namespace sluice::bench {

const char* to_string(Mode m) {
  switch (m) {
    case Mode::Vanilla:
      return "vanilla";
    case Mode::Tuned:
      return "tuned";
    case Mode::Sluice:
      return "sluice";
  }
  return "?";
}

const char* to_string(Phase p) { return p == Phase::Write ? "write" : "mixed"; }

namespace {

namespace fs = std::filesystem;

constexpr const char* kDescription =
    R"(Benchmark SQLite under concurrent load: Sluice beside plain SQLite.

Runs the seed article's blog workload (shared/workloads/blog.md) in up to three modes, each on a
fresh copy of the same database, and prints one table per phase:
  vanilla  SQLite as it comes: rollback journal, synchronous=FULL, no busy timeout; writes are
           autocommit statements; errors (SQLITE_BUSY) are counted, not retried.
  tuned    the seeds' pragma table (WAL, synchronous NORMAL, busy_timeout 5000,
           wal_autocheckpoint 4000, mmap 1 GiB, temp_store MEMORY, cache 64 MiB), one persistent
           connection per worker, cached statements, BEGIN IMMEDIATE ... COMMIT per write.
  sluice   one sluice::Database (Config::production(), foreign_keys off like the others; any
           SLUICE_<FIELD> environment variable overrides, e.g. SLUICE_POOL_SIZE=8):
           reads via read(), writes via write().
Phases:
  write    empty database without indices; 100,000 single-row inserts (x scale): users, tags,
           posts, user_posts, posts_tags in that order.
  mixed    seeded database (46,000 rows) with indices; 2^20 reads + 2^17 writes (x scale),
           every ninth operation a write.
Workers are threads in a closed loop; each operation is timed from call to result, failed ones
included. ops/s of each mode is also shown as a ratio to tuned at the same worker count.

Examples:
  sluice bench                                   quick run of everything (make run)
  sluice bench --phase write --workers 1,64 --scale 1 --json out.json
  sluice bench --mode tuned,sluice --sync full --workers 64)";

void remove_db(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(p.string() + suffix);
}

// Builds the phase's template database once; every run copies it.
fs::path make_template(const BlogWorkload& wl, Phase phase, const fs::path& dir) {
  fs::path p = dir / fmt::format("template-{}.db", to_string(phase));
  remove_db(p);
  Connection c = Connection::open(p.string());
  BlogWorkload::create_schema(c, phase == Phase::Mixed);
  if (phase == Phase::Mixed) wl.seed(c);
  return p;
}

int run(const Options& o) {
  BlogWorkload wl(o.seed, o.scale);
  fs::create_directories(o.dir);
  fmt::print("sluice bench: workload {} | seed {} | scale {} | sync {} | workers {}\n", o.workload,
             o.seed, o.scale, o.sync_full ? "full" : "normal", fmt::join(o.workers, ","));
  std::map<Phase, fs::path> templates;
  for (Phase phase : o.phases) {
    templates[phase] = make_template(wl, phase, o.dir);
    fmt::print("  {} phase: {} operations per point\n", to_string(phase), wl.total_ops(phase));
  }
  nlohmann::json report;
  {
    Connection c = Connection::open(templates.begin()->second.string());
    report["machine"] = machine_facts(c);
  }
  report["args"] = {{"workload", o.workload}, {"seed", o.seed},
                    {"scale", o.scale},       {"sync", o.sync_full ? "full" : "normal"},
                    {"workers", o.workers},   {"dir", o.dir}};

  const fs::path run_path = fs::path(o.dir) / "run.db";
  const int total = static_cast<int>(o.phases.size() * o.workers.size() * o.modes.size());
  int done = 0;
  std::vector<PointResult> results;
  std::map<std::string, bool> described;
  for (Phase phase : o.phases) {
    for (int workers : o.workers) {
      for (Mode mode : o.modes) {
        remove_db(run_path);
        fs::copy_file(templates[phase], run_path);
        auto driver = make_driver(mode, run_path.string(), o.sync_full);
        if (!described[to_string(mode)]) {
          described[to_string(mode)] = true;
          auto pragmas = driver->effective_pragmas();
          std::string text;
          for (const auto& [k, v] : pragmas) text += fmt::format(" {}={}", k, v);
          fmt::print("  {} effective pragmas:{}\n", to_string(mode), text);
          report["modes"][to_string(mode)] = {
              {"pragmas", pragmas}, {"config", nlohmann::json::parse(driver->config_json())}};
        }
        results.push_back(run_point(*driver, wl, phase, mode, workers, o.seed));
        driver.reset();
        fmt::print(stderr, "{}\n", progress_line(results.back(), ++done, total));
      }
    }
  }
  remove_db(run_path);
  for (Phase phase : o.phases) print_table(stdout, phase, results);

  if (!o.json_path.empty()) {
    report["points"] = nlohmann::json::array();
    for (const auto& r : results)
      report["points"].push_back(point_json(r, ratio_to_tuned(r, results)));
    std::ofstream(o.json_path) << report.dump(2) << "\n";
    fmt::print("\nwrote {}\n", o.json_path);
  }
  return 0;
}

template <class T>
T parse_choice(const std::string& flag, const std::string& value,
               const std::vector<std::pair<std::string, T>>& choices) {
  std::string valid;
  for (const auto& [name, v] : choices) {
    if (name == value) return v;
    valid += (valid.empty() ? "" : "|") + name;
  }
  throw CLI::ValidationError(flag, fmt::format("\"{}\" is not valid; valid: {}", value, valid));
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<Options>();
  auto modes = std::make_shared<std::vector<std::string>>(
      std::vector<std::string>{"vanilla", "tuned", "sluice"});
  auto phase = std::make_shared<std::string>("both");
  auto sync = std::make_shared<std::string>("normal");

  CLI::App* cmd = app.add_subcommand("bench", "Benchmark vanilla SQLite, tuned SQLite and Sluice");
  cmd->description(kDescription);
  cmd->add_option("--workload", opts->workload, "Workload to run")
      ->check(CLI::IsMember({"blog"}))
      ->capture_default_str();
  cmd->add_option("--mode", *modes, "Modes, comma-separated: vanilla,tuned,sluice")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--workers", opts->workers, "Worker thread counts, comma-separated (1..1024)")
      ->delimiter(',')
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--phase", *phase, "write | mixed | both")
      ->check(CLI::IsMember({"write", "mixed", "both"}))
      ->capture_default_str();
  cmd->add_option("--sync", *sync, "synchronous for tuned and sluice: normal | full")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  cmd->add_option("--scale", opts->scale,
                  "Fraction of the article's operation counts (1 = full size)")
      ->check(CLI::Range(0.0001, 10.0))
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "RNG seed (printed; runs with one seed repeat)")
      ->capture_default_str();
  cmd->add_option("--dir", opts->dir, "Directory for the benchmark's database files")
      ->capture_default_str();
  cmd->add_option("--json", opts->json_path, "Also write every figure to this JSON file");

  cmd->callback([opts, modes, phase, sync, &exit_code] {
    opts->modes.clear();
    for (const auto& m : *modes) {
      opts->modes.push_back(parse_choice<Mode>(
          "--mode", m,
          {{"vanilla", Mode::Vanilla}, {"tuned", Mode::Tuned}, {"sluice", Mode::Sluice}}));
    }
    if (opts->workers.empty()) throw CLI::ValidationError("--workers", "needs at least one count");
    opts->phases.clear();
    if (*phase != "mixed") opts->phases.push_back(Phase::Write);
    if (*phase != "write") opts->phases.push_back(Phase::Mixed);
    opts->sync_full = *sync == "full";
    try {
      exit_code = run(*opts);
    } catch (const Error& e) {
      fmt::print(stderr, "sluice bench: {} ({})\n", e.what(), to_string(e.code()));
      exit_code = 1;
    } catch (const std::exception& e) {
      fmt::print(stderr, "sluice bench: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace sluice::bench
