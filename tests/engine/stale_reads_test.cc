// Bounded-staleness reads (ReadOptions::max_staleness, Config::max_staleness_ms): a pooled
// connection keeps its snapshot for later reads while it is young enough, a thread always sees
// its own acknowledged writes, and a kept snapshot does not pin the WAL past its bound.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "common/eventually.h"
#include "common/temp_dir.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;
using testing::eventually;
using testing::TempDir;

// One reader, so every read meets the snapshot the previous read kept.
Database open_one_reader(const TempDir& dir, int max_staleness_ms) {
  Config c = Config::production();
  c.path = dir.file("stale.db");
  c.pool_size = 1;
  c.max_staleness_ms = max_staleness_ms;
  c.busy_timeout_ms = 100;
  Database db = Database::open(c);
  db.execute("CREATE TABLE t(i INTEGER PRIMARY KEY)");
  return db;
}

std::int64_t rows(Database& db, ReadOptions options = {}) {
  return db.read(
      [](Connection& c) { return c.query("SELECT count(*) FROM t").scalar<std::int64_t>(); },
      options);
}

TEST(StaleReads, AThreadAlwaysSeesItsOwnAcknowledgedWrites) {
  TempDir dir;
  Database db = open_one_reader(dir, 60'000);  // snapshots could be kept for a minute
  for (int i = 1; i <= 300; ++i) {
    db.execute("INSERT INTO t(i) VALUES (?)", i);
    ASSERT_EQ(rows(db), i) << "a read after the write's ack missed it";
  }
  // submit() + get() acknowledges too.
  db.submit([](Transaction& tx) { tx.exec("INSERT INTO t(i) VALUES (1000)"); }).get();
  EXPECT_EQ(rows(db), 301);
}

TEST(StaleReads, ASnapshotIsReusedWithinItsBoundAndAnotherThreadsWriteMayBeMissed) {
  TempDir dir;
  Database db = open_one_reader(dir, 60'000);
  db.execute("INSERT INTO t(i) VALUES (1)");
  ASSERT_EQ(rows(db), 1);  // this read's snapshot is kept
  std::thread([&] { db.execute("INSERT INTO t(i) VALUES (2)"); }).join();
  // Another thread's write, acknowledged: a read accepting a minute of staleness reuses the
  // kept snapshot (the bound is what the caller chose) ...
  EXPECT_EQ(rows(db), 1);
  const Stats stale = db.stats();
  EXPECT_EQ(stale.stale_snapshot_age_us.count, 1u);  // that one read, no other
  EXPECT_LE(stale.stale_snapshot_age_us.max, 60'000'000u);
  // ... and a read asking for the newest snapshot sees it.
  EXPECT_EQ(rows(db, ReadOptions{.max_staleness = milliseconds(0)}), 2);
  EXPECT_EQ(rows(db), 2);
}

TEST(StaleReads, TheDefaultReadSeesEveryAcknowledgedCommitOfAnyThread) {
  TempDir dir;
  Database db = open_one_reader(dir, 0);
  for (int i = 1; i <= 50; ++i) {
    std::thread([&] { db.execute("INSERT INTO t(i) VALUES (?)", i); }).join();
    ASSERT_EQ(rows(db), i);
  }
}

TEST(StaleReads, AKeptSnapshotStopsPinningTheWalOnceItIsPastItsBound) {
  TempDir dir;
  Database db = open_one_reader(dir, 200);
  db.execute("INSERT INTO t(i) VALUES (1)");
  ASSERT_EQ(rows(db), 1);  // kept: pins the WAL as of now
  for (int i = 2; i <= 100; ++i) db.execute("INSERT INTO t(i) VALUES (?)", i);
  // Within its bound the kept snapshot stops a TRUNCATE from resetting the WAL; past it the
  // checkpointer ends it (standby or active, within Checkpointer::kLeaseRetryMs or the next
  // idle wake-up) and the TRUNCATE completes.
  EXPECT_TRUE(eventually([&] { return !db.checkpoint(CheckpointMode::Truncate).busy; }));
  EXPECT_EQ(db.stats().wal_bytes, 0u);
  EXPECT_EQ(rows(db), 100);
}

}  // namespace
}  // namespace sluice
