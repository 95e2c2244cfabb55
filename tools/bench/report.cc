#include "bench/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

namespace sluice::bench {
namespace {

// "0", or each kind with its count and its share of the operations attempted, e.g.
// "busy 996 (99.6%)": a mode whose failures are fast can show a high ops/s, and this says why.
std::string errors_text(const PointResult& r) {
  if (r.errors.empty()) return "0";
  const double attempted = static_cast<double>(std::max<std::int64_t>(1, r.attempted()));
  std::string s;
  for (const auto& [kind, n] : r.errors) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} {} ({:.1f}%)", kind, n, 100.0 * static_cast<double>(n) / attempted);
  }
  return s;
}

// Three significant-ish digits, so a column of 5 s tails stays as narrow as one of 50 µs.
std::string ms(double v) {
  if (v < 10) return fmt::format("{:.2f}", v);
  if (v < 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.0f}", v);
}

std::string lat(const Latency& l) {
  if (l.count == 0) return "-";
  return fmt::format("{}/{}/{}/{}", ms(l.p50_ms), ms(l.p99_ms), ms(l.p999_ms), ms(l.max_ms));
}

// Width of the mode column: the longest mode name that ran.
std::size_t mode_width(const std::vector<PointResult>& results) {
  std::size_t w = 8;
  for (const auto& r : results) w = std::max(w, std::string(to_string(r.mode)).size());
  return w;
}

nlohmann::json latency_json(const Latency& l) {
  return {{"count", l.count},
          {"p50_ms", l.p50_ms},
          {"p99_ms", l.p99_ms},
          {"p999_ms", l.p999_ms},
          {"max_ms", l.max_ms}};
}

}  // namespace

double ratio_to_tuned(const PointResult& r, const std::vector<PointResult>& all) {
  for (const auto& t : all) {
    if (t.mode == Mode::Tuned && t.phase == r.phase && t.workers == r.workers &&
        t.processes == r.processes && t.rate == r.rate && t.ops_per_s() > 0) {
      return r.ops_per_s() / t.ops_per_s();
    }
  }
  return -1;
}

std::string progress_line(const PointResult& r, int done, int total) {
  std::string shape = r.processes > 1
                          ? fmt::format("{} processes x {} workers", r.processes, r.workers)
                          : fmt::format("{} workers", r.workers);
  if (r.rate > 0) shape += fmt::format(" at {:.0f}/s", r.rate);
  return fmt::format("[{}/{}] {} {} {}: {:.0f} ops/s, write p99 {:.2f} ms, errors {} ({:.2f} s)",
                     done, total, to_string(r.phase), to_string(r.mode), shape, r.ops_per_s(),
                     r.write.p99_ms, errors_text(r), r.seconds);
}

double mixed_ceiling(const std::vector<PointResult>& results, int cores) {
  for (const auto& r : results) {
    if (r.phase == Phase::Mixed && r.mode == Mode::Tuned && r.workers == 1 && r.processes == 1) {
      return cores * r.ops_per_s();
    }
  }
  return -1;
}

void print_table(std::FILE* out, Phase phase, const std::vector<PointResult>& results) {
  int reps = 1;
  for (const auto& r : results) reps = std::max(reps, r.reps);
  fmt::print(out,
             "\n{} phase — rates count successful operations; latency columns are "
             "p50/p99/p999/max in ms over every operation, failed ones too{}\n",
             to_string(phase),
             reps > 1 ? fmt::format("; each row is the median of {} runs by ops/s, spread = "
                                    "lowest-highest ops/s of the {}",
                                    reps, reps)
                      : "");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const double ceiling = phase == Phase::Mixed ? mixed_ceiling(results, cores) : -1;
  const std::size_t w = mode_width(results);
  fmt::print(out, "{:<{}} {:>9} {:>10} {:>13} {:>9} {:>10} {:>26} {:>26} {:>9} {:>8}  {}\n", "mode",
             w, "workers", "ops/s", "spread", "reads/s", "writes/s", "read latency (ms)",
             "write latency (ms)", "vs tuned", "ceiling", "errors");
  for (const auto& r : results) {
    if (r.phase != phase) continue;
    double ratio = ratio_to_tuned(r, results);
    // "16x4": 16 processes of 4 worker threads each.
    std::string shape =
        r.processes > 1 ? fmt::format("{}x{}", r.processes, r.workers) : std::to_string(r.workers);
    const std::string spread =
        r.reps > 1 ? fmt::format("{:.0f}-{:.0f}", r.ops_per_s_min, r.ops_per_s_max) : "-";
    fmt::print(
        out, "{:<{}} {:>9} {:>10.0f} {:>13} {:>9.0f} {:>10.0f} {:>26} {:>26} {:>9} {:>8}  {}\n",
        to_string(r.mode), w, shape, r.ops_per_s(), spread, r.reads_per_s(), r.writes_per_s(),
        lat(r.read), lat(r.write), ratio < 0 ? "-" : fmt::format("{:.2f}x", ratio),
        ceiling > 0 ? fmt::format("{:.0f}%", 100 * r.ops_per_s() / ceiling) : "-", errors_text(r));
  }
  if (ceiling > 0) {
    fmt::print(out,
               "ceiling: {} cores x tuned's 1-worker rate (one connection whose page cache no "
               "other connection's commit empties) = {:.0f} ops/s; the ceiling column is each "
               "row's share of it\n",
               cores, ceiling);
  } else if (phase == Phase::Mixed) {
    fmt::print(out, "(run tuned at 1 worker to see the ceiling: cores x its rate)\n");
  }
}

