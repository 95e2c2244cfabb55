#include "server/http_metrics.h"

#include <fmt/format.h>

#include "server/json_writer.h"

namespace sluice::server {
namespace {

constexpr std::array<const char*, kEndpointCount> kEndpoints = {
    "execute", "query",   "request", "status", "readyz",    "healthz",
    "nodes",   "metrics", "backup",  "load",   "dashboard", "other"};

struct CounterRow {
  const char* name;  // after the sluice_http_ prefix; also the JSON key
  const char* type;  // Prometheus type
  const char* help;
};
constexpr std::array<CounterRow, kCounterCount> kCounters = {{
    {"connections_accepted_total", "counter", "TCP connections accepted"},
    {"connections_refused_total", "counter", "Connections closed at once: over --max-connections"},
    {"connections_open", "gauge", "Connections open now"},
    {"deadline_cuts_total", "counter",
     "Connections closed because a request did not arrive within --request-deadline"},
    {"body_too_large_total", "counter", "Requests refused with 413 (over --max-body)"},
    {"header_too_large_total", "counter", "Requests refused with 431 (over --max-header)"},
    {"malformed_requests_total", "counter", "Requests that were not valid HTTP (400)"},
}};

std::string status_label(std::size_t i) {
  return i < HttpMetrics::kStatuses.size() ? std::to_string(HttpMetrics::kStatuses[i]) : "other";
}

}  // namespace

void HttpMetrics::record(Endpoint endpoint, unsigned status,
                         std::chrono::nanoseconds latency) noexcept {
  PerEndpoint& e = endpoints_[static_cast<std::size_t>(endpoint)];
  std::size_t s = 0;
  while (s < kStatuses.size() && kStatuses[s] != status) ++s;
  e.by_status[s].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  e.buckets[b].fetch_add(1, std::memory_order_relaxed);
  e.count.fetch_add(1, std::memory_order_relaxed);
  e.sum_ns.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

std::string HttpMetrics::to_prometheus() const {
  std::string out;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    fmt::format_to(std::back_inserter(out),
                   "# HELP sluice_http_{0} {1}\n# TYPE sluice_http_{0} {2}\n", kCounters[i].name,
                   kCounters[i].help, kCounters[i].type);
    fmt::format_to(std::back_inserter(out), "sluice_http_{} {}\n", kCounters[i].name,
                   counters_[i].load(std::memory_order_relaxed));
  }
  out +=
      "# HELP sluice_http_requests_total HTTP requests answered, by endpoint and status code\n"
      "# TYPE sluice_http_requests_total counter\n";
  for (std::size_t e = 0; e < kEndpointCount; ++e) {
    for (std::size_t s = 0; s <= kStatuses.size(); ++s) {
      const auto n = endpoints_[e].by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      fmt::format_to(std::back_inserter(out),
                     "sluice_http_requests_total{{endpoint=\"{}\",code=\"{}\"}} {}\n",
                     kEndpoints[e], status_label(s), n);
    }
  }
  out +=
      "# HELP sluice_http_request_duration_seconds Request read to response written, by "
      "endpoint\n# TYPE sluice_http_request_duration_seconds histogram\n";
  for (std::size_t e = 0; e < kEndpointCount; ++e) {
    const PerEndpoint& pe = endpoints_[e];
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += pe.buckets[b].load(std::memory_order_relaxed);
      const std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
      fmt::format_to(
          std::back_inserter(out),
          "sluice_http_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"{}\"}} {}\n",
          kEndpoints[e], le, cumulative);
    }
    fmt::format_to(std::back_inserter(out),
                   "sluice_http_request_duration_seconds_sum{{endpoint=\"{}\"}} {}\n"
                   "sluice_http_request_duration_seconds_count{{endpoint=\"{}\"}} {}\n",
                   kEndpoints[e], static_cast<double>(pe.sum_ns.load()) / 1e9, kEndpoints[e],
                   cumulative);
  }
  return out;
}

void HttpMetrics::to_json(JsonWriter& w) const {
  w.begin_object();
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    w.key(kCounters[i].name);
    w.integer(counters_[i].load(std::memory_order_relaxed));
  }
  w.key("requests");
  w.begin_object();
  for (std::size_t e = 0; e < kEndpointCount; ++e) {
    const PerEndpoint& pe = endpoints_[e];
    w.key(kEndpoints[e]);
    w.begin_object();
    w.key("count");
    w.integer(static_cast<std::int64_t>(pe.count.load(std::memory_order_relaxed)));
    w.key("sum_seconds");
    w.number(static_cast<double>(pe.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    w.key("by_status");
    w.begin_object();
    for (std::size_t s = 0; s <= kStatuses.size(); ++s) {
      const auto n = pe.by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      w.key(status_label(s));
      w.integer(static_cast<std::int64_t>(n));
    }
    w.end_object();
    w.end_object();
  }
  w.end_object();
  w.end_object();
}

}  // namespace sluice::server
