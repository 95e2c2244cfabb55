#include "engine/pragmas.h"

#include <chrono>
#include <random>
#include <string>
#include <thread>

namespace sluice::engine {
namespace {

struct Wanted {
  std::string name;
  std::string set_value;    // what we write after "PRAGMA name="
  std::string expect_back;  // what reading it back must give
};

std::vector<Wanted> wanted_for(const Config& c, Role role) {
  std::vector<Wanted> w;
  const std::string cache = std::to_string(-c.cache_size_kib);  // negative = KiB
  if (role == Role::Writer) {
    // While opening, wait for other connections like any SQLite client: switching a fresh file
    // to WAL needs an exclusive lock, and N processes starting together (gunicorn workers) all
    // try at once. Set to 0 below, once the connection is open.
    w.push_back(
        {"busy_timeout", std::to_string(c.busy_timeout_ms), std::to_string(c.busy_timeout_ms)});
    w.push_back({"journal_mode", c.wal ? "WAL" : "DELETE", c.wal ? "wal" : "delete"});
    w.push_back({"synchronous", std::to_string(static_cast<int>(c.synchronous)),
                 std::to_string(static_cast<int>(c.synchronous))});
    // Sluice retries BEGIN IMMEDIATE itself (jittered backoff up to busy_timeout_ms), so the
    // writer connection must not also sleep inside SQLite's busy handler.
    w.push_back({"busy_timeout", "0", "0"});
    // Commits never checkpoint; the engine does (after the commit, see Writer).
    w.push_back({"wal_autocheckpoint", "0", "0"});
    w.push_back({"journal_size_limit", std::to_string(c.journal_size_limit_bytes),
                 std::to_string(c.journal_size_limit_bytes)});
    w.push_back({"foreign_keys", c.foreign_keys ? "1" : "0", c.foreign_keys ? "1" : "0"});
  } else {
    w.push_back(
        {"busy_timeout", std::to_string(c.busy_timeout_ms), std::to_string(c.busy_timeout_ms)});
  }
  w.push_back({"cache_size", cache, cache});
  w.push_back({"mmap_size", std::to_string(c.mmap_size_bytes), std::to_string(c.mmap_size_bytes)});
  w.push_back({"temp_store", std::to_string(static_cast<int>(c.temp_store)),
               std::to_string(static_cast<int>(c.temp_store))});
  return w;
}

// Sets a pragma, retrying while another connection holds the lock it needs. The busy handler
// (busy_timeout, set first) covers most waits, but SQLite skips it when two connections both
// hold SHARED and both want EXCLUSIVE — exactly two processes switching a fresh file to WAL at
// once — and returns SQLITE_BUSY at once to one of them. Retried with jittered backoff (1–20 ms)
// until `timeout_ms`.
void set_with_retry(Connection& conn, const std::string& assignment, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::minstd_rand rng(std::random_device{}());
  for (int delay_ms = 1;; delay_ms = std::min(delay_ms * 2, 20)) {
    try {
      conn.pragma(assignment);
      return;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Busy || std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<int>(delay_ms * 500, delay_ms * 1000)(rng)));
  }
}

}  // namespace

PragmaReport apply_pragmas(Connection& conn, const Config& config, Role role) {
  PragmaReport report;
  for (const Wanted& w : wanted_for(config, role)) {
    try {
      set_with_retry(conn, w.name + "=" + w.set_value, config.busy_timeout_ms);
      std::string got = conn.pragma(w.name);
      report.effective[w.name] = got;
      if (got != w.expect_back) {
        report.mismatches.push_back("PRAGMA " + w.name + " on '" + conn.path() + "': asked for " +
                                    w.expect_back + ", got '" + got + "'");
      }
    } catch (const Error& e) {
      throw Error(e.code(), "opening '" + conn.path() + "': " + e.what(), e.sqlite_code());
    }
  }
  return report;
}

}  // namespace sluice::engine
