// Stats rendering. One list each of counters, gauges and summaries drives both formats; the JSON
// keys are the Prometheus names without the `sluice_` prefix, so a dashboard and a JSON reader
// see the same names.
#include "sluice/stats.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

namespace sluice {
namespace {

struct CounterRow {
  const char* name;  // without the sluice_ prefix
  const char* help;
  std::uint64_t value;
};

struct SummaryRow {
  const char* name;
  const char* help;
  const Summary* summary;
};

std::vector<CounterRow> counters(const Stats& s) {
  return {
      {"commits_total", "Group-commit transactions committed", s.commits},
      {"jobs_ok_total", "Write jobs committed and acknowledged", s.jobs_ok},
      {"jobs_failed_total", "Write jobs that ended in an error", s.jobs_failed},
      {"busy_retries_total", "BEGIN IMMEDIATE attempts that met SQLITE_BUSY", s.busy_retries},
      {"busy_timeouts_total", "Batches failed with Busy after busy_timeout_ms", s.busy_timeouts},
      {"overloaded_total", "Submissions refused because the write queue was full", s.overloaded},
      {"deadline_exceeded_total", "Jobs dropped unexecuted past their deadline",
       s.deadline_exceeded},
      {"commit_failures_total", "COMMITs that failed", s.commit_failures},
      {"ring_jobs_total", "Declarative writes that went through the shared job ring", s.ring_jobs},
      {"ring_fallbacks_total", "Declarative writes the job ring could not take", s.ring_fallbacks},
      {"ring_jobs_for_others_total", "Other processes' ring jobs run by this process's leaders",
       s.ring_jobs_for_others},
      {"reads_ok_total", "Reads completed", s.reads_ok},
      {"reads_failed_total", "Reads that ended in an error", s.reads_failed},
      {"checkpoints_total", "WAL checkpoints run", s.checkpoints},
      {"checkpoint_pages_written_total", "WAL frames copied back into the database",
       s.checkpoint_pages_written},
      {"checkpoints_passive_total", "PASSIVE checkpoints", s.checkpoints_passive},
      {"checkpoints_full_total", "FULL checkpoints", s.checkpoints_full},
      {"checkpoints_restart_total", "RESTART checkpoints", s.checkpoints_restart},
      {"checkpoints_truncate_total", "TRUNCATE checkpoints", s.checkpoints_truncate},
      {"checkpoints_busy_total", "Checkpoints that left frames behind (readers pinned the WAL)",
       s.checkpoints_busy},
      {"lease_takeovers_total", "Checkpointer lease taken over from a dead process",
       s.lease_takeovers},
      {"lock_recoveries_total", "Writer lock taken after its holder died", s.lock_recoveries},
      {"long_reads_total", "Reads that held a transaction over max_read_txn_ms", s.long_reads},
      {"replica_segments_total", "WAL segments shipped to the replica", s.replica_segments},
      {"replica_bytes_total", "Bytes shipped to the replica (snapshots included)", s.replica_bytes},
      {"replica_generations_total", "Replica generations started", s.replica_generations},
      {"replica_errors_total", "Failed attempts to ship to the replica", s.replica_errors},
  };
}

std::vector<CounterRow> gauges(const Stats& s) {
  return {
      {"queue_depth_jobs", "Write jobs queued, not yet taken by the writer", s.queue_depth},
      {"enqueue_waiters", "Callers waiting for write-queue space (enqueue_timeout_ms)",
       s.enqueue_waiters},
      {"readers_in_use", "Pooled read connections leased", s.readers_in_use},
      {"readers_total", "Reader pool size", s.readers_total},
      {"wal_frames_pages", "WAL frames after the last commit", s.wal_frames},
      {"wal_bytes", "Size of the -wal file", s.wal_bytes},
      {"oldest_read_milliseconds", "Age of the oldest open read transaction", s.oldest_read_ms},
      {"processes_attached", "Sluice Databases attached to this database file",
       s.processes_attached},
      {"checkpointer_active", "1 when this process holds the checkpointer lease",
       s.checkpointer_active ? 1u : 0u},
      {"writes_refused", "1 when writes are refused until reopen", s.writes_refused ? 1u : 0u},
      {"replica_active", "1 when this process ships the WAL to the replica",
       s.replica_active ? 1u : 0u},
      {"replica_shipped_txid", "Newest transaction id in the replica", s.replica_shipped_txid},
      {"replica_lag_milliseconds", "Since everything committed was last shipped", s.replica_lag_ms},
      {"replica_pending_frames", "Committed WAL frames not yet shipped", s.replica_pending_frames},
  };
}

std::vector<SummaryRow> summaries(const Stats& s) {
  return {
      {"queue_wait_microseconds", "Submission to the writer taking the job", &s.queue_wait_us},
      {"execute_microseconds", "A job's own work inside its savepoint", &s.execute_us},
      {"commit_microseconds", "COMMIT of a batch", &s.commit_us},
      {"write_latency_microseconds", "Submission to result, as the caller sees it", &s.write_us},
      {"read_latency_microseconds", "read() call to result, including pool wait", &s.read_us},
      {"pool_wait_microseconds", "Waiting for a free reader", &s.pool_wait_us},
      {"stale_snapshot_age_microseconds",
       "Age of the kept snapshot a bounded-staleness read reused", &s.stale_snapshot_age_us},
      {"batch_size_jobs", "Jobs per committed batch", &s.batch_jobs},
      {"checkpoint_microseconds", "Duration of each checkpoint", &s.checkpoint_us},
      {"writer_lock_wait_microseconds", "Waiting for the cross-process writer lock, per batch",
       &s.lock_wait_us},
  };
}

nlohmann::json summary_json(const Summary& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"p50", s.p50}, {"p90", s.p90},
          {"p99", s.p99},     {"p999", s.p999}, {"max", s.max}};
}

}  // namespace

