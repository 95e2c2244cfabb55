#include "bench/bench_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "bench/bench_run.h"
#include "bench/options.h"
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
    case Mode::SluiceSubmit:
      return "sluice-submit";
    case Mode::SluiceCheckpointInCommit:
      return "sluice-ckpt-in-commit";
    case Mode::TunedNoMmap:
      return "tuned-nommap";
    case Mode::SluiceStale:
      return "sluice-stale";
    case Mode::SluiceHandoff:
      return "sluice-handoff";
    case Mode::SluiceLambda:
      return "sluice-lambda";
  }
  return "?";
}

const char* to_string(Phase p) {
  switch (p) {
    case Phase::Write:
      return "write";
    case Phase::Mixed:
      return "mixed";
    case Phase::Ingest:
      return "ingest";
  }
  return "?";
}

namespace {

constexpr const char* kDescription =
    R"(Benchmark SQLite under concurrent load: Sluice beside plain SQLite.

Runs the seed article's blog workload (docs/workloads/blog.md) in up to three modes, each on a
fresh copy of the same database, and prints one table per phase:
  vanilla  SQLite as it comes: rollback journal, synchronous=FULL, no busy timeout; writes are
           autocommit statements; errors (SQLITE_BUSY) are counted, not retried.
  tuned    the seeds' pragma table (WAL, synchronous NORMAL, busy_timeout 5000,
           wal_autocheckpoint 4000, mmap 1 GiB, temp_store MEMORY, cache 64 MiB), one persistent
           connection per worker, cached statements, BEGIN IMMEDIATE ... COMMIT per write.
  sluice   one sluice::Database (Config::production(), foreign_keys off like the others; any
           SLUICE_<FIELD> environment variable overrides, e.g. SLUICE_POOL_SIZE=8):
           reads via read(), writes via execute() (declarative: with several processes they
           go through the side file's job ring, committed by whichever process holds the
           writer lock).
Extra modes (name them in --mode):
  sluice-ckpt-in-commit  sluice with SQLite's autocheckpoint (1000 pages) inside the COMMIT that
           crosses it, as plain SQLite does: the baseline for checkpoints off the commit path.
  sluice-submit  (ingest only) sluice with each request started by Database::submit when it
           arrives, instead of --workers threads blocking in write().
  tuned-nommap  tuned with mmap_size 0: what mmap is worth to plain SQLite.
  sluice-stale  sluice with bounded-staleness reads (max_staleness_ms 5): a reader keeps its
           snapshot and page cache for 5 ms; each thread still sees its own writes.
  sluice-lambda  sluice with writes as write() lambdas: each process commits only its own
           jobs in its own writer-lock turn (the path the job ring does not cover).
  sluice-handoff  sluice with every write handed to the writer thread (caller_commits=false)
           instead of led by a waiting caller on its own thread.
Phases:
  write    empty database without indices; 100,000 single-row inserts (x scale): users, tags,
           posts, user_posts, posts_tags in that order.
  mixed    seeded database (46,000 rows, not scaled) with indices; 2^20 reads + 2^17 writes
           (x scale), every ninth operation a write; reads uniform over the four queries.
Workers are threads in a closed loop: each takes the next operation from a shared counter until
the phase's count is done. With --processes P, every point runs as P forked processes of
--workers threads each, every process opening its own connections (sluice: its own Database,
coordinated through the side file); each takes an equal slice of the operations, and the
per-process table shows each one's ops/s and the fairness (slowest / mean).
Each operation is timed from call to result, failed ones included; percentiles are exact over
every operation; rates count successful operations only, and errors are shown by kind with their
share. ops/s of each mode is also shown as a ratio to tuned at the same worker count. Each run
reads its pragmas back from a worker's connection and prints them; --json adds the machine,
SQLite's version and compile options, the -wal size every 50 ms and (sluice) the library's
statistics for every point; --report draws all of it as a self-contained HTML page.

--workload ingest: the seeds' event/metric ingestion (events 4 of 5 requests, metrics 1 of 5,
one row each, timestamp indices) under open-loop bursty arrivals: --burst requests arrive
together every burst/rate seconds for --seconds; --workers threads serve them in arrival order
(default 64), and each request's latency counts from its intended arrival, so a backlog shows as
latency (no coordinated omission). --readers threads run recent-window aggregates meanwhile.
Give several rates (--rate 10000,25000,50000) to find the rate a mode sustains at a given p99.

