// Stats: JSON carries every field; Prometheus text is well-formed and names its units.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/stats.h"

namespace sluice {
namespace {

// Every field set to a distinct value, so a field rendered under the wrong name shows.
Stats distinct_stats() {
  Stats s;
  std::uint64_t n = 1;
  for (std::uint64_t* f : {&s.commits,
                           &s.jobs_ok,
                           &s.jobs_failed,
                           &s.busy_retries,
                           &s.busy_timeouts,
                           &s.overloaded,
                           &s.deadline_exceeded,
                           &s.commit_failures,
                           &s.reads_ok,
                           &s.reads_failed,
                           &s.checkpoints,
                           &s.checkpoint_pages_written,
                           &s.checkpoints_passive,
                           &s.checkpoints_full,
                           &s.checkpoints_restart,
                           &s.checkpoints_truncate,
                           &s.checkpoints_busy,
                           &s.lease_takeovers,
                           &s.lock_recoveries,
                           &s.long_reads,
                           &s.queue_depth,
                           &s.enqueue_waiters,
                           &s.readers_in_use,
                           &s.readers_total,
                           &s.wal_frames,
                           &s.wal_bytes,
                           &s.oldest_read_ms,
                           &s.processes_attached,
                           &s.long_read_ms,
                           &s.replica_shipped_txid,
                           &s.replica_lag_ms,
                           &s.replica_pending_frames,
                           &s.replica_segments,
                           &s.replica_bytes,
                           &s.replica_generations,
                           &s.replica_errors}) {
    *f = n++;
  }
  s.writes_refused = true;
  s.checkpointer_active = true;
  s.replica_active = true;
  s.long_read_sql = "SELECT slowly()";
  for (Summary* m :
       {&s.queue_wait_us, &s.execute_us, &s.commit_us, &s.write_us, &s.read_us, &s.pool_wait_us,
        &s.stale_snapshot_age_us, &s.batch_jobs, &s.checkpoint_us, &s.lock_wait_us}) {
    m->count = n++;
    m->mean = 2.5;
    m->p50 = n++;
    m->p90 = n++;
    m->p99 = n++;
    m->p999 = n++;
    m->max = n++;
  }
  return s;
}

const std::map<std::string, std::uint64_t Stats::*> kCounters = {
    {"commits_total", &Stats::commits},
    {"jobs_ok_total", &Stats::jobs_ok},
    {"jobs_failed_total", &Stats::jobs_failed},
    {"busy_retries_total", &Stats::busy_retries},
    {"busy_timeouts_total", &Stats::busy_timeouts},
    {"overloaded_total", &Stats::overloaded},
    {"deadline_exceeded_total", &Stats::deadline_exceeded},
    {"commit_failures_total", &Stats::commit_failures},
    {"reads_ok_total", &Stats::reads_ok},
    {"reads_failed_total", &Stats::reads_failed},
    {"checkpoints_total", &Stats::checkpoints},
    {"checkpoint_pages_written_total", &Stats::checkpoint_pages_written},
    {"checkpoints_passive_total", &Stats::checkpoints_passive},
    {"checkpoints_full_total", &Stats::checkpoints_full},
    {"checkpoints_restart_total", &Stats::checkpoints_restart},
    {"checkpoints_truncate_total", &Stats::checkpoints_truncate},
    {"checkpoints_busy_total", &Stats::checkpoints_busy},
    {"lease_takeovers_total", &Stats::lease_takeovers},
    {"lock_recoveries_total", &Stats::lock_recoveries},
    {"long_reads_total", &Stats::long_reads},
    {"replica_segments_total", &Stats::replica_segments},
    {"replica_bytes_total", &Stats::replica_bytes},
    {"replica_generations_total", &Stats::replica_generations},
    {"replica_errors_total", &Stats::replica_errors},
    {"ring_jobs_total", &Stats::ring_jobs},
    {"ring_fallbacks_total", &Stats::ring_fallbacks},
    {"ring_jobs_for_others_total", &Stats::ring_jobs_for_others},
};
const std::map<std::string, std::uint64_t Stats::*> kGauges = {
    {"queue_depth_jobs", &Stats::queue_depth},
    {"enqueue_waiters", &Stats::enqueue_waiters},
    {"readers_in_use", &Stats::readers_in_use},
    {"readers_total", &Stats::readers_total},
    {"wal_frames_pages", &Stats::wal_frames},
    {"wal_bytes", &Stats::wal_bytes},
    {"oldest_read_milliseconds", &Stats::oldest_read_ms},
    {"processes_attached", &Stats::processes_attached},
    {"replica_shipped_txid", &Stats::replica_shipped_txid},
    {"replica_lag_milliseconds", &Stats::replica_lag_ms},
    {"replica_pending_frames", &Stats::replica_pending_frames},
};
const std::map<std::string, Summary Stats::*> kSummaries = {
    {"queue_wait_microseconds", &Stats::queue_wait_us},
    {"execute_microseconds", &Stats::execute_us},
    {"commit_microseconds", &Stats::commit_us},
    {"write_latency_microseconds", &Stats::write_us},
    {"read_latency_microseconds", &Stats::read_us},
    {"pool_wait_microseconds", &Stats::pool_wait_us},
    {"stale_snapshot_age_microseconds", &Stats::stale_snapshot_age_us},
    {"batch_size_jobs", &Stats::batch_jobs},
    {"checkpoint_microseconds", &Stats::checkpoint_us},
    {"writer_lock_wait_microseconds", &Stats::lock_wait_us},
};

TEST(Stats, JsonHasEveryField) {
  const Stats s = distinct_stats();
  const auto j = nlohmann::json::parse(s.to_json());
  for (const auto& [name, field] : kCounters) EXPECT_EQ(j.at(name), s.*field) << name;
  for (const auto& [name, field] : kGauges) EXPECT_EQ(j.at(name), s.*field) << name;
  EXPECT_EQ(j.at("writes_refused"), true);
  EXPECT_EQ(j.at("checkpointer_active"), true);
  EXPECT_EQ(j.at("long_read_sql"), "SELECT slowly()");
  EXPECT_EQ(j.at("long_read_milliseconds"), s.long_read_ms);
  for (const auto& [name, field] : kSummaries) {
    const Summary& m = s.*field;
    const auto& o = j.at(name);
    EXPECT_EQ(o.at("count"), m.count) << name;
    EXPECT_EQ(o.at("mean"), m.mean) << name;
    EXPECT_EQ(o.at("p50"), m.p50) << name;
    EXPECT_EQ(o.at("p90"), m.p90) << name;
    EXPECT_EQ(o.at("p99"), m.p99) << name;
    EXPECT_EQ(o.at("p999"), m.p999) << name;
    EXPECT_EQ(o.at("max"), m.max) << name;
  }
  EXPECT_EQ(j.at("replica_active"), 1);
  // + writes_refused, checkpointer_active, replica_active, long_read_sql, long_read_milliseconds
  EXPECT_EQ(j.size(), kCounters.size() + kGauges.size() + 5 + kSummaries.size());
}

TEST(Stats, EmptySnapshotRendersZeros) {
  const auto j = nlohmann::json::parse(Stats{}.to_json());
  EXPECT_EQ(j.at("commits_total"), 0);
  EXPECT_EQ(j.at("writes_refused"), false);
  EXPECT_EQ(j.at("write_latency_microseconds").at("p99"), 0);
  const std::string text = Stats{}.to_prometheus();
  EXPECT_NE(text.find("\nsluice_writes_refused 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsluice_write_latency_microseconds_sum 0\n"), std::string::npos) << text;
}

// A metric name as Sluice writes them: sluice_ then [a-z0-9_]. Returns its length in `line`.
std::size_t metric_name_length(std::string_view line) {
  if (!line.starts_with("sluice_")) return 0;
  std::size_t n = 0;
  while (n < line.size() && (std::islower(static_cast<unsigned char>(line[n])) ||
                             std::isdigit(static_cast<unsigned char>(line[n])) || line[n] == '_')) {
    ++n;
  }
  return n;
}

// Parses the exposition line by line (no std::regex: GCC 12's trips -Werror under ASan): each
// metric has # HELP then # TYPE before its samples, and every sample is `name[{quantile="q"}]
// number` of a declared metric. Fills `types` by metric and `samples` by name and labels.
void parse_prometheus(const std::string& text, std::map<std::string, std::string>& types,
                      std::map<std::string, double>& samples) {
  std::set<std::string> helped;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string_view l = line;
    if (l.starts_with("# HELP ") || l.starts_with("# TYPE ")) {
      const std::string_view rest = l.substr(7);
      const std::size_t n = metric_name_length(rest);
      ASSERT_GT(n, 0u) << line;
      ASSERT_TRUE(n + 1 < rest.size() && rest[n] == ' ') << line;
      const std::string name(rest.substr(0, n));
      const std::string what(rest.substr(n + 1));
      if (l.starts_with("# HELP ")) {
        EXPECT_TRUE(helped.insert(name).second) << "second HELP: " << line;
      } else {
        EXPECT_TRUE(helped.count(name)) << "TYPE before HELP: " << line;
        EXPECT_TRUE(what == "counter" || what == "gauge" || what == "summary") << line;
        EXPECT_TRUE(types.emplace(name, what).second) << "second TYPE: " << line;
      }
      continue;
    }
    const std::size_t n = metric_name_length(l);
    ASSERT_GT(n, 0u) << "not a Prometheus line: \"" << line << "\"";
    const std::string name(l.substr(0, n));
    const std::size_t space = l.find(' ', n);
    ASSERT_NE(space, std::string_view::npos) << line;
    const std::string labels(l.substr(n, space - n));
    std::string family = name;
    for (std::string_view suffix : {"_sum", "_count"}) {
      if (!types.count(family) && family.ends_with(suffix)) family.resize(n - suffix.size());
    }
    ASSERT_TRUE(types.count(family)) << "sample of an undeclared metric: " << line;
    if (types[family] == "summary" && family == name) {
      EXPECT_TRUE(labels == "{quantile=\"0.5\"}" || labels == "{quantile=\"0.9\"}" ||
                  labels == "{quantile=\"0.99\"}" || labels == "{quantile=\"0.999\"}")
          << line;
    } else {
      EXPECT_EQ(labels, "") << line;
    }
    const std::string value(l.substr(space + 1));
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    EXPECT_TRUE(!value.empty() && *end == '\0') << "not a number: " << line;
    EXPECT_TRUE(samples.emplace(name + labels, v).second) << "duplicate sample: " << line;
  }
  EXPECT_TRUE(text.ends_with("\n"));
}

TEST(Stats, PrometheusTextIsWellFormedAndComplete) {
  const Stats s = distinct_stats();
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  ASSERT_NO_FATAL_FAILURE(parse_prometheus(s.to_prometheus(), types, samples));
  for (const auto& [name, field] : kCounters) {
    const std::string metric = "sluice_" + name;
    EXPECT_EQ(types[metric], "counter") << metric;
    EXPECT_EQ(samples.at(metric), static_cast<double>(s.*field)) << metric;
  }
  for (const auto& [name, field] : kGauges) {
    const std::string metric = "sluice_" + name;
    EXPECT_EQ(types[metric], "gauge") << metric;
    EXPECT_EQ(samples.at(metric), static_cast<double>(s.*field)) << metric;
  }
  EXPECT_EQ(types["sluice_writes_refused"], "gauge");
  EXPECT_EQ(samples.at("sluice_writes_refused"), 1.0);
  EXPECT_EQ(types["sluice_checkpointer_active"], "gauge");
  EXPECT_EQ(samples.at("sluice_checkpointer_active"), 1.0);
  for (const auto& [name, field] : kSummaries) {
    const std::string metric = "sluice_" + name;
    const Summary& m = s.*field;
    EXPECT_EQ(types[metric], "summary") << metric;
    EXPECT_EQ(samples.at(metric + "{quantile=\"0.5\"}"), static_cast<double>(m.p50));
    EXPECT_EQ(samples.at(metric + "{quantile=\"0.9\"}"), static_cast<double>(m.p90));
    EXPECT_EQ(samples.at(metric + "{quantile=\"0.99\"}"), static_cast<double>(m.p99));
    EXPECT_EQ(samples.at(metric + "{quantile=\"0.999\"}"), static_cast<double>(m.p999));
    EXPECT_EQ(samples.at(metric + "_count"), static_cast<double>(m.count));
    EXPECT_EQ(samples.at(metric + "_sum"), std::round(m.mean * static_cast<double>(m.count)));
  }
  EXPECT_EQ(types["sluice_replica_active"], "gauge");
  EXPECT_EQ(samples.at("sluice_replica_active"), 1.0);
  EXPECT_EQ(types.size(), kCounters.size() + kGauges.size() + 3 + kSummaries.size());
}

TEST(Stats, PrometheusSumIsRoundedNotTruncated) {
  Stats s;
  s.write_us.count = 100;
  s.write_us.mean = 0.29;  // a sum of 29 over 100 values; 0.29 * 100 is 28.999999999999996
  const std::string text = s.to_prometheus();
  EXPECT_NE(text.find("\nsluice_write_latency_microseconds_sum 29\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice
