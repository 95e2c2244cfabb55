// The write path: group commit, failure isolation, backpressure, deadlines, re-entrancy.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "engine/gate.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::Gate;
using testing::TempDir;

Database open_with_table(const TempDir& dir, Config config = Config::production()) {
  config.pool_size = 2;
  Database db = Database::open(dir.file("t.db"), config);
  db.write([](Transaction& tx) {
    tx.exec("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
  });
  return db;
}

std::int64_t count_rows(Database& db) {
  return db.read(
      [](Connection& c) { return c.query("SELECT count(*) FROM kv").scalar<std::int64_t>(); });
}

// Sum of the committed batch sizes (Summary keeps the mean; the sum is exact below 2^53).
std::uint64_t batched_jobs(const Stats& s) {
  return static_cast<std::uint64_t>(
      std::llround(s.batch_jobs.mean * static_cast<double>(s.batch_jobs.count)));
}

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::Internal;
}

TEST(Writer, ManyThreadsEachGetTheirOwnResult) {
  TempDir dir;
  Database db = open_with_table(dir);
  constexpr int kThreads = 8;
  constexpr int kJobs = 400;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kJobs; ++i) {
        std::string v = std::to_string(t) + ":" + std::to_string(i);
        std::int64_t id = db.write([&](Transaction& tx) {
          tx.exec("INSERT INTO kv(v) VALUES (?)", v);
          return tx.last_insert_rowid();
        });
        // The id returned must be the row this caller wrote.
        std::string got = db.read([&](Connection& c) {
          return c.query("SELECT v FROM kv WHERE k = ?", id).scalar<std::string>();
        });
        if (got != v) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(count_rows(db), kThreads * kJobs);
  Stats s = db.stats();
  EXPECT_EQ(s.jobs_ok, static_cast<std::uint64_t>(kThreads * kJobs + 1));
  EXPECT_EQ(s.jobs_failed, 0u);
  // Every acknowledged job was in exactly one committed batch: the batch sizes add up to jobs_ok.
  EXPECT_EQ(s.batch_jobs.count, s.commits);
  EXPECT_EQ(batched_jobs(s), s.jobs_ok);
}

TEST(Writer, JobsQueuedTogetherCommitInOneTransaction) {
  TempDir dir;
  Database db = open_with_table(dir);
  constexpr int kJobs = 50;
  const Stats before = db.stats();
  std::vector<Pending<int>> pending;
  {
    Gate gate(db);  // everything submitted meanwhile is queued when the next batch begins
    for (int i = 0; i < kJobs; ++i) {
      pending.push_back(db.submit([i](Transaction& tx) {
        return tx.exec("INSERT INTO kv(v) VALUES (?)", "g" + std::to_string(i));
      }));
    }
  }
  for (auto& p : pending) EXPECT_EQ(p.get(), 1);
  const Stats after = db.stats();
  // One commit for the gate's job, one for the fifty: group commit, not one commit per job.
  EXPECT_EQ(after.commits - before.commits, 2u);
  EXPECT_EQ(after.jobs_ok - before.jobs_ok, static_cast<std::uint64_t>(kJobs + 1));
  EXPECT_EQ(after.batch_jobs.max, static_cast<std::uint64_t>(kJobs));
  EXPECT_EQ(count_rows(db), kJobs);
}

