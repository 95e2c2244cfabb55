// `sluice backup DB DEST [--overwrite] [--no-check] [--quiet]`: a consistent, integrity-checked
// copy of a live database (sluice::backup_file).
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::ops {

void add_backup_command(CLI::App& app, int& exit_code);

}  // namespace sluice::ops