void print_ingest_table(std::FILE* out, const std::vector<PointResult>& results) {
  fmt::print(out,
             "\ningest — open loop; write latency is from each request's intended arrival "
             "(p50/p99/p999/max ms), read latency from call; rates count successes\n");
  fmt::print(out, "{:<13} {:>8} {:>7} {:>10} {:>10} {:>26} {:>9} {:>12} {:>8}  {}\n", "mode",
             "rate/s", "workers", "writes/s", "reads/s", "write latency (ms)", "read p99",
             "WAL max MB", "vs tuned", "errors");
  for (const auto& r : results) {
    if (r.phase != Phase::Ingest) continue;
    const double ratio = ratio_to_tuned(r, results);
    fmt::print(out, "{:<13} {:>8.0f} {:>7} {:>10.0f} {:>10.0f} {:>26} {:>9} {:>12.1f} {:>8}  {}\n",
               to_string(r.mode), r.rate, r.workers > 0 ? std::to_string(r.workers) : "-",
               r.writes_per_s(), r.reads_per_s(), lat(r.write),
               r.read.count > 0 ? ms(r.read.p99_ms) : "-",
               static_cast<double>(r.wal_max_bytes()) / 1e6,
               ratio < 0 ? "-" : fmt::format("{:.2f}x", ratio), errors_text(r));
  }
}

void print_process_table(std::FILE* out, const std::vector<PointResult>& results) {
  fmt::print(out, "\nper process — ops/s of each process over its own run; fairness = min/mean\n");
  const std::size_t w = mode_width(results);
  fmt::print(out, "{:<{}} {:>6} {:>10} {:>10} {:>10} {:>10} {:>9}\n", "mode", w, "phase",
             "procs x w", "min", "mean", "max", "fairness");
  for (const auto& r : results) {
    if (r.per_process.empty()) continue;
    double lo = r.per_process.front().ops_per_s(), hi = lo, sum = 0;
    for (const auto& p : r.per_process) {
      lo = std::min(lo, p.ops_per_s());
      hi = std::max(hi, p.ops_per_s());
      sum += p.ops_per_s();
    }
    fmt::print(out, "{:<{}} {:>6} {:>10} {:>10.0f} {:>10.0f} {:>10.0f} {:>9.2f}\n",
               to_string(r.mode), w, to_string(r.phase),
               fmt::format("{}x{}", r.processes, r.workers), lo,
               sum / static_cast<double>(r.per_process.size()), hi, r.fairness());
  }
}

nlohmann::json point_json(const PointResult& r, double ratio) {
  nlohmann::json j = {{"phase", to_string(r.phase)},
                      {"mode", to_string(r.mode)},
                      {"workers", r.workers},
                      {"ops", r.ops},
                      {"reads", r.reads},
                      {"writes", r.writes},
                      {"seconds", r.seconds},
                      {"ops_per_s", r.ops_per_s()},
                      {"reads_per_s", r.reads_per_s()},
                      {"writes_per_s", r.writes_per_s()},
                      {"read", latency_json(r.read)},
                      {"write", latency_json(r.write)},
                      {"errors", r.errors},
                      {"error_count", r.error_count()},
                      {"read_errors", r.read_errors},
                      {"write_errors", r.write_errors},
                      {"pragmas", r.pragmas},
                      {"processes", r.processes},
                      {"wal_max_bytes", r.wal_max_bytes()},
                      {"wal_series", r.wal_series}};
  if (ratio >= 0) j["ratio_to_tuned"] = ratio;
  if (r.reps > 1) {
    j["reps"] = r.reps;
    j["ops_per_s_min"] = r.ops_per_s_min;
    j["ops_per_s_max"] = r.ops_per_s_max;
  }
  if (!r.per_process.empty()) {
    j["per_process"] = nlohmann::json::array();
    for (const auto& p : r.per_process) {
      j["per_process"].push_back(
          {{"pid", p.pid}, {"ops", p.ops}, {"seconds", p.seconds}, {"ops_per_s", p.ops_per_s()}});
    }
    j["fairness"] = r.fairness();
  }
  if (r.phase == Phase::Ingest) {
    j["rate"] = r.rate;
    j["burst"] = r.burst;
    j["readers"] = r.readers;
  }
  if (!r.stats_json.empty()) j["sluice_stats"] = nlohmann::json::parse(r.stats_json);
  return j;
}

}  // namespace sluice::bench
