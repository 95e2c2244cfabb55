// `sluice inspect DB [--json]`: what a database file is and how its WAL stands, with warnings.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::ops {

void add_inspect_command(CLI::App& app, int& exit_code);

}  // namespace sluice::ops
