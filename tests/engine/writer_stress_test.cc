// Seeded stress test of the writer. Per seed, 4 clients issue a random mix of jobs by write() and
// submit(): good inserts, jobs that throw after inserting (JobFailed), duplicate keys (Constraint),
// 1 ms deadlines (some held past it behind a gate job: DeadlineExceeded, never ran), bursts past
// queue_capacity (Overloaded), checkpoint() of every mode. 2 readers check every snapshot (no row
// of a failing job; a job's 2 rows both visible or neither; every acked job visible). A closer
// thread calls close() at a random point while the clients keep submitting: later calls must fail
// with Closed, every Pending obtained before must complete (bounded waits). Then each job must
// have had exactly one outcome allowed for its kind, Stats must match what the clients saw, and
// the reopened file must hold exactly the successful jobs' rows (integrity_check ok). The readers
// stop before close() so their snapshot checks end cleanly; reads racing close() are covered by
// close_race_test.cc (this test found that they crashed).
//
// Seeds 1..12 by default; SLUICE_STRESS_SEEDS=N runs seeds 1..N, SLUICE_STRESS_SEED=S only S:
//   SLUICE_STRESS_SEEDS=300 build/release/tests/engine_tests --gtest_filter='WriterStress*'
// A seed fixes the configuration and each client's operations, not the thread interleaving.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <iterator>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "common/temp_dir.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

constexpr int kClients = 4;
constexpr int kReaders = 2;
constexpr int kOps = 300;     // operations per client
constexpr auto kBound = 60s;  // longest a run may wait for any job: expiry = a caller left waiting
constexpr auto kTiny = 1ms;   // deadline of the deadline jobs
constexpr auto kHeldFor = 3ms;  // how long a gate holds the writer past a held job's submission

// A job's id is (client + 1) * 100000 + seq * 10 + kind, so SQL can tell its kind: id % 10.
enum Kind : int { kGood = 1, kThrows, kDup, kTinyDeadline, kHeldDeadline, kBurst, kGate };
bool writes_rows(int kind) { return kind != kGate; }

struct JobRec {
  std::int64_t id = 0;
  int kind = 0;
  bool after_close = false;  // issued after close() returned: must be refused with Closed
  bool admission = false;    // the error came from admission (write() or submit() itself)
  int outcomes = 0;
  std::optional<ErrorCode> code;  // nullopt = success
  std::string what;               // the error's message, for the report of a wrong outcome
  std::atomic<bool> ran{false};
};

struct Run {
  Run(Database& d, const Config& c) : db(d), cfg(c) {}
  Database& db;
  const Config& cfg;
  std::atomic<bool> close_called{false}, close_returned{false}, stop_readers{false};
  std::atomic<std::int64_t> acked{0};  // successes seen by clients, of jobs that write rows
  std::latch readers_done{kReaders};
  std::atomic<int> progress[kClients] = {};  // operations done per client (relaxed: no ordering)
  std::atomic<std::uint32_t> progress_events{0};
  std::atomic<std::uint64_t> checkpoints[4] = {}, checkpoints_overloaded{0};
  std::deque<JobRec> jobs[kClients];
  const std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + kBound;
};

std::string verdict(const JobRec& r) {
  if (r.outcomes != 1) return std::to_string(r.outcomes) + " outcomes (-1000s: never completed)";
  const bool ran = r.ran.load();
  if (r.after_close && r.code != ErrorCode::Closed) return "issued after close(), not Closed";
  const bool may_succeed = r.kind != kThrows && r.kind != kDup && r.kind != kHeldDeadline;
  if (!r.code) return may_succeed && ran ? "" : "success is not allowed for this kind";
  const ErrorCode c = *r.code;
  if (c == ErrorCode::Overloaded || c == ErrorCode::Closed) {
    return r.admission && !ran ? "" : "refused at admission, yet ran or completed so";
  }
  if (r.admission) return "submit() threw " + std::string(to_string(c));
  const bool ok = (r.kind == kThrows && c == ErrorCode::JobFailed) ||
                  (r.kind == kDup && c == ErrorCode::Constraint) ||
                  ((r.kind == kTinyDeadline || r.kind == kHeldDeadline) &&
                   c == ErrorCode::DeadlineExceeded && !ran);
  return ok ? ""
            : "error " + std::string(to_string(c)) + " is not allowed for this kind: " + r.what;
}