TEST(Writer, FailingJobsFailAloneInTheirBatch) {
  TempDir dir;
  Database db = open_with_table(dir);
  db.execute("INSERT INTO kv(v) VALUES ('taken')");
  std::uint64_t commits_before = db.stats().commits;

  Gate gate(db);
  auto good1 = db.submit([](Transaction& tx) { return tx.exec("INSERT INTO kv(v) VALUES ('a')"); });
  auto throws = db.submit([](Transaction& tx) -> int {
    tx.exec("INSERT INTO kv(v) VALUES ('thrown-away')");
    throw std::runtime_error("boom");
  });
  auto violates = db.submit([](Transaction& tx) {
    tx.exec("INSERT INTO kv(v) VALUES ('b')");
    return tx.exec("INSERT INTO kv(v) VALUES ('taken')");  // UNIQUE violation
  });
  auto controls = db.submit([](Transaction& tx) { return tx.exec("COMMIT"); });
  auto good2 = db.submit([](Transaction& tx) { return tx.exec("INSERT INTO kv(v) VALUES ('c')"); });
  gate.open();

  EXPECT_EQ(good1.get(), 1);
  EXPECT_EQ(good2.get(), 1);
  try {
    throws.get();
    ADD_FAILURE() << "expected JobFailed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::JobFailed);
    EXPECT_NE(std::string(e.what()).find("boom"), std::string::npos);
  }
  try {
    violates.get();
    ADD_FAILURE() << "expected Constraint";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Constraint);
    EXPECT_EQ(e.sqlite_code(), 2067);  // SQLITE_CONSTRAINT_UNIQUE
    EXPECT_NE(std::string(e.what()).find("INSERT INTO kv"), std::string::npos);
  }
  EXPECT_EQ(code_of([&] { controls.get(); }), ErrorCode::InvalidArgument);

  auto values = db.read([](Connection& c) {
    std::vector<std::string> out;
    for (auto q = c.query("SELECT v FROM kv ORDER BY k"); q.next();)
      out.push_back(q.get<std::string>(0));
    return out;
  });
  EXPECT_EQ(values, (std::vector<std::string>{"taken", "a", "c"}));
  // The gate's own job and the five jobs: one commit for the gate, one for the batch of five.
  EXPECT_EQ(db.stats().commits, commits_before + 2);
}

TEST(Writer, AckImpliesVisibilityFromAnotherConnection) {
  TempDir dir;
  Database db = open_with_table(dir);
  Connection other = Connection::open(dir.file("t.db"), OpenOptions::read_only());
  for (int i = 0; i < 50; ++i) {
    std::int64_t id =
        db.execute("INSERT INTO kv(v) VALUES (?)", "row" + std::to_string(i)).last_insert_rowid;
    EXPECT_EQ(other.query("SELECT count(*) FROM kv WHERE k = ?", id).scalar<int>(), 1);
    // Read-your-writes through the pool too.
    EXPECT_EQ(db.read([&](Connection& c) {
      return c.query("SELECT count(*) FROM kv WHERE k = ?", id).scalar<int>();
    }),
              1);
  }
}

TEST(Writer, FullQueueAnswersOverloadedAtOnce) {
  TempDir dir;
  Config cfg;
  cfg.queue_capacity = 4;
  Database db = open_with_table(dir, cfg);
  Gate gate(db);
  std::vector<Pending<int>> accepted;
  for (int i = 0; i < 4; ++i) {
    accepted.push_back(db.submit([i](Transaction& tx) {
      return tx.exec("INSERT INTO kv(v) VALUES (?)", "q" + std::to_string(i));
    }));
  }
  std::atomic<bool> ran{false};
  EXPECT_EQ(code_of([&] { db.submit([&](Transaction&) { ran = true; }); }), ErrorCode::Overloaded);
  EXPECT_EQ(code_of([&] { db.write([&](Transaction&) { ran = true; }); }), ErrorCode::Overloaded);
  EXPECT_EQ(db.stats().overloaded, 2u);
  gate.open();
  for (auto& p : accepted) EXPECT_EQ(p.get(), 1);
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(count_rows(db), 4);
}

