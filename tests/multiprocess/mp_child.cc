// mp_child: the other processes of the multi-process tests (tests/multiprocess). Each mode opens
// its own Database (or, for `foreign`, a plain SQLite connection) and talks to the test over
// stdin/stdout lines. The table is t(proc, thread, i, PRIMARY KEY(proc, thread, i)).
//
//   write DB PROC THREADS ROWS [tuned]
//                                print "ready", wait for a line, then THREADS threads insert
//                                ROWS rows each; print "done MS MAX_US JOBS_OK JOBS_FAILED
//                                BUSY_TIMEOUTS" (elapsed, slowest insert, then the Database's
//                                counters; 0 0 0 when tuned) and exit 0. `tuned`: no Sluice — each
//                                thread its own connection, BEGIN IMMEDIATE per row, busy_timeout
//                                5000 (the seeds' tuned setup), for comparison
//   stream DB PROC MS            insert rows as fast as possible for MS ms; print "done N"
//   until DB PROC                print "ready", insert rows as fast as possible until a line
//                                arrives on stdin; print "done N"
//   hold DB                      inside a write job (so holding the writer lock, mid-batch):
//                                insert a row of proc -2, print "holding", block until killed
//   lease DB                     print "active" once this process holds the checkpointer lease,
//                                then wait for stdin to close
//   ring-crash DB POINT          arm the crash point POINT (engine/crash_points.h) for its first
//                                hit, then execute() one row of proc -3 through the job ring:
//                                the process's leader dies there (SIGKILL); prints "survived"
//                                and exits 1 if it does not
//   foreign DB ROWS              plain SQLite (BEGIN IMMEDIATE, busy_timeout 5000), no Sluice:
//                                ROWS one-row transactions with proc -1; print "done"
//
// Config comes from Config::from_env (SLUICE_* variables), the path from the argument.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/crash_points.h"
#include "sluice/sluice.h"

namespace {

using sluice::Config;
using sluice::Database;

void say(const std::string& s) {
  std::cout << s << std::endl;  // flushes: the test waits for it
}

Database open(const std::string& path) {
  Config c = Config::from_env();
  c.path = path;
  return Database::open(c);
}

constexpr const char* kInsert = "INSERT INTO t(proc, thread, i) VALUES (?, ?, ?)";

// One row per call, timed; returns the slowest insert (µs).
template <class Insert>
std::int64_t timed_rows(int rows, Insert insert) {
  std::int64_t worst = 0;
  for (int i = 0; i < rows; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    insert(i);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    worst = std::max<std::int64_t>(worst, us);
  }
  return worst;
}

int write_mode(const std::string& path, int proc, int threads, int rows, bool tuned) {
  std::optional<Database> db;
  if (!tuned) db.emplace(open(path));
  say("ready");
  std::string go;
  std::getline(std::cin, go);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  std::vector<std::int64_t> worst(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      if (!tuned) {
        worst[t] = timed_rows(rows, [&](int i) { db->execute(kInsert, proc, t, i); });
        return;
      }
      sluice::Connection c = sluice::Connection::open(path);
      c.pragma("busy_timeout=5000");
      c.pragma("synchronous=NORMAL");
      worst[t] = timed_rows(rows, [&](int i) {
        c.exec("BEGIN IMMEDIATE");
        c.exec(kInsert, proc, t, i);
        c.exec("COMMIT");
      });
    });
  }
  for (auto& t : ts) t.join();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  const sluice::Stats st = tuned ? sluice::Stats{} : db->stats();
  say("done " + std::to_string(ms) + " " +
      std::to_string(*std::max_element(worst.begin(), worst.end())) + " " +
      std::to_string(st.jobs_ok) + " " + std::to_string(st.jobs_failed) + " " +
      std::to_string(st.busy_timeouts));
  return 0;
}

int stream_mode(const std::string& path, int proc, int ms) {
  Database db = open(path);
  say("ready");
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  int i = 0;
  while (std::chrono::steady_clock::now() < end) db.execute(kInsert, proc, 0, i++);
  say("done " + std::to_string(i));
  return 0;
}

int until_mode(const std::string& path, int proc) {
  Database db = open(path);
  say("ready");
  int i = 0;
  for (;;) {
    pollfd in{0, POLLIN, 0};
    if ((i & 63) == 0 && poll(&in, 1, 0) > 0) break;
    db.execute(kInsert, proc, 0, i++);
  }
  say("done " + std::to_string(i));
  return 0;
}

int hold_mode(const std::string& path) {
  Database db = open(path);
  db.write([](sluice::Transaction& tx) {
    tx.exec(kInsert, -2, 0, 0);
    say("holding");
    for (;;) pause();
  });
  return 1;
}

int lease_mode(const std::string& path) {
  Database db = open(path);
  while (!db.stats().checkpointer_active) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  say("active");
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}

int ring_crash_mode(const std::string& path, const std::string& point) {
  Database db = open(path);
  const auto p = sluice::engine::crash_point_from_string(point);
  if (!p) throw std::invalid_argument("unknown crash point " + point);
  sluice::engine::arm_crash_point(*p, 1);
  db.execute(kInsert, -3, 0, 0);
  say("survived");
  return 1;
}

int foreign_mode(const std::string& path, int rows) {
  sluice::Connection c = sluice::Connection::open(path);
  c.pragma("busy_timeout=5000");
  for (int i = 0; i < rows; ++i) {
    c.exec("BEGIN IMMEDIATE");
    c.exec(kInsert, -1, 0, i);
    c.exec("COMMIT");
  }
  say("done");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if ((a.size() == 5 || (a.size() == 6 && a[5] == "tuned")) && a[0] == "write") {
      return write_mode(a[1], std::stoi(a[2]), std::stoi(a[3]), std::stoi(a[4]), a.size() == 6);
    }
    if (a.size() == 4 && a[0] == "stream")
      return stream_mode(a[1], std::stoi(a[2]), std::stoi(a[3]));
    if (a.size() == 3 && a[0] == "until") return until_mode(a[1], std::stoi(a[2]));
    if (a.size() == 2 && a[0] == "hold") return hold_mode(a[1]);
    if (a.size() == 2 && a[0] == "lease") return lease_mode(a[1]);
    if (a.size() == 3 && a[0] == "ring-crash") return ring_crash_mode(a[1], a[2]);
    if (a.size() == 3 && a[0] == "foreign") return foreign_mode(a[1], std::stoi(a[2]));
  } catch (const std::exception& e) {
    std::cerr << "mp_child: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "mp_child: bad arguments\n";
  return 3;
}