class Client {
 public:
  Client(Run& run, int c, std::uint64_t seed) : run_(run), c_(c), rng_(seed) {}

  void operator()() {
    for (int op = 0; op < kOps; progress(++op)) {
      const int pick = static_cast<int>(rng_() % 100);
      if (pick < 70) {  // one job, by write() or submit(): 34% good, 12% each of the others
        const int kind = pick < 34 ? kGood : pick < 46 ? kThrows : pick < 58 ? kDup : kTinyDeadline;
        issue(next(kind), WriteOptions{kind == kTinyDeadline ? kTiny : 0ms}, rng_() % 2 == 0);
      } else if (pick < 73) {
        gate();
      } else if (pick < 78) {
        for (int i = 0; i < run_.cfg.queue_capacity + 4; ++i) issue(next(kBurst), {}, false);
      } else if (pick < 85) {  // PASSIVE half the time: the others hold writes while reads go on
        checkpoint(rng_() % 2 ? CheckpointMode::Passive
                              : static_cast<CheckpointMode>(1 + rng_() % 3));
      } else {
        drain();
      }
    }
    drain();
  }

 private:
  void progress(int ops) {  // relaxed: tells the closer, orders nothing
    run_.progress[c_].store(ops, std::memory_order_relaxed);
    run_.progress_events.fetch_add(1, std::memory_order_relaxed);
    run_.progress_events.notify_all();
  }

  JobRec& next(int kind) {
    JobRec& r = run_.jobs[c_].emplace_back();
    r.id = (c_ + 1) * 100000 + static_cast<std::int64_t>(run_.jobs[c_].size()) * 10 + kind;
    r.kind = kind;
    r.after_close = run_.close_returned.load(std::memory_order_acquire);
    return r;
  }

  void record(JobRec& r, std::optional<ErrorCode> code, bool admission, const char* what = "") {
    ++r.outcomes;
    r.code = code;
    r.what = what;
    r.admission = admission;
    if (!code && writes_rows(r.kind)) {
      run_.acked.fetch_add(1, std::memory_order_release);
    } else if (code == ErrorCode::Closed) {
      EXPECT_TRUE(run_.close_called.load(std::memory_order_acquire))
          << "job " << r.id << " refused with Closed before close() was called";
    }
  }

  void issue(JobRec& r, WriteOptions options, bool sync) {
    auto fn = [&r](Transaction& tx) -> int {
      r.ran.store(true, std::memory_order_relaxed);
      const std::string k = std::to_string(r.id);  // keys: "<id>a", "<id>b"
      tx.exec("INSERT INTO t(job, part, key) VALUES (?, 0, ?)", r.id, k + "a");
      if (r.kind == kDup) tx.exec("INSERT INTO t(job, part, key) VALUES (?, 1, 'taken')", r.id);
      tx.exec("INSERT INTO t(job, part, key) VALUES (?, 1, ?)", r.id, k + "b");
      if (r.kind == kThrows) throw std::runtime_error("stress job throws after inserting");
      return 2;
    };
    try {
      if (sync) {
        run_.db.write(fn, options);
        record(r, std::nullopt, false);
      } else {
        pending_.emplace_back(&r, run_.db.submit(fn, options));
      }
    } catch (const Error& e) {  // write(): admission refusals are Overloaded and Closed only
      const bool refused = e.code() == ErrorCode::Overloaded || e.code() == ErrorCode::Closed;
      record(r, e.code(), !sync || refused, e.what());
    }
  }