TEST(Writer, EnqueueTimeoutWaitsForSpaceThenAnswersOverloaded) {
  TempDir dir;
  Config cfg;
  cfg.queue_capacity = 1;
  cfg.enqueue_timeout_ms = 100;
  Database db = open_with_table(dir, cfg);
  Gate gate(db);
  auto queued =
      db.submit([](Transaction& tx) { return tx.exec("INSERT INTO kv(v) VALUES ('a')"); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of([&] { db.execute("INSERT INTO kv(v) VALUES ('b')"); }), ErrorCode::Overloaded);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(db.stats().enqueue_waiters, 0u);
  EXPECT_EQ(db.stats().overloaded, 1u);
  gate.open();
  EXPECT_EQ(queued.get(), 1);
  EXPECT_EQ(count_rows(db), 1);
}

TEST(Writer, SubmissionWaitingForSpaceGetsItWhenTheWriterTakesJobs) {
  TempDir dir;
  Config cfg;
  cfg.queue_capacity = 1;
  cfg.enqueue_timeout_ms = 60000;  // never reached: the gate opens once the wait has begun
  Database db = open_with_table(dir, cfg);
  Pending<int> queued, waited;
  {
    Gate gate(db);
    queued = db.submit([](Transaction& tx) { return tx.exec("INSERT INTO kv(v) VALUES ('a')"); });
    EXPECT_EQ(db.stats().enqueue_waiters, 0u);
    std::thread submitter([&] {
      waited = db.submit([](Transaction& tx) { return tx.exec("INSERT INTO kv(v) VALUES ('c')"); });
    });
    // Open the gate only once the submitter is counted as waiting: the wait path is taken.
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (db.stats().enqueue_waiters != 1 && std::chrono::steady_clock::now() < limit)
      std::this_thread::yield();
    EXPECT_EQ(db.stats().enqueue_waiters, 1u) << "the submitter never waited for space";
    gate.open();
    submitter.join();
  }
  EXPECT_EQ(db.stats().enqueue_waiters, 0u);
  EXPECT_EQ(queued.get(), 1);
  EXPECT_EQ(waited.get(), 1);
  EXPECT_EQ(db.stats().overloaded, 0u);
  EXPECT_EQ(count_rows(db), 2);
}

TEST(Writer, JobPastItsDeadlineNeverRuns) {
  TempDir dir;
  Database db = open_with_table(dir);
  std::atomic<bool> ran{false};
  Pending<void> late;
  {
    Gate gate(db);
    late = db.submit(
        [&](Transaction& tx) {
          ran = true;
          tx.exec("INSERT INTO kv(v) VALUES ('late')");
        },
        WriteOptions{std::chrono::milliseconds(1)});
    // Let the deadline pass while the writer is held (waiting for time itself, not for a thread).
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
    while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  }
  EXPECT_EQ(code_of([&] { late.get(); }), ErrorCode::DeadlineExceeded);
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(count_rows(db), 0);
  EXPECT_EQ(db.stats().deadline_exceeded, 1u);
}

TEST(Writer, CloseDrainsEverythingAccepted) {
  TempDir dir;
  std::vector<Pending<int>> pending;
  {
    Database db = open_with_table(dir);
    {
      Gate gate(db);
      for (int i = 0; i < 2000; ++i) {
        pending.push_back(db.submit([i](Transaction& tx) {
          return tx.exec("INSERT INTO kv(v) VALUES (?)", "d" + std::to_string(i));
        }));
      }
    }
    db.close();
    EXPECT_FALSE(db.is_open());
    EXPECT_EQ(code_of([&] { db.execute("INSERT INTO kv(v) VALUES ('after')"); }),
              ErrorCode::Closed);
    EXPECT_EQ(code_of([&] { db.read([](Connection&) {}); }), ErrorCode::Closed);
  }
  for (auto& p : pending) {
    ASSERT_TRUE(p.ready());
    EXPECT_EQ(p.get(), 1);
  }
  Database again = Database::open(dir.file("t.db"));
  EXPECT_EQ(count_rows(again), 2000);
}

TEST(Writer, DroppedPendingStillCommits) {
  TempDir dir;
  Database db = open_with_table(dir);
  {
    (void)db.submit(
        [](Transaction& tx) { tx.exec("INSERT INTO kv(v) VALUES ('fire-and-forget')"); });
  }
  db.execute("INSERT INTO kv(v) VALUES ('after')");  // FIFO: the dropped job committed before
  EXPECT_EQ(count_rows(db), 2);
}

TEST(Writer, ReentrantCallFailsClearly) {
  TempDir dir;
  Database db = open_with_table(dir);
  std::string message;
  ErrorCode write_code = db.write([&](Transaction&) {
    try {
      db.execute("INSERT INTO kv(v) VALUES ('inner')");
    } catch (const Error& e) {
      message = e.what();
      return e.code();
    }
    return ErrorCode::Internal;
  });
  EXPECT_EQ(write_code, ErrorCode::Reentrant);
  EXPECT_NE(message.find("its own Database"), std::string::npos);
  ErrorCode read_code = db.write([&](Transaction&) {
    try {
      db.read([](Connection&) {});
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Internal;
  });
  EXPECT_EQ(read_code, ErrorCode::Reentrant);
}

TEST(Writer, DeclarativeExecute) {
  TempDir dir;
  Database db = open_with_table(dir);
  ExecResult r = db.execute("INSERT INTO kv(v) VALUES (?)", "x");
  EXPECT_EQ(r.changes, 1);
  EXPECT_EQ(r.last_insert_rowid, 1);
  ExecResult r2 = db.execute_values("INSERT INTO kv(k, v) VALUES (?, ?)",
                                    {Value{std::int64_t{10}}, Value{std::string("y")}});
  EXPECT_EQ(r2.last_insert_rowid, 10);
  EXPECT_EQ(code_of([&] { db.execute("INSERT INTO kv(v) VALUES (?)", "x"); }),
            ErrorCode::Constraint);
  EXPECT_EQ(code_of([&] { db.execute("INSERT INTO nosuch VALUES (1)"); }), ErrorCode::Sql);
  EXPECT_EQ(code_of([&] { db.execute("INSERT INTO kv(v) VALUES (?)"); }),
            ErrorCode::InvalidArgument);
}

// The write waits (busy retries) while a foreign writer holds the lock and commits once it lets
// go; giving up with Busy past busy_timeout_ms is the next test.
TEST(Writer, ForeignWriterIsWaitedForAndTheWriteCommitsWhenItLetsGo) {
  TempDir dir;
  Config cfg;
  cfg.busy_timeout_ms = 5000;
  Database db = open_with_table(dir, cfg);
  Connection foreign = Connection::open(dir.file("t.db"));
  foreign.exec("BEGIN IMMEDIATE");
  auto pending =
      db.submit([](Transaction& tx) { return tx.exec("INSERT INTO kv(v) VALUES ('w')"); });
  // Wait (bounded) until the writer has met the foreign lock, then let go of it.
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (db.stats().busy_retries == 0 && std::chrono::steady_clock::now() < limit)
    std::this_thread::yield();
  ASSERT_GT(db.stats().busy_retries, 0u);
  EXPECT_FALSE(pending.ready()) << "committed while the foreign writer held the lock";
  foreign.exec("COMMIT");
  EXPECT_EQ(pending.get(), 1);
  EXPECT_EQ(db.stats().busy_timeouts, 0u);
}

TEST(Writer, ForeignWriterPastBusyTimeoutFailsWithBusy) {
  TempDir dir;
  Config cfg;
  cfg.busy_timeout_ms = 30;
  // No checkpointer thread: its tail takes the writer lock, and a tail delayed past 30 ms on a
  // loaded machine made the write time out on that lock instead of on the foreign writer.
  cfg.commit_autocheckpoint_pages = 10'000'000;
  Database db = open_with_table(dir, cfg);
  Connection foreign = Connection::open(dir.file("t.db"));
  foreign.exec("BEGIN IMMEDIATE");
  EXPECT_EQ(code_of([&] { db.execute("INSERT INTO kv(v) VALUES ('w')"); }), ErrorCode::Busy);
  EXPECT_EQ(db.stats().busy_timeouts, 1u);
  foreign.exec("ROLLBACK");
  EXPECT_EQ(db.execute("INSERT INTO kv(v) VALUES ('w')").changes, 1);
}

}  // namespace
}  // namespace sluice
