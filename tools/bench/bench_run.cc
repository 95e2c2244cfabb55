#include "bench/bench_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/blog_workload.h"
#include "bench/drivers.h"
#include "bench/ingest_runner.h"
#include "bench/ingest_workload.h"
#include "bench/machine.h"
#include "bench/process_runner.h"
#include "bench/report.h"
#include "bench/report_html.h"
#include "bench/runner.h"
#include "sluice/sluice.h"

namespace sluice::bench {
namespace {

namespace fs = std::filesystem;

void remove_db(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", "-sluice"})
    fs::remove(p.string() + suffix);
}

// Builds a phase's template database once; every run copies it.
fs::path make_template(const fs::path& dir, Phase phase,
                       const std::function<void(Connection&)>& build) {
  fs::path p = dir / fmt::format("template-{}.db", to_string(phase));
  remove_db(p);
  Connection c = Connection::open(p.string());
  build(c);
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
  nlohmann::json j = {
      {"workload", o.workload}, {"modes", modes},      {"phases", phases},
      {"workers", o.workers},   {"seed", o.seed},      {"sync", o.sync_full ? "full" : "normal"},
      {"dir", o.dir},           {"json", o.json_path}, {"report", o.report_path},
      {"reps", o.reps}};
  if (o.workload == "ingest") {
    j["rates"] = o.ingest.rates;
    j["burst"] = o.ingest.burst;
    j["seconds"] = o.ingest.seconds;
    j["readers"] = o.ingest.readers;
  } else {
    j["scale"] = o.scale;
    j["processes"] = o.processes;
  }
  return j;
}

nlohmann::json blog_json(const BlogWorkload& wl) {
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

// Runs every (phase, workers, mode) point through `point`, each on a fresh copy of the phase's
// template, and collects the results and the report's per-mode settings.
class PointLoop {
 public:
  PointLoop(const Options& o, nlohmann::json& report) : o_(o), report_(report) {}

  // `point` runs one point on the database at `path` and sets the mode's config JSON.
  using PointFn = std::function<PointResult(Mode, const std::string& path, int workers,
                                            std::string& config_json)>;

  void run(Phase phase, const fs::path& tmpl, const PointFn& point) {
    const fs::path run_path = fs::path(o_.dir) / "run.db";
    for (int workers : o_.workers) {
      // Repetitions of a worker count run back to back, each over every mode, so that the
      // modes compared in a row of the table met the same moments of a noisy machine.
      for (int rep = 0; rep < o_.reps; ++rep) {
        for (Mode mode : o_.modes) {
          // sluice-submit has no worker threads: once per rate.
          if (mode == Mode::SluiceSubmit && workers != o_.workers.front()) continue;
          remove_db(run_path);
          fs::copy_file(tmpl, run_path);
          std::string config;
          PointResult r = point(mode, run_path.string(), workers, config);
          note_pragmas(mode, phase, workers, r, config);
          results.push_back(std::move(r));
          fmt::print(stderr, "{}\n", progress_line(results.back(), ++done_, total));
        }
      }
    }
    remove_db(run_path);
  }

  std::vector<PointResult> results;
  int total = 0;

 private:
  // The first run of a mode prints its pragmas; a later run prints again only if it got
  // different ones.
  void note_pragmas(Mode mode, Phase phase, int workers, const PointResult& r,
                    const std::string& config) {
    if (auto it = printed_.find(mode); it == printed_.end()) {
      fmt::print("  {} effective pragmas:{}\n", to_string(mode), pragmas_text(r.pragmas));
      printed_[mode] = r.pragmas;
      report_["modes"][to_string(mode)] = {{"pragmas", r.pragmas},
                                           {"config", nlohmann::json::parse(config)}};
    } else if (it->second != r.pragmas) {
      fmt::print("  {} {} phase, {} workers, ran with different pragmas:{}\n", to_string(mode),
                 to_string(phase), workers, pragmas_text(r.pragmas));
    }
  }

  const Options& o_;
  nlohmann::json& report_;
  std::map<Mode, std::map<std::string, std::string>> printed_;
  int done_ = 0;
};

void run_blog(const Options& o, nlohmann::json& report, PointLoop& loop) {
  BlogWorkload wl(o.seed, o.scale);
  fmt::print("sluice bench: workload blog | seed {} | scale {} | sync {} | workers {}{}\n", o.seed,
             o.scale, o.sync_full ? "full" : "normal", fmt::join(o.workers, ","),
             o.processes > 1 ? fmt::format(" per process x {} processes", o.processes) : "");
  std::map<Phase, fs::path> templates;
  for (Phase phase : o.phases) {
    templates[phase] = make_template(o.dir, phase, [&](Connection& c) {
      BlogWorkload::create_schema(c, phase == Phase::Mixed);
      if (phase == Phase::Mixed) wl.seed(c);
    });
    fmt::print("  {} phase: {} operations per point\n", to_string(phase), wl.total_ops(phase));
  }
  {
    Connection c = Connection::open(templates.begin()->second.string());
    report["machine"] = machine_facts(c);
  }
  report["workload"] = blog_json(wl);
  loop.total = static_cast<int>(o.phases.size() * o.workers.size() * o.modes.size()) * o.reps;
  for (Phase phase : o.phases) {
    loop.run(phase, templates[phase],
             [&](Mode mode, const std::string& path, int workers, std::string& config) {
               if (o.processes > 1) {
                 return run_point_processes(mode, path, o.sync_full, wl, phase, workers,
                                            o.processes, o.seed, o.dir, config);
               }
               auto driver = make_driver(mode, path, o.sync_full);
               config = driver->config_json();
               return run_point(*driver, wl, phase, mode, workers, o.seed, path);
             });
  }
  for (const auto& [phase, path] : templates) remove_db(path);
}

void run_ingest(const Options& o, nlohmann::json& report, PointLoop& loop) {
  IngestWorkload wl(o.seed);
  fmt::print(
      "sluice bench: workload ingest | seed {} | sync {} | workers {} | rates {} /s | burst {} | "
      "{} s per point | {} readers\n",
      o.seed, o.sync_full ? "full" : "normal", fmt::join(o.workers, ","),
      fmt::join(o.ingest.rates, ","), o.ingest.burst, o.ingest.seconds, o.ingest.readers);
  const fs::path tmpl = make_template(o.dir, Phase::Ingest, IngestWorkload::create_schema);
  {
    Connection c = Connection::open(tmpl.string());
    report["machine"] = machine_facts(c);
  }
  report["workload"] = {
      {"events_share", 0.8}, {"metrics_share", 0.2}, {"reader_window_s", IngestWorkload::kWindowS}};
  const bool submit = std::count(o.modes.begin(), o.modes.end(), Mode::SluiceSubmit) > 0;
  loop.total = static_cast<int>(o.ingest.rates.size() *
                                (o.workers.size() * (o.modes.size() - submit) + submit)) *
               o.reps;
  for (double rate : o.ingest.rates) {
    fmt::print("  rate {:.0f}/s: {} requests per point\n", rate, ingest_requests(rate, o.ingest));
    loop.run(Phase::Ingest, tmpl,
             [&](Mode mode, const std::string& path, int workers, std::string& config) {
               auto driver = make_driver(mode, path, o.sync_full);
               config = driver->config_json();
               return run_ingest_point(*driver, wl, mode, workers, rate, o.ingest, o.seed, path);
             });
  }
  remove_db(tmpl);
}

}  // namespace

int run_bench(const Options& o) {
  fs::create_directories(o.dir);
  nlohmann::json report;
  report["args"] = args_json(o);
  PointLoop loop(o, report);
  if (o.workload == "ingest") {
    run_ingest(o, report, loop);
  } else {
    run_blog(o, report, loop);
  }
  report["runs"] = nlohmann::json::array();
  if (o.reps > 1) {
    for (const auto& r : loop.results) report["runs"].push_back(point_json(r, -1));
  }
  const std::vector<PointResult> points = median_runs(std::move(loop.results));
  if (o.workload == "ingest") {
    print_ingest_table(stdout, points);
  } else {
    for (Phase phase : o.phases) print_table(stdout, phase, points);
    if (o.processes > 1) print_process_table(stdout, points);
  }

  report["points"] = nlohmann::json::array();
  for (const auto& r : points) report["points"].push_back(point_json(r, ratio_to_tuned(r, points)));
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << report.dump(2) << "\n";
    fmt::print("\nwrote {}\n", o.json_path);
  }
  if (!o.report_path.empty()) {
    write_html_report(o.report_path, report);
    fmt::print("\nwrote {}\n", o.report_path);
  }
  return 0;
}

}  // namespace sluice::bench