  // Holds the writer inside a job: a 1 ms job submitted meanwhile must expire unexecuted, and of a
  // burst of submissions past queue_capacity at most queue_capacity are admitted (each refusal
  // waits enqueue_timeout_ms, so the burst is smaller then). Waits only for time to pass.
  void gate() {
    auto entered = std::make_shared<std::promise<void>>();
    std::future<void> entered_f = entered->get_future();
    std::promise<void> open;
    std::shared_future<void> open_f = open.get_future().share();
    JobRec& g = next(kGate);
    try {
      pending_.emplace_back(&g, run_.db.submit([&g, entered, open_f](Transaction&) {
        g.ran.store(true, std::memory_order_relaxed);
        entered->set_value();
        EXPECT_EQ(open_f.wait_for(kBound), std::future_status::ready) << "gate never opened";
        return 0;
      }));
    } catch (const Error& e) {
      return record(g, e.code(), true, e.what());
    }
    if (entered_f.wait_until(run_.deadline) != std::future_status::ready) {
      ADD_FAILURE() << "gate job " << g.id << " never started";
      return open.set_value();
    }
    const std::size_t before = pending_.size();
    issue(next(kHeldDeadline), WriteOptions{kTiny}, false);
    const auto submitted = std::chrono::steady_clock::now();
    const int burst = run_.cfg.queue_capacity + (run_.cfg.enqueue_timeout_ms > 0 ? 1 : 4);
    for (int i = 0; i < burst; ++i) issue(next(kBurst), {}, false);
    EXPECT_LE(pending_.size() - before, static_cast<std::size_t>(run_.cfg.queue_capacity))
        << "more jobs admitted than queue_capacity while the writer was held";
    while (std::chrono::steady_clock::now() < submitted + kHeldFor) std::this_thread::yield();
    open.set_value();
  }

  void checkpoint(CheckpointMode mode) {
    const bool after_close = run_.close_returned.load(std::memory_order_acquire);
    try {
      run_.db.checkpoint(mode);
      EXPECT_FALSE(after_close) << "checkpoint() after close() succeeded";
      run_.checkpoints[static_cast<int>(mode)].fetch_add(1, std::memory_order_relaxed);
    } catch (const Error& e) {  // a control job: refused like any job, never failed otherwise
      const bool overloaded = e.code() == ErrorCode::Overloaded && !after_close;
      if (overloaded) run_.checkpoints_overloaded.fetch_add(1, std::memory_order_relaxed);
      EXPECT_TRUE(overloaded || (e.code() == ErrorCode::Closed &&
                                 run_.close_called.load(std::memory_order_acquire)))
          << e.what();
    }
  }

  void drain() {
    for (auto& [r, p] : pending_) {
      if (!p.wait_for(run_.deadline - std::chrono::steady_clock::now())) {
        ADD_FAILURE() << "job " << r->id << " still pending " << kBound.count()
                      << " s into the run";
        r->outcomes -= 1000;
        continue;
      }
      try {
        p.get();
        record(*r, std::nullopt, false);
      } catch (const Error& e) {
        record(*r, e.code(), false, e.what());
      }
    }
    pending_.clear();
  }

  Run& run_;
  const int c_;
  std::mt19937_64 rng_;
  std::vector<std::pair<JobRec*, Pending<int>>> pending_;
};

// Once every client has done `ops` operations: stops the readers (close() must not race reads),
// then closes while the clients keep submitting.
void closer(Run& run, int ops) {
  for (;;) {
    const std::uint32_t seen = run.progress_events.load(std::memory_order_relaxed);
    int least = kOps;
    for (const auto& p : run.progress) least = std::min(least, p.load(std::memory_order_relaxed));
    if (least >= ops) break;
    run.progress_events.wait(seen, std::memory_order_relaxed);
  }
  run.stop_readers.store(true, std::memory_order_release);
  run.readers_done.wait();
  const std::int64_t acked = run.acked.load(std::memory_order_acquire);
  EXPECT_GE(run.db.stats().jobs_ok, static_cast<std::uint64_t>(1 + acked));
  run.close_called.store(true, std::memory_order_release);
  run.db.close();
  run.close_returned.store(true, std::memory_order_release);
  EXPECT_FALSE(run.db.is_open());
  bool ran = false;
  auto job = [&ran](Transaction&) { ran = true; };
  const std::function<void()> calls[] = {
      [&] { run.db.write(job); }, [&] { (void)run.db.submit(job); }, [&] { run.db.checkpoint(); },
      [&] { run.db.read([](Connection&) {}); }};
  for (const auto& call : calls) {  // write, submit, checkpoint, read
    try {
      call();
      ADD_FAILURE() << "call after close() succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(to_string(e.code()), "closed") << e.what();
    }
  }
  EXPECT_FALSE(ran);
}

