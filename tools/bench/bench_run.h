// Running a whole `sluice bench` invocation: every point of every mode, the tables, the JSON and
// the HTML report.
#pragma once

#include "bench/options.h"

namespace sluice::bench {

// Runs what `o` asks for and prints the tables to stdout (progress to stderr). Returns the exit
// code (0). Throws sluice::Error or std::exception on a failure that stops the run.
int run_bench(const Options& o);

}  // namespace sluice::bench