Examples:
  sluice bench                                   quick run of everything (make run)
  sluice bench --phase write --workers 1,64 --scale 1 --json out.json --report out.html
  sluice bench --phase write --mode tuned,sluice --processes 16 --workers 4 --scale 1
  sluice bench --workload ingest --mode tuned,sluice --rate 50000 --burst 1000 --seconds 10
  sluice bench --mode tuned,sluice --sync full --workers 64)";

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
            v, kMinScale, kMaxScale, kDefaultScale);
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
      ->check(CLI::IsMember({"blog", "ingest"}))
      ->capture_default_str();
  auto* mode_opt =
      cmd->add_option("--mode", *modes,
                      "Modes, comma-separated: vanilla,tuned,sluice,sluice-ckpt-in-commit,"
                      "tuned-nommap,sluice-stale,sluice-handoff,sluice-lambda (ingest "
                      "also sluice-submit, and runs all four of vanilla..sluice-submit by default)")
          ->delimiter(',')
          ->capture_default_str();
  cmd->add_option("--workers", opts->workers, "Worker thread counts, comma-separated (1..1024)")
      ->delimiter(',')
      ->check(worker_count_validator())
      ->capture_default_str();
  cmd->add_option("--processes", opts->processes,
                  "blog: run each point as this many processes of --workers threads (1..256)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--rate", opts->ingest.rates,
                  "ingest: offered requests/s, comma-separated (one point per rate)")
      ->delimiter(',')
      ->check(CLI::Range(1.0, 10'000'000.0))
      ->capture_default_str();
  cmd->add_option("--burst", opts->ingest.burst, "ingest: requests arriving together (1..1e6)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--seconds", opts->ingest.seconds, "ingest: seconds of arrivals per point")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  cmd->add_option("--readers", opts->ingest.readers,
                  "ingest: reader threads running recent-window aggregates (0..256)")
      ->check(CLI::Range(0, 256))
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
  cmd->add_option("--reps", opts->reps,
                  "Runs of each point (1..99), interleaved with the other modes; the table shows "
                  "the median run by ops/s and the spread (min-max)")
      ->check(CLI::Range(1, 99))
      ->capture_default_str();
  cmd->add_option("--dir", opts->dir, "Directory for the benchmark's database files")
      ->capture_default_str();
  cmd->add_option("--json", opts->json_path, "Also write every figure to this JSON file");
  cmd->add_option("--report", opts->report_path,
                  "Also write a self-contained HTML report with charts (and the JSON inside)");
  auto* workers_opt = cmd->get_option("--workers");

  cmd->callback([opts, modes, phase, sync, workers_opt, mode_opt, &exit_code] {
    if (opts->workload == "ingest" && mode_opt->count() == 0) modes->push_back("sluice-submit");
    opts->modes.clear();
    for (const auto& m : *modes) {
      opts->modes.push_back(
          parse_choice<Mode>("--mode", m,
                             {{"vanilla", Mode::Vanilla},
                              {"tuned", Mode::Tuned},
                              {"sluice", Mode::Sluice},
                              {"sluice-submit", Mode::SluiceSubmit},
                              {"sluice-ckpt-in-commit", Mode::SluiceCheckpointInCommit},
                              {"tuned-nommap", Mode::TunedNoMmap},
                              {"sluice-stale", Mode::SluiceStale},
                              {"sluice-handoff", Mode::SluiceHandoff},
                              {"sluice-lambda", Mode::SluiceLambda}}));
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
    const bool submit =
        std::find(opts->modes.begin(), opts->modes.end(), Mode::SluiceSubmit) != opts->modes.end();
    if (submit && opts->workload != "ingest") {
      throw CLI::ValidationError("--mode", "sluice-submit is for --workload ingest only");
    }
    if (opts->workload == "ingest") {
      if (opts->processes > 1) {
        throw CLI::ValidationError("--processes",
                                   "is for the blog workload; ingest runs in one process");
      }
      // An open loop needs enough callers in flight for a burst; 64 unless told.
      if (workers_opt->count() == 0) opts->workers = {64};
      opts->ingest.rates = unique_in_order(opts->ingest.rates);
      opts->phases.push_back(Phase::Ingest);
    } else {
      if (*phase != "mixed") opts->phases.push_back(Phase::Write);
      if (*phase != "write") opts->phases.push_back(Phase::Mixed);
    }
    opts->sync_full = *sync == "full";
    try {
      exit_code = run_bench(*opts);
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