void reader(Run& run) {
  std::int64_t last_visible = 0;
  while (!run.stop_readers.load(std::memory_order_acquire)) {
    const std::int64_t acked = run.acked.load(std::memory_order_acquire);
    std::int64_t torn = 0, failed = 0, visible = 0;
    try {
      std::tie(torn, failed, visible) = run.db.read([](Connection& c) {
        auto q = c.query(  // kinds 1, 4, 6 can succeed (see Kind)
            "SELECT (SELECT count(*) FROM (SELECT job FROM t WHERE job > 0 GROUP BY job "
            "HAVING count(*) != 2)), (SELECT count(*) FROM t WHERE job > 0 AND job % 10 NOT IN "
            "(1, 4, 6)), (SELECT count(DISTINCT job) FROM t WHERE job > 0)");
        q.next();
        return std::tuple{q.get<std::int64_t>(0), q.get<std::int64_t>(1), q.get<std::int64_t>(2)};
      });
    } catch (const Error& e) {
      ADD_FAILURE() << "read failed: " << e.what();
      break;
    }
    if (torn != 0 || failed != 0 || visible < acked || visible < last_visible) {
      ADD_FAILURE() << "bad snapshot: " << torn << " jobs with 1 of their 2 rows, " << failed
                    << " rows of jobs that cannot succeed, " << visible << " jobs visible but "
                    << acked << " acked before the read began, " << last_visible
                    << " visible in the previous snapshot";
      break;  // one report per reader is enough
    }
    last_visible = visible;
  }
  run.readers_done.count_down();
}

using Coverage = std::map<std::string, std::int64_t>;  // outcome -> jobs, over every seed

void run_seed(std::uint64_t seed, Coverage& cov) {
  std::mt19937_64 rng(seed);
  TempDir dir;
  const std::string path = dir.file("stress.db");
  Config cfg;
  cfg.pool_size = kReaders;
  cfg.queue_capacity = 8 << rng() % 3;  // 8, 16, 32
  cfg.max_batch_jobs = 1 + rng() % 8;   // 1 = no savepoints
  cfg.commit_delay_us = rng() % 3 ? 0 : 200;
  cfg.enqueue_timeout_ms = rng() % 2 ? 5 : 0;  // refuse a full queue at once, or wait a little
  cfg.checkpoint_pages = 64;  // the background checkpointer runs during the test too
  cfg.checkpoint_idle_ms = 20;
  // FULL/RESTART/TRUNCATE wait this long for the readers (constant here) and hold every write
  // meanwhile; the default 5 s would only slow the test down.
  cfg.busy_timeout_ms = 250;
  cfg.path = path;
  SCOPED_TRACE("config: " + cfg.to_json());
  Database db = Database::open(cfg);
  db.write([](Transaction& tx) {
    tx.exec(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, job INTEGER NOT NULL, part INTEGER NOT NULL, "
        "key TEXT NOT NULL UNIQUE)");
    tx.exec("INSERT INTO t(job, part, key) VALUES (0, 0, 'taken')");
  });
  Run run(db, cfg);
  const int close_after = kOps / 10 + static_cast<int>(rng() % (kOps * 8 / 10));
  const std::string trace = "seed " + std::to_string(seed);
  std::vector<std::future<void>> threads;
  auto spawn = [&](const std::string& who, std::function<void()> fn) {
    threads.push_back(std::async(std::launch::async, [&trace, who, fn] {
      SCOPED_TRACE(trace + ", " + who);  // gtest traces are per thread
      fn();
    }));
  };
  for (int i = 0; i < kReaders; ++i) spawn("reader " + std::to_string(i), [&] { reader(run); });
  for (int c = 0; c < kClients; ++c) {
    spawn("client " + std::to_string(c), [&run, c, s = rng()] { Client(run, c, s)(); });
  }
  spawn("closer", [&] { closer(run, close_after); });
  for (auto& t : threads) {  // a write() or close() that never returns cannot be bounded
    if (t.wait_until(run.deadline + 30s) != std::future_status::ready) {
      ADD_FAILURE() << "a caller (write(), close(), a read) is still blocked; aborting";
      std::fflush(stdout);
      std::abort();
    }
  }
  ASSERT_FALSE(db.is_open());

  // Every job: one outcome, allowed for its kind; tally what the clients saw.
  std::map<std::int64_t, std::int64_t> want{{0, 1}};  // job -> rows after reopen (0: 'taken')
  std::uint64_t ok = 0, writer_failed = 0, overloaded = 0, deadline = 0, bad = 0;
  for (const auto& jobs : run.jobs) {
    for (const JobRec& r : jobs) {
      if (std::string why = verdict(r); !why.empty() && ++bad <= 5) {
        ADD_FAILURE() << "job " << r.id << " (kind " << r.kind << "): " << why;
      }
      const ErrorCode c = r.code.value_or(ErrorCode::Internal);
      cov[r.code ? std::string(to_string(c)) : "ok"]++;
      if (!r.code) ++ok;
      if (r.code && c != ErrorCode::Overloaded && c != ErrorCode::Closed) ++writer_failed;
      overloaded += c == ErrorCode::Overloaded;
      deadline += c == ErrorCode::DeadlineExceeded;
      if (!r.code && writes_rows(r.kind)) want[r.id] = 2;
    }
  }

  EXPECT_EQ(bad, 0u) << "jobs with a wrong outcome (first 5 above)";
  Stats s = db.stats();
  EXPECT_EQ(s.jobs_ok, 1 + ok);  // + the schema job
  EXPECT_EQ(s.jobs_failed, writer_failed);
  EXPECT_EQ(s.deadline_exceeded, deadline);
  EXPECT_EQ(s.queue_depth, 0u);
  // Every acknowledged job was in exactly one committed batch (checkpoints are not batches).
  EXPECT_EQ(s.batch_jobs.count, s.commits);
  EXPECT_EQ(std::llround(s.batch_jobs.mean * static_cast<double>(s.batch_jobs.count)),
            static_cast<long long>(s.jobs_ok));
  EXPECT_EQ(s.overloaded, overloaded + run.checkpoints_overloaded.load());
  EXPECT_GE(s.checkpoints_passive, run.checkpoints[0].load());  // the checkpointer runs some too
  EXPECT_EQ(s.checkpoints_full, run.checkpoints[1].load());
  EXPECT_GE(s.checkpoints_restart, run.checkpoints[2].load());
  EXPECT_GE(s.checkpoints_truncate, run.checkpoints[3].load() + 1);  // + close()'s

  // The reopened file holds exactly the successful jobs' rows.
  Database again = Database::open(cfg);
  auto have = again.read([](Connection& c) {
    std::map<std::int64_t, std::int64_t> out;
    for (auto q = c.query("SELECT job, count(*) FROM t GROUP BY job"); q.next();)
      out[q.get<std::int64_t>(0)] = q.get<std::int64_t>(1);
    return out;
  });
  EXPECT_EQ(again.read([](Connection& c) {
    return c.query("PRAGMA integrity_check").scalar<std::string>();
  }),
            "ok");
  std::vector<std::pair<std::int64_t, std::int64_t>> diff;  // (job, rows) in only one of them
  std::set_symmetric_difference(have.begin(), have.end(), want.begin(), want.end(),
                                std::back_inserter(diff));
  EXPECT_TRUE(diff.empty()) << "rows after reopen differ from the outcomes (" << diff.size()
                            << " entries), e.g. job " << diff[0].first << " (kind "
                            << diff[0].first % 10 << "): " << have[diff[0].first]
                            << " rows, expected " << want[diff[0].first];
}

