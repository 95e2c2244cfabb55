// HttpMetrics: the server's own counters — requests by endpoint and status code, latency
// histograms by endpoint, connection counters. One table (kEndpoints, kCounters below, in the
// .cc) drives both the Prometheus text of GET /metrics and the "http" object of GET /status,
// so each name is spelled once.
//
// Latency is measured from the moment the whole request has been read to the moment its
// response is handed to the socket, in seconds (Prometheus' base unit), in fixed buckets.
//
// Thread-safety: record() and the counters are lock-free (relaxed atomics; a snapshot may mix
// values from a few requests apart, never torn ones). Rendering may run concurrently.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sluice::server {

class JsonWriter;

enum class Endpoint {
  Execute,
  Query,
  Request,
  Status,
  Readyz,
  Healthz,
  Nodes,
  Metrics,
  Backup,
  Load,
  Dashboard,  // the page at /, and /console redirecting to it
  Other,      // OPTIONS, unknown paths, refused connections' requests
};
inline constexpr std::size_t kEndpointCount = 12;

// Server-wide counters and gauges (the names are in the .cc table).
enum class Counter {
  ConnectionsAccepted,
  ConnectionsRefused,  // over --max-connections
  ConnectionsOpen,     // gauge
  DeadlineCuts,        // connections closed because a request did not arrive in time
  BodyTooLarge,        // 413
  HeaderTooLarge,      // 431
  MalformedRequests,   // HTTP parse errors (400 before routing)
};
inline constexpr std::size_t kCounterCount = 7;

class HttpMetrics {
 public:
  // The status codes counted one by one; anything else counts as "other".
  static constexpr std::array<unsigned, 12> kStatuses = {200, 301, 302, 400, 401, 404,
                                                         405, 408, 413, 431, 500, 503};
  // Upper bounds of the latency buckets (seconds); +Inf is implicit.
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void record(Endpoint endpoint, unsigned status, std::chrono::nanoseconds latency) noexcept;
  void add(Counter c, std::int64_t delta = 1) noexcept {
    counters_[static_cast<std::size_t>(c)].fetch_add(delta, std::memory_order_relaxed);
  }
  std::int64_t get(Counter c) const noexcept {
    return counters_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
  }

  // Prometheus text exposition (names prefixed sluice_http_).
  std::string to_prometheus() const;
  // The same figures as one JSON object value: {"connections_accepted_total":..,
  // "requests":{"execute":{"count":..,"by_status":{"200":..},"sum_seconds":..}, ...}}.
  void to_json(JsonWriter& w) const;

 private:
  struct PerEndpoint {
    std::array<std::atomic<std::uint64_t>, kStatuses.size() + 1> by_status{};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::array<PerEndpoint, kEndpointCount> endpoints_{};
  std::array<std::atomic<std::int64_t>, kCounterCount> counters_{};
};

}  // namespace sluice::server
