// The oracle of the reliability tests: what must be true of a database after a crash, given
// what its writers intended and what they were told.
//
// Every writer (a thread of a process incarnation, or of a simulated machine) writes rows
// (writer, seq = 1, 2, 3, …) into the table `rows`, one at a time: it records its intent to
// write seq before sending it and the ack after Sluice acknowledged it, and sends seq + 1 only
// after seq was acknowledged. So after any crash, for each writer, the rows present must be
// exactly seq 1..m for some m (a prefix of its intent order: no holes), with m ≤ the last
// intended seq (no phantom rows) and — when the promise is "ack = durable" — m ≥ the last acked
// seq (no acked write lost).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sluice::testing {

// The schema every reliability workload writes into.
inline constexpr const char* kRowsSchema =
    "CREATE TABLE IF NOT EXISTS rows(writer INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "payload BLOB, PRIMARY KEY(writer, seq)) WITHOUT ROWID";
inline constexpr const char* kInsertRow = "INSERT INTO rows(writer, seq, payload) VALUES (?, ?, ?)";

struct WriterLog {
  std::int64_t writer = 0;
  std::int64_t intended = 0;  // highest seq the writer meant to write (0 = none)
  std::int64_t acked = 0;     // highest seq acknowledged to it (0 = none)
};

struct Verdict {
  bool integrity_ok = false;
  std::string integrity;           // PRAGMA integrity_check's first line, or the open error
  std::uint64_t rows = 0;          // rows found
  std::uint64_t acked = 0;         // writes acknowledged (sum of WriterLog::acked)
  std::uint64_t acked_lost = 0;    // acknowledged writes missing
  std::uint64_t unacked_kept = 0;  // intended, not acknowledged, yet present (allowed)
  std::uint64_t phantoms = 0;      // rows of no writer, or beyond a writer's last intent
  std::uint64_t holes = 0;         // writers whose rows are not a prefix 1..m
  std::string first_problem;       // a readable description of the first violation

  bool ok(bool acks_durable) const {
    return integrity_ok && phantoms == 0 && holes == 0 && (!acks_durable || acked_lost == 0);
  }
};

// What a database holds: integrity and, per writer, its rows' count and seq range.
struct WriterRows {
  std::int64_t count = 0, min_seq = 0, max_seq = 0;
};
struct Snapshot {
  bool integrity_ok = false;
  std::string integrity;  // PRAGMA integrity_check's first line, or the error
  std::map<std::int64_t, WriterRows> writers;
};

// Opens `path` with plain SQLite (default VFS; runs WAL recovery like any first opener), runs
// PRAGMA integrity_check and reads the rows, in one read transaction. Never throws.
Snapshot read_database(const std::string& path);

// Compares a snapshot with the logs. When writers may still be running, read their acks before
// the snapshot and their intents after it.
Verdict judge(const Snapshot& snapshot, const std::vector<WriterLog>& logs);

// read_database + judge, for a database no writer is using any more. Never throws.
Verdict check_database(const std::string& path, const std::vector<WriterLog>& logs);

// One line: the counts and the first problem, for a failure message.
std::string describe(const Verdict& v);

}  // namespace sluice::testing
