#include "support/oracle.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

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

// splitmix64: a small, well-mixed generator for the payload bytes.
std::uint64_t mix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Reads every row in commit order into `s`: per-writer ranges, order gaps, bad payloads.
bool read_rows(Db& db, Snapshot& s) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.handle, "SELECT writer, seq, ord, payload FROM rows ORDER BY ord", -1,
                         &st, nullptr) != SQLITE_OK) {
    return false;
  }
  std::int64_t next_ord = 1;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const std::int64_t writer = sqlite3_column_int64(st, 0);
    const std::int64_t seq = sqlite3_column_int64(st, 1);
    const std::int64_t ord = sqlite3_column_int64(st, 2);
    const void* payload = sqlite3_column_blob(st, 3);
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, 3));
    WriterRows& w = s.writers[writer];
    w.min_seq = w.count == 0 ? seq : std::min(w.min_seq, seq);
    w.max_seq = w.count == 0 ? seq : std::max(w.max_seq, seq);
    ++w.count;
    if (ord != next_ord) {
      s.order_gaps += static_cast<std::uint64_t>(std::max<std::int64_t>(ord - next_ord, 1));
      if (s.first_bad.empty()) {
        s.first_bad = "commit order: ord " + str(ord) + " present, ord " + str(next_ord) +
                      " missing (writer " + str(writer) + " seq " + str(seq) + ")";
      }
    }
    next_ord = ord + 1;
    if (!payload_ok(writer, seq, payload, size)) {
      ++s.bad_payloads;
      if (s.first_bad.empty()) {
        s.first_bad = "writer " + str(writer) + " seq " + str(seq) + ": payload of " +
                      str(static_cast<std::int64_t>(size)) + " bytes is not what was written";
      }
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE;
}

}  // namespace

std::vector<std::uint8_t> row_payload(std::int64_t writer, std::int64_t seq, std::size_t size) {
  size = std::max<std::size_t>(size, 8);
  std::vector<std::uint8_t> bytes(size);
  const auto n = static_cast<std::uint64_t>(size);
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  std::uint64_t state =
      static_cast<std::uint64_t>(writer) * 0x100000001b3ULL ^ static_cast<std::uint64_t>(seq);
  for (std::size_t i = 8; i < size; i += 8) {
    const std::uint64_t r = mix(state);
    for (std::size_t k = 0; k < 8 && i + k < size; ++k) {
      bytes[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
    }
  }
  return bytes;
}

bool payload_ok(std::int64_t writer, std::int64_t seq, const void* bytes, std::size_t size) {
  if (size < 8 || bytes == nullptr) return false;
  const std::vector<std::uint8_t> expected = row_payload(writer, seq, size);
  return std::memcmp(expected.data(), bytes, size) == 0;
}

namespace {

// Whether the table `rows` exists (a power loss may have taken the schema of a new database).
bool has_rows_table(Db& db) {
  sqlite3_stmt* st = nullptr;
  bool found = false;
  if (sqlite3_prepare_v2(db.handle, "SELECT 1 FROM sqlite_schema WHERE name = 'rows'", -1, &st,
                         nullptr) == SQLITE_OK) {
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

}  // namespace

Snapshot read_database(const std::string& path) {
  Snapshot s;
  if (!std::filesystem::exists(path)) {
    // A database created just before a power loss may be gone with its directory entry:
    // consistent, and empty.
    s.integrity_ok = true;
    s.integrity = "ok";
    return s;
  }
  Db db;
  if (sqlite3_open_v2(path.c_str(), &db.handle, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    s.integrity = "open failed: " + db.error();
    return s;
  }
  // Leave the evidence as found: closing as the last connection must not checkpoint the
  // recovered WAL into the database and delete it.
  sqlite3_db_config(db.handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
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
  if (has_rows_table(db) && !read_rows(db, s)) {
    s.integrity_ok = false;
    s.integrity = "reading rows: " + db.error();
  }
  run(db, "COMMIT");
  return s;
}

Verdict judge(const Snapshot& s, const std::vector<WriterLog>& logs) {
  Verdict v;
  v.integrity_ok = s.integrity_ok;
  v.integrity = s.integrity;
  v.order_gaps = s.order_gaps;
  v.bad_payloads = s.bad_payloads;
  if (!v.integrity_ok) problem(v, "integrity_check: " + v.integrity);
  if (!s.first_bad.empty()) problem(v, s.first_bad);
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
         " order_gaps=" + std::to_string(v.order_gaps) +
         " bad_payloads=" + std::to_string(v.bad_payloads) +
         (v.first_problem.empty() ? "" : " first problem: " + v.first_problem);
}

}  // namespace sluice::testing
