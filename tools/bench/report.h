// Printing benchmark results: the table in the terminal and the JSON file.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/runner.h"

namespace sluice::bench {

// One line for the progress stream after a point finishes.
std::string progress_line(const PointResult& r, int done, int total);

// The comparison table of one phase: every mode and worker count, with ops/s as a ratio to
// `tuned` at the same worker count (when tuned ran).
void print_table(std::FILE* out, Phase phase, const std::vector<PointResult>& results);

// The ingest table: every mode, rate and worker count, with the offered and achieved rates and
// the write latency measured from each request's intended arrival.
void print_ingest_table(std::FILE* out, const std::vector<PointResult>& results);

// Per-process throughput of points run with --processes > 1: min/mean/max ops/s and fairness
// (min ÷ mean).
void print_process_table(std::FILE* out, const std::vector<PointResult>& results);

// A point as JSON, with its ratio to tuned when known (< 0 = unknown).
nlohmann::json point_json(const PointResult& r, double ratio_to_tuned);

// ops/s of `r` divided by tuned's at the same phase, worker and process count (and rate, for
// ingest); < 0 when tuned did not run.
double ratio_to_tuned(const PointResult& r, const std::vector<PointResult>& all);

}  // namespace sluice::bench
