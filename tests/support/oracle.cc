#include "support/oracle.h"

#include <sqlite3.h>

namespace sluice::testing {
namespace {

struct Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close_v2(handle); }
  std::string error() const { return handle ? sqlite3_errmsg(handle) : "out of memory"; }
};

bool run(Db& db, const char* sql) {
  return sqlite3_exec(db.handle, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

void problem(Verdict& v, const std::string& what) {
  if (v.first_problem.empty()) v.first_problem = what;
}

std::string str(std::int64_t n) { return std::to_string(n); }

}  // namespace

Snapshot read_database(const std::string& path) {
  Snapshot s;
  Db db;
  if (sqlite3_open_v2(path.c_str(), &db.handle, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    s.integrity = "open failed: " + db.error();
    return s;
  }
  sqlite3_busy_timeout(db.handle, 10000);
  if (!run(db, "BEGIN")) {
    s.integrity = "BEGIN failed: " + db.error();
    return s;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.handle, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    s.integrity = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  } else {
    s.integrity = "integrity_check failed: " + db.error();
  }
  sqlite3_finalize(st);
  s.integrity_ok = s.integrity == "ok";
  if (sqlite3_prepare_v2(db.handle,
                         "SELECT writer, count(*), min(seq), max(seq) FROM rows GROUP BY writer",
                         -1, &st, nullptr) != SQLITE_OK) {
    s.integrity_ok = false;
    s.integrity = "reading rows: " + db.error();
    return s;
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    s.writers[sqlite3_column_int64(st, 0)] = {
        sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)};
  }
  if (rc != SQLITE_DONE) {
    s.integrity_ok = false;
    s.integrity = "reading rows: " + db.error();
  }
  sqlite3_finalize(st);
  run(db, "COMMIT");
  return s;
}

Verdict judge(const Snapshot& s, const std::vector<WriterLog>& logs) {
  Verdict v;
  v.integrity_ok = s.integrity_ok;
  v.integrity = s.integrity;
  if (!v.integrity_ok) problem(v, "integrity_check: " + v.integrity);
  std::map<std::int64_t, const WriterLog*> by_writer;
  for (const auto& log : logs) {
    by_writer[log.writer] = &log;
    v.acked += static_cast<std::uint64_t>(log.acked);
  }
  for (const auto& [writer, r] : s.writers) {
    v.rows += static_cast<std::uint64_t>(r.count);
    if (r.min_seq != 1 || r.count != r.max_seq) {
      ++v.holes;
      problem(v, "writer " + str(writer) + ": rows are not 1.." + str(r.max_seq) + " (" +
                     str(r.count) + " rows, min seq " + str(r.min_seq) + ")");
    }
    auto it = by_writer.find(writer);
    const std::int64_t intended = it == by_writer.end() ? 0 : it->second->intended;
    if (r.max_seq > intended) {
      v.phantoms += static_cast<std::uint64_t>(r.max_seq - intended);
      problem(v, "writer " + str(writer) + ": seq up to " + str(r.max_seq) +
                     " present, but it only intended " + str(intended));
    }
  }
  for (const auto& log : logs) {
    auto it = s.writers.find(log.writer);
    const std::int64_t present = it == s.writers.end() ? 0 : it->second.max_seq;
    if (present < log.acked) {
      v.acked_lost += static_cast<std::uint64_t>(log.acked - present);
      problem(v, "writer " + str(log.writer) + ": acked up to " + str(log.acked) + ", only " +
                     str(present) + " present");
    } else if (present > log.acked) {
      v.unacked_kept += static_cast<std::uint64_t>(std::min(present, log.intended) - log.acked);
    }
  }
  return v;
}

Verdict check_database(const std::string& path, const std::vector<WriterLog>& logs) {
  return judge(read_database(path), logs);
}

std::string describe(const Verdict& v) {
  return "integrity=" + v.integrity + " rows=" + std::to_string(v.rows) +
         " acked=" + std::to_string(v.acked) + " acked_lost=" + std::to_string(v.acked_lost) +
         " phantoms=" + std::to_string(v.phantoms) + " holes=" + std::to_string(v.holes) +
         (v.first_problem.empty() ? "" : " first problem: " + v.first_problem);
}

}  // namespace sluice::testing
