// Helpers of the replication tests: a database writing one numbered row per commit, reading
// the rows back, damaging replica files, and stalling the replica.
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::testing {

// A config replicating to `replica` quickly, with small checkpoints so the WAL restarts often.
inline Config replicated_config(const std::string& path, const std::string& replica) {
  Config c = Config::production();
  c.path = path;
  c.replica = replica;
  c.replica_interval_ms = 10;
  c.checkpoint_pages = 64;
  c.checkpoint_idle_ms = 20;
  return c;
}

inline void create_rows_table(Database& db) {
  db.execute("CREATE TABLE IF NOT EXISTS rows(k INTEGER PRIMARY KEY, body BLOB)");
}

// Row k, its own commit; every 16th carries 3 pages of data so a transaction spans frames.
inline void write_row(Database& db, std::int64_t k) {
  const int bytes = k % 16 == 0 ? 12'000 : 100;
  db.execute("INSERT INTO rows(k, body) VALUES (?, randomblob(?))", k, bytes);
}

inline std::vector<std::int64_t> row_keys(const std::string& path) {
  Connection c = Connection::open(path, OpenOptions::read_only());
  std::vector<std::int64_t> keys;
  auto q = c.query("SELECT k FROM rows ORDER BY k");
  while (q.next()) keys.push_back(q.get<std::int64_t>(0));
  return keys;
}

// True when keys are exactly 1..keys.size().
inline bool is_prefix(const std::vector<std::int64_t>& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] != static_cast<std::int64_t>(i + 1)) return false;
  }
  return true;
}

// The segment files of the newest generation, in order.
inline std::vector<std::filesystem::path> segment_files(const std::string& replica) {
  std::vector<std::filesystem::path> gens;
  std::vector<std::filesystem::path> segs;
  if (!std::filesystem::exists(replica + "/generations")) return segs;
  for (const auto& e : std::filesystem::directory_iterator(replica + "/generations")) {
    gens.push_back(e.path());
  }
  std::sort(gens.begin(), gens.end());
  if (gens.empty() || !std::filesystem::exists(gens.back() / "segments")) return segs;
  for (const auto& e : std::filesystem::directory_iterator(gens.back() / "segments")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path());  // not a put() in progress
  }
  std::sort(segs.begin(), segs.end());
  return segs;
}

// Makes the replica directory unwritable for the replicator, or gives it back: the directory and
// a plain file at `replica + "-stalled"` swap names in one step (renameat2 RENAME_EXCHANGE). A
// rename followed by creating the file would leave a moment in which a put recreates the
// directory, and the replica would never fail.
inline void swap_replica_with_a_file(const std::string& replica) {
  const std::string other = replica + "-stalled";
  if (!std::filesystem::exists(other)) std::ofstream(other) << "not a directory";
  if (::renameat2(AT_FDCWD, replica.c_str(), AT_FDCWD, other.c_str(), RENAME_EXCHANGE) != 0) {
    throw std::runtime_error("renameat2(RENAME_EXCHANGE) " + replica + ": " + std::strerror(errno));
  }
}

}  // namespace sluice::testing
