// Running one point of the ingest workload: open-loop bursty arrivals served by a pool of
// worker threads, with readers running recent-window aggregates alongside.
#pragma once

#include <cstdint>
#include <string>

#include "bench/drivers.h"
#include "bench/ingest_workload.h"
#include "bench/runner.h"

namespace sluice::bench {

// Offers round(rate·seconds) requests (rounded up to whole bursts): burst k's `burst` requests
// all arrive at start + k·burst/rate. `workers` threads (each with its own Worker: a connection
// for vanilla/tuned, a caller of Database::write for sluice) take requests in arrival order and
// run each as one write; a request's latency is measured from its intended arrival time, not
// from when a worker got to it, so a backlog shows as latency (no coordinated omission).
// `opts.readers` threads run back-to-back recent-window reads until the last write ends
// (their latency is from call to result). The -wal size is sampled throughout.
PointResult run_ingest_point(Driver& driver, const IngestWorkload& workload, Mode mode, int workers,
                             double rate, const IngestOptions& opts, std::uint64_t seed,
                             const std::string& db_path);

// Requests a point offers: round(rate·seconds) rounded up to whole bursts (at least one).
std::int64_t ingest_requests(double rate, const IngestOptions& opts);

}  // namespace sluice::bench
