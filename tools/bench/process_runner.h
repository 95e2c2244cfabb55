// Running one point of the benchmark as several processes, as web servers run N worker
// processes (gunicorn, pm2, Puma) that all write one database file.
#pragma once

#include <cstdint>
#include <string>

#include "bench/blog_workload.h"
#include "bench/options.h"
#include "bench/runner.h"

namespace sluice::bench {

// Forks `processes` children. Each opens its own driver of `mode` on `db_path` (its own
// connections or its own sluice::Database: nothing opened before the fork crosses it), takes an
// equal slice of the phase's operation indices, and runs them on `workers` threads in a closed
// loop. All children start together once every one is ready; the parent samples the -wal size
// meanwhile. Each child returns its raw samples through a file in `scratch_dir`, so percentiles
// are exact over every operation of every process. `config_json` receives process 0's driver
// configuration. Must be called while the calling process runs no other threads and holds no
// SQLite connection. Throws std::runtime_error naming the child when one fails.
PointResult run_point_processes(Mode mode, const std::string& db_path, bool sync_full,
                                const BlogWorkload& workload, Phase phase, int workers,
                                int processes, std::uint64_t seed, const std::string& scratch_dir,
                                std::string& config_json);

}  // namespace sluice::bench
