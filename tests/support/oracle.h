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
//
// Across writers: each row carries `ord`, its place in the global commit order, assigned inside
// the writing transaction as one more than the largest ord it sees (kInsertRow). Transactions
// commit one at a time, so the committed rows always hold ord 1..n with no gap; a database that
// lost a commit but kept a later one has a gap. "The survivors are a prefix of the commit order"
// is checked as exactly that: ord 1..n, each once.
//
// Every row's payload is seeded bytes (row_payload): a lost or stale overflow page reads back as
// other bytes, which the oracle finds even when integrity_check passes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sluice::testing {

// The schema every reliability workload writes into.
inline constexpr const char* kRowsSchema =
    "CREATE TABLE IF NOT EXISTS rows(writer INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "ord INTEGER NOT NULL UNIQUE, payload BLOB NOT NULL, PRIMARY KEY(writer, seq)) WITHOUT ROWID";
// Binds (writer, seq, payload); ord is the next place in the commit order.
inline constexpr const char* kInsertRow =
    "INSERT INTO rows(writer, seq, ord, payload) "
    "VALUES (?1, ?2, (SELECT coalesce(max(ord), 0) + 1 FROM rows), ?3)";

// The payload of row (writer, seq): `size` bytes (at least 8; smaller sizes are raised to 8),
// a header holding the size, then bytes seeded by (writer, seq).
std::vector<std::uint8_t> row_payload(std::int64_t writer, std::int64_t seq, std::size_t size);
// Whether `bytes` is exactly what row_payload wrote for (writer, seq).
bool payload_ok(std::int64_t writer, std::int64_t seq, const void* bytes, std::size_t size);

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
  std::uint64_t order_gaps = 0;    // places of the commit order missing below the largest ord
  std::uint64_t bad_payloads = 0;  // rows whose payload is not the bytes written
  std::string first_problem;       // a readable description of the first violation

  bool ok(bool acks_durable) const {
    return integrity_ok && phantoms == 0 && holes == 0 && order_gaps == 0 && bad_payloads == 0 &&
           (!acks_durable || acked_lost == 0);
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
  std::uint64_t order_gaps = 0;    // see Verdict
  std::uint64_t bad_payloads = 0;  // see Verdict
  std::string first_bad;           // the first gap or bad payload, readable
};

// Opens `path` with plain SQLite (default VFS; runs WAL recovery like any first opener), runs
// PRAGMA integrity_check and reads every row, in one read transaction. It never checkpoints
// (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): the -wal file stays as found, so the next opener still
// has to recover it. Never throws.
Snapshot read_database(const std::string& path);

// Compares a snapshot with the logs. When writers may still be running, read their acks before
// the snapshot and their intents after it.
Verdict judge(const Snapshot& snapshot, const std::vector<WriterLog>& logs);

// read_database + judge, for a database no writer is using any more. Never throws.
Verdict check_database(const std::string& path, const std::vector<WriterLog>& logs);

// One line: the counts and the first problem, for a failure message.
std::string describe(const Verdict& v);

}  // namespace sluice::testing