std::vector<std::uint64_t> seeds() {
  if (const char* one = std::getenv("SLUICE_STRESS_SEED")) return {std::stoull(one)};
  const char* n = std::getenv("SLUICE_STRESS_SEEDS");
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = 1; s <= (n != nullptr ? std::stoull(n) : 12); ++s) out.push_back(s);
  return out;
}

TEST(WriterStress, SeededClientsReadersCheckpointsAndCloseKeepEveryInvariant) {
  Coverage cov;
  const std::vector<std::uint64_t> all = seeds();
  for (std::uint64_t seed : all) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: SLUICE_STRESS_SEED=" + std::to_string(seed) + ")");
    run_seed(seed, cov);
    if (::testing::Test::HasFailure()) return;
  }
  // The mix really exercised every outcome (certain over a few seeds, not over one).
  if (all.size() >= 4) {
    for (const char* name :
         {"ok", "job_failed", "constraint", "deadline_exceeded", "overloaded", "closed"}) {
      EXPECT_GT(cov[name], 0) << "no job ended as " << name;
    }
  }
  std::string outcomes;
  for (const auto& [name, jobs] : cov) outcomes += " " + name + "=" + std::to_string(jobs);
  std::printf("writer-stress seeds=%zu violations=%d jobs:%s\n", all.size(),
              ::testing::Test::HasFailure() ? 1 : 0, outcomes.c_str());
}

}  // namespace
}  // namespace sluice
