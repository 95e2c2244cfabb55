// `sluice replicate DB --to DIR`, `sluice restore DIR --to OUT [--txid N | --at TIME]
// [--allow-partial]` and `sluice replicas DIR`: continuous replication of a database's WAL to a
// directory, point-in-time restore from it, and what a replica holds (sluice/replica.h).
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::ops {

void add_replica_commands(CLI::App& app, int& exit_code);

}  // namespace sluice::ops
