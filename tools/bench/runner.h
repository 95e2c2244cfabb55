// Running one point of the benchmark: one mode, one phase, one worker count, closed loop.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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

struct PointResult {
  Phase phase = Phase::Write;
  Mode mode = Mode::Sluice;
  int workers = 0;
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
  std::string stats_json;  // sluice only
  // Read back from the first worker's connection (or the Database) before the run started.
  std::map<std::string, std::string> pragmas;

  std::int64_t attempted() const { return ops + error_count(); }
  double ops_per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double reads_per_s() const { return seconds > 0 ? static_cast<double>(reads) / seconds : 0; }
  double writes_per_s() const { return seconds > 0 ? static_cast<double>(writes) / seconds : 0; }
  std::int64_t error_count() const;
};

// Runs `workers` threads, each with its own Worker from `driver`, taking operation indices from
// one shared counter until the phase's total is done. Each operation is timed from call to
// result; failures are counted by kind and timed too.
PointResult run_point(Driver& driver, const BlogWorkload& workload, Phase phase, Mode mode,
                      int workers, std::uint64_t seed);

}  // namespace sluice::bench
