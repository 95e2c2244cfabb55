// Facts about the machine and the SQLite library a benchmark ran on, for its JSON report.
#pragma once

#include <nlohmann/json.hpp>

#include "sluice/connection.h"

namespace sluice::bench {

// cores, memory, kernel, CPU model, SQLite version and compile options (read through `conn`).
nlohmann::json machine_facts(Connection& conn);

}  // namespace sluice::bench
