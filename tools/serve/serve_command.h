// `sluice serve DB`: rqlite's HTTP API over one Sluice database (src/server, docs/server.md).
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::serve {

void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace sluice::serve
