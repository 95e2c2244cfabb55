// `sluice bench`: the command-line surface and the orchestration of a benchmark run.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::bench {

// Adds the `bench` subcommand to `app`; its callback runs the benchmark and sets `exit_code`.
void add_bench_command(CLI::App& app, int& exit_code);

}  // namespace sluice::bench
