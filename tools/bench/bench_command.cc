#include "bench/bench_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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
  mixed    seeded database (46,000 rows, not scaled) with indices; 2^20 reads + 2^17 writes
           (x scale), every ninth operation a write; reads uniform over the four queries.
Workers are threads in a closed loop: each takes the next operation from a shared counter until
the phase's count is done. Each operation is timed from call to result, failed ones included;
rates count successful operations only, and errors are shown by kind with their share. ops/s of
each mode is also shown as a ratio to tuned at the same worker count. Each run reads its
pragmas back from a worker's connection and prints them; --json adds the machine, SQLite's
version and compile options, and (sluice) the library's statistics for every point.

Examples:
  sluice bench                                   quick run of everything (make run)
  sluice bench --phase write --workers 1,64 --scale 1 --json out.json
  sluice bench --mode tuned,sluice --sync full --workers 64)";

void remove_db(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", "-sluice"})
    fs::remove(p.string() + suffix);
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

std::string pragmas_text(const std::map<std::string, std::string>& pragmas) {
  std::string text;
  for (const auto& [k, v] : pragmas) text += fmt::format(" {}={}", k, v);
  return text;
}

nlohmann::json args_json(const Options& o) {
  std::vector<std::string> modes, phases;
  for (Mode m : o.modes) modes.push_back(to_string(m));
  for (Phase p : o.phases) phases.push_back(to_string(p));
  return {{"workload", o.workload},
          {"modes", modes},
          {"phases", phases},
          {"workers", o.workers},
          {"seed", o.seed},
          {"scale", o.scale},
          {"sync", o.sync_full ? "full" : "normal"},
          {"dir", o.dir},
          {"json", o.json_path}};
}

nlohmann::json workload_json(const BlogWorkload& wl) {
  const SeedCounts& c = wl.seed_counts();
  return {{"write_phase_ops", wl.total_ops(Phase::Write)},
          {"mixed_phase_ops", wl.total_ops(Phase::Mixed)},
          {"mixed_phase_writes_every", 9},
          {"seeded_rows",
           {{"users", c.users},
            {"tags", c.tags},
            {"posts", c.posts},
            {"user_posts", c.user_posts},
            {"posts_tags", c.posts_tags}}}};
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
  report["args"] = args_json(o);
  report["workload"] = workload_json(wl);

  const fs::path run_path = fs::path(o.dir) / "run.db";
  const int total = static_cast<int>(o.phases.size() * o.workers.size() * o.modes.size());
  int done = 0;
  std::vector<PointResult> results;
  // Every run reads its pragmas back from a worker's own connection (sluice: the Database). The
  // first run of a mode prints them; a later run prints again only if it got different ones.
  std::map<Mode, std::map<std::string, std::string>> printed;
  for (Phase phase : o.phases) {
    for (int workers : o.workers) {
      for (Mode mode : o.modes) {
        remove_db(run_path);
        fs::copy_file(templates[phase], run_path);
        auto driver = make_driver(mode, run_path.string(), o.sync_full);
        PointResult r = run_point(*driver, wl, phase, mode, workers, o.seed);
        if (auto it = printed.find(mode); it == printed.end()) {
          fmt::print("  {} effective pragmas:{}\n", to_string(mode), pragmas_text(r.pragmas));
          printed[mode] = r.pragmas;
          report["modes"][to_string(mode)] = {
              {"pragmas", r.pragmas}, {"config", nlohmann::json::parse(driver->config_json())}};
        } else if (it->second != r.pragmas) {
          fmt::print("  {} {} phase, {} workers, ran with different pragmas:{}\n", to_string(mode),
                     to_string(phase), workers, pragmas_text(r.pragmas));
        }
        driver.reset();
        results.push_back(std::move(r));
        fmt::print(stderr, "{}\n", progress_line(results.back(), ++done, total));
      }
    }
  }
  remove_db(run_path);
  for (const auto& [phase, path] : templates) remove_db(path);
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

// --workers: each comma-separated value a whole number from 1 to kMaxWorkers.
constexpr int kMaxWorkers = 1024;
CLI::Validator worker_count_validator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        int n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec == std::errc() && end == v.data() + v.size() && n >= 1 && n <= kMaxWorkers) {
          return "";
        }
        return fmt::format(
            "\"{}\" is not a worker count; valid: whole numbers 1 to {}, "
            "comma-separated (e.g. 1,8,64)",
            v, kMaxWorkers);
      },
      fmt::format("INT in 1..{}", kMaxWorkers), "");
}

// --scale: a number in [kMinScale, kMaxScale].
constexpr double kMinScale = 0.0001, kMaxScale = 10;
CLI::Validator scale_validator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        double x = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (ec == std::errc() && end == v.data() + v.size() && x >= kMinScale && x <= kMaxScale) {
          return "";
        }
        return fmt::format(
            "\"{}\" is not a valid scale; valid: {} to {} (1 = the article's full "
            "size, {} = the quick default)",
            v, kMinScale, kMaxScale, Options{}.scale);
      },
      fmt::format("FLOAT in {}..{}", kMinScale, kMaxScale), "");
}

// Removes repeats, keeping the first occurrence's place.
template <class T>
std::vector<T> unique_in_order(const std::vector<T>& in) {
  std::vector<T> out;
  for (const T& v : in) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
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
      ->check(worker_count_validator())
      ->capture_default_str();
  cmd->add_option("--phase", *phase, "write | mixed | both")
      ->check(CLI::IsMember({"write", "mixed", "both"}))
      ->capture_default_str();
  cmd->add_option("--sync", *sync, "synchronous for tuned and sluice: normal | full")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  cmd->add_option("--scale", opts->scale,
                  "Fraction of the article's operation counts (1 = full size; the seeded rows "
                  "are not scaled)")
      ->check(scale_validator())
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "RNG seed (printed; runs with one seed repeat)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            if (!v.empty() && v[0] == '-') return "\"" + v + "\" is negative; valid: 0 to 2^64-1";
            return "";
          },
          "", ""))
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
    if (opts->modes.empty()) {
      throw CLI::ValidationError("--mode", "needs at least one of vanilla|tuned|sluice");
    }
    opts->modes = unique_in_order(opts->modes);
    if (opts->workers.empty()) {
      throw CLI::ValidationError("--workers", "needs at least one count (1 to 1024)");
    }
    opts->workers = unique_in_order(opts->workers);
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