std::string Stats::to_json() const {
  nlohmann::json j;
  for (const auto& c : counters(*this)) j[c.name] = c.value;
  for (const auto& g : gauges(*this)) j[g.name] = g.value;
  j["writes_refused"] = writes_refused;
  j["checkpointer_active"] = checkpointer_active;
  j["long_read_sql"] = long_read_sql;
  j["long_read_milliseconds"] = long_read_ms;
  for (const auto& s : summaries(*this)) j[s.name] = summary_json(*s.summary);
  return j.dump();
}

std::string Stats::to_prometheus() const {
  std::ostringstream out;
  for (const auto& c : counters(*this)) {
    out << "# HELP sluice_" << c.name << ' ' << c.help << "\n# TYPE sluice_" << c.name
        << " counter\nsluice_" << c.name << ' ' << c.value << '\n';
  }
  for (const auto& g : gauges(*this)) {
    out << "# HELP sluice_" << g.name << ' ' << g.help << "\n# TYPE sluice_" << g.name
        << " gauge\nsluice_" << g.name << ' ' << g.value << '\n';
  }
  const std::pair<const char*, std::uint64_t Summary::*> quantiles[] = {{"0.5", &Summary::p50},
                                                                        {"0.9", &Summary::p90},
                                                                        {"0.99", &Summary::p99},
                                                                        {"0.999", &Summary::p999}};
  for (const auto& s : summaries(*this)) {
    out << "# HELP sluice_" << s.name << ' ' << s.help << "\n# TYPE sluice_" << s.name
        << " summary\n";
    for (const auto& [q, field] : quantiles) {
      out << "sluice_" << s.name << "{quantile=\"" << q << "\"} " << s.summary->*field << '\n';
    }
    // Summary keeps the mean, not the sum; rounding recovers the integer sum exactly while it is
    // below 2^53.
    out << "sluice_" << s.name << "_sum "
        << std::llround(s.summary->mean * static_cast<double>(s.summary->count)) << "\nsluice_"
        << s.name << "_count " << s.summary->count << '\n';
  }
  return out.str();
}

}  // namespace sluice
