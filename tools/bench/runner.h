// Running one point of the benchmark (one mode, one phase, one worker count) and reducing its
// measurements to the figures the table and the report show.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/blog_workload.h"
#include "bench/drivers.h"

namespace sluice::bench {

// Exact latency percentiles (ms, nearest rank over µs samples) over every operation of a kind,
// failed ones included.
struct Latency {
  std::int64_t count = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

// One process's share of a point run with --processes > 1.
struct ProcessResult {
  int pid = 0;
  std::int64_t ops = 0;  // successful operations
  double seconds = 0;    // from its start signal to its last operation's end
  double ops_per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

// Raw measurements of one process's share of a point: every operation's latency in µs (failed
// ones too) and its errors by kind. start_s/end_s are std::chrono::steady_clock seconds, which
// on Linux is CLOCK_MONOTONIC and so comparable between processes.
struct Samples {
  std::vector<std::uint32_t> read_us;
  std::vector<std::uint32_t> write_us;
  std::map<std::string, std::int64_t> errors;
  std::int64_t read_errors = 0;
  std::int64_t write_errors = 0;
  double start_s = 0;
  double end_s = 0;
};

struct PointResult {
  Phase phase = Phase::Write;
  Mode mode = Mode::Sluice;
  int workers = 0;    // threads per process
  int processes = 1;  // processes running `workers` threads each
  // Successful operations only: a failure never counts as throughput.
  std::int64_t ops = 0;
  std::int64_t reads = 0;
  std::int64_t writes = 0;
  double seconds = 0;
  Latency read;
  Latency write;
  std::map<std::string, std::int64_t> errors;  // by error kind ("busy", ...)
  std::int64_t read_errors = 0;
  std::int64_t write_errors = 0;
  std::string stats_json;  // sluice only (the first process's Database)
  // Read back from the first worker's connection (or the Database) before the run started.
  std::map<std::string, std::string> pragmas;
  std::vector<ProcessResult> per_process;  // when processes > 1
  // The -wal file's size over the run: (seconds since start, bytes), every kWalSampleMs.
  std::vector<std::pair<double, std::int64_t>> wal_series;
  // Ingest only: the offered load.
  double rate = 0;  // requests per second
  int burst = 0;    // requests arriving together
  int readers = 0;  // reader threads running recent-window aggregates
  // With --reps N: this is the median run (by ops/s) of N, and these the lowest and highest
  // ops/s of the N.
  int reps = 1;
  double ops_per_s_min = 0;
  double ops_per_s_max = 0;

  std::int64_t attempted() const { return ops + error_count(); }
  double ops_per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double reads_per_s() const { return seconds > 0 ? static_cast<double>(reads) / seconds : 0; }
  double writes_per_s() const { return seconds > 0 ? static_cast<double>(writes) / seconds : 0; }
  std::int64_t error_count() const;
  std::int64_t wal_max_bytes() const;
  // The slowest process's ops/s divided by the mean over processes (1 = perfectly fair);
  // < 0 with fewer than two processes.
  double fairness() const;
};

// Groups runs of the same point (phase, mode, workers, processes, rate) and returns, per point in
// first-run order, its median run by ops/s (the upper one of two middles) with reps and the
// spread set.
std::vector<PointResult> median_runs(std::vector<PointResult> runs);

// Merges the samples of every process of a point into `r` (counts, rates, exact percentiles;
// seconds from the earliest start to the latest end). Consumes the samples.
void merge_samples(std::vector<Samples>& parts, PointResult& r);

// Runs one operation on `worker` and appends its latency in µs since `since_s` (steady seconds;
// the call's start, or a request's intended arrival) to `log`, counting a failure by kind.
void timed_op(Worker& worker, const Op& op, double since_s, Samples& log);

// Runs `workers` threads, each with its own Worker from `driver`, taking operation indices
// [begin, end) of the phase from one shared counter (a closed loop). Each operation is timed
// from call to result; failures are counted by kind and timed too. `before_start` runs after
// every worker is ready and before the clock starts (the multi-process runner waits for its
// start signal there). `pragmas`, when given, receives the first worker's effective pragmas.
Samples run_closed_loop(Driver& driver, const BlogWorkload& workload, Phase phase, int workers,
                        std::uint64_t seed, std::int64_t begin, std::int64_t end,
                        const std::function<void()>& before_start,
                        std::map<std::string, std::string>* pragmas);

// One process: the whole phase on `workers` threads, with the -wal size sampled.
PointResult run_point(Driver& driver, const BlogWorkload& workload, Phase phase, Mode mode,
                      int workers, std::uint64_t seed, const std::string& db_path);

// Seconds on std::chrono::steady_clock.
double steady_seconds();

}  // namespace sluice::bench
