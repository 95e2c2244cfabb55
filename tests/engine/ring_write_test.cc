// Declarative writes through the shared job ring (coordinate_processes): results and errors come
// back as from a write job; oversized jobs run in the process's own turn; the writer-lock holder
// commits the jobs of another attachment in its own transaction; a job no leader takes before
// its deadline never runs.
#include <gtest/gtest.h>

#include <thread>

#include "common/eventually.h"
#include "common/temp_dir.h"
#include "coord/job_ring.h"
#include "coord/side_file.h"
#include "coord/side_file_layout.h"
#include "coord/writer_lock.h"
#include "engine/clock.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::eventually;
using testing::TempDir;

Database open_db(const std::string& path, bool coordinate = true) {
  Config c = Config::production();
  c.path = path;
  c.coordinate_processes = coordinate;
  return Database::open(c);
}

std::int64_t count(Database& db, const std::string& where = "1") {
  return db.read([&](Connection& c) {
    return c.query("SELECT count(*) FROM t WHERE " + where).one()->get<std::int64_t>(0);
  });
}

int published(coord::SideFile& side) {
  int n = 0;
  for (const coord::RingSlot& r : side.layout().ring_slots) {
    if ((r.h.state.load() & 0xff) == coord::kPublished) ++n;
  }
  return n;
}

TEST(RingWrite, ExecuteRunsThroughTheRingWithItsResultsAndErrors) {
  TempDir dir;
  Database db = open_db(dir.file("r.db"));
  Database other = open_db(dir.file("r.db"));  // the ring is used when another one is attached
  db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE, r REAL, b BLOB, n)");
  const ExecResult r =
      db.execute("INSERT INTO t(u, r, b, n) VALUES (?, ?, ?, ?)", "a", 2.5, Blob{1, 2}, nullptr);
  EXPECT_EQ(r.changes, 1);
  EXPECT_EQ(r.last_insert_rowid, 1);
  EXPECT_EQ(
      db.execute_values("INSERT INTO t(id, u) VALUES (?, ?)", {std::int64_t{7}, std::string("b")})
          .last_insert_rowid,
      7);
  try {
    db.execute("INSERT INTO t(u) VALUES (?)", "a");
    FAIL() << "expected Constraint";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Constraint);
    EXPECT_EQ(e.sqlite_code(), 2067);  // SQLITE_CONSTRAINT_UNIQUE
    EXPECT_NE(std::string(e.what()).find("UNIQUE"), std::string::npos) << e.what();
  }
  try {
    db.execute("INSERT INTO nowhere VALUES (1)");
    FAIL() << "expected Sql";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Sql);
  }
  EXPECT_EQ(db.execute("UPDATE t SET n = 1").changes, 2);
  EXPECT_EQ(count(db, "u = 'a' AND r = 2.5 AND b = x'0102' AND n = 1"), 1);
  const Stats s = db.stats();
  EXPECT_EQ(s.ring_jobs, 4u);  // the two failed jobs came back through the ring too, as errors
  EXPECT_EQ(s.ring_fallbacks, 0u);
  EXPECT_EQ(s.jobs_failed, 2u);
}

TEST(RingWrite, AJobLargerThanASlotRunsInTheProcesssOwnTurn) {
  TempDir dir;
  Database db = open_db(dir.file("r.db"));
  Database other = open_db(dir.file("r.db"));
  db.execute("CREATE TABLE t(v TEXT)");
  const std::string big(coord::JobRing::job_capacity() + 1, 'x');
  EXPECT_EQ(db.execute("INSERT INTO t VALUES (?)", big).changes, 1);
  EXPECT_EQ(count(db, "length(v) = " + std::to_string(big.size())), 1);
  EXPECT_EQ(db.stats().ring_fallbacks, 1u);
}

// Alone on the file there is no other batch to join: execute is a write job of the process's
// own group commit (led by the caller) until a second attachment appears.
TEST(RingWrite, AloneOnTheFileExecuteTakesTheProcesssOwnTurn) {
  TempDir dir;
  Database db = open_db(dir.file("r.db"));
  db.execute("CREATE TABLE t(v)");
  db.execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(db.stats().ring_jobs, 0u);
  {
    Database other = open_db(dir.file("r.db"));
    db.execute("INSERT INTO t VALUES (2)");
    EXPECT_EQ(db.stats().ring_jobs, 1u);
  }
  db.execute("INSERT INTO t VALUES (3)");
  EXPECT_EQ(db.stats().ring_jobs, 1u);
  EXPECT_EQ(count(db), 3);
}

TEST(RingWrite, WithoutProcessCoordinationExecuteIsAWriteJobOfItsOwn) {
  TempDir dir;
  Database db = open_db(dir.file("r.db"), /*coordinate=*/false);
  db.execute("CREATE TABLE t(v)");
  db.execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(count(db), 1);
  EXPECT_EQ(db.stats().ring_jobs, 0u);
}

TEST(RingWrite, TheLockHolderCommitsAnotherAttachmentsJobInItsOwnTransaction) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  Database a = open_db(path);
  Database b = open_db(path);
  a.execute("CREATE TABLE t(v)");
  const Stats a0 = a.stats(), b0 = b.stats();

  // A third party holds the writer lock while both attachments publish a job.
  auto side = coord::SideFile::attach(path);
  coord::WriterLock lock(*side);
  lock.acquire(engine::now_ns() + 10'000'000'000, path);
  std::thread ta([&] { a.execute("INSERT INTO t VALUES ('a')"); });
  std::thread tb([&] { b.execute("INSERT INTO t VALUES ('b')"); });
  const bool both = eventually([&] { return published(*side) == 2; });
  lock.release();
  ta.join();
  tb.join();
  ASSERT_TRUE(both);

  EXPECT_EQ(count(a), 2);
  const Stats a1 = a.stats(), b1 = b.stats();
  // One leader took both jobs into one transaction; the other found nothing left to commit.
  EXPECT_EQ((a1.commits - a0.commits) + (b1.commits - b0.commits), 1u);
  EXPECT_EQ(a1.ring_jobs_for_others + b1.ring_jobs_for_others, 1u);
  EXPECT_EQ(a1.ring_jobs - a0.ring_jobs, 1u);
  EXPECT_EQ(b1.ring_jobs - b0.ring_jobs, 1u);
  // `sluice inspect` shows the same through the side file.
  const SideFileState side_state = read_side_file(path);
  std::uint64_t for_others = 0, depth = 0;
  for (const AttachedProcess& p : side_state.processes) {
    for_others += p.ring_jobs_for_others;
    depth += p.ring_depth;
  }
  EXPECT_EQ(for_others, 1u);
  EXPECT_EQ(depth, 0u);
  EXPECT_GE(side_state.ring_jobs_run, 2u);
}

TEST(RingWrite, AJobNoLeaderTakesBeforeItsDeadlineFailsAndNeverRuns) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  Config c = Config::production();
  c.path = path;
  c.write_deadline_ms = 100;
  Database db = Database::open(c);
  db.execute("CREATE TABLE t(v)");
  auto side = coord::SideFile::attach(path);
  coord::WriterLock lock(*side);
  lock.acquire(engine::now_ns() + 10'000'000'000, path);
  try {
    db.execute("INSERT INTO t VALUES (1)");
    ADD_FAILURE() << "expected DeadlineExceeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::DeadlineExceeded);
  }
  EXPECT_EQ(published(*side), 0);  // withdrawn: no later leader can take it
  lock.release();
  db.execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(count(db), 1);
  EXPECT_EQ(count(db, "v = 1"), 0);
}

}  // namespace
}  // namespace sluice
