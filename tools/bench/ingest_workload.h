// The ingest workload: the seeds' event/metric ingestion shape under open-loop bursty arrivals.
//
//   events(id INTEGER PRIMARY KEY, timestamp REAL, data TEXT)            -- 4 of 5 requests
//   metrics(id INTEGER PRIMARY KEY, timestamp INTEGER, metric_name TEXT, value REAL)  -- 1 of 5
//   with an index on each table's timestamp.
//
// Each request inserts one row, stamped with the wall clock (events: seconds, metrics: ms).
// Readers run back-to-back recent-window aggregates over the last second, alternating between
// the two tables, as a dashboard polling the stream would.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/ops.h"
#include "sluice/connection.h"

namespace sluice::bench {

// The offered load of `--workload ingest`.
struct IngestOptions {
  // Requests per second, one point per rate. 50,000/s is issue 3's target rate.
  std::vector<double> rates = {50000};
  // Requests arriving together: a burst of `burst` every burst/rate seconds.
  int burst = 1000;
  double seconds = 5;  // how long requests keep arriving
  int readers = 4;     // reader threads running recent-window aggregates
};

class IngestWorkload {
 public:
  explicit IngestWorkload(std::uint64_t seed);

  // Creates both tables and their timestamp indices in an empty database.
  static void create_schema(Connection& conn);

  // Request number i, stamped with `wall_s` (seconds since the Unix epoch).
  Op request(std::int64_t i, double wall_s, std::mt19937_64& rng) const;
  // Reader query number i over the window ending at `wall_s`.
  Op recent(std::int64_t i, double wall_s) const;

  // Window of the readers' aggregates (s).
  static constexpr double kWindowS = 1.0;

 private:
  std::vector<std::string> data_;     // event payloads: small JSON documents (~120 bytes)
  std::vector<std::string> metrics_;  // metric names
};

// Seconds since the Unix epoch, from the system clock.
double wall_seconds();

}  // namespace sluice::bench
