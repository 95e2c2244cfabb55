// `sluice checkpoint DB [--mode passive|full|restart|truncate]`: run one WAL checkpoint now and
// say what it did.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::ops {

void add_checkpoint_command(CLI::App& app, int& exit_code);

}  // namespace sluice::ops
