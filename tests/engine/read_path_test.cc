// The read path's promises (include/sluice/database.h, config.h): reads never wait for writes;
// a read holding its transaction past max_read_txn_ms is counted (long_reads) and named
// (long_read_sql, long_read_ms), and stats show the oldest read open now (oldest_read_ms).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "common/temp_dir.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::TempDir;

int count_rows(Connection& c) { return c.query("SELECT count(*) FROM t").scalar<int>(); }

TEST(ReadPath, ReadsCompleteWhileAWriteJobIsBlockedMidTransaction) {
  TempDir dir;
  Database db = Database::open(dir.file("r.db"));
  db.execute("CREATE TABLE t(x)");
  db.execute("INSERT INTO t VALUES (1)");
  std::promise<void> inside, release;
  std::shared_future<void> released = release.get_future().share();
  // The writer holds SQLite's write lock, one row written and not committed, until released.
  auto blocked = db.submit([&](Transaction& tx) {
    tx.exec("INSERT INTO t VALUES (2)");
    inside.set_value();
    released.wait();
  });
  inside.get_future().wait();
  // Reads on another thread, bounded: a read that waited for the write would never finish.
  auto reads = std::async(std::launch::async, [&] {
    int seen = 0;
    for (int i = 0; i < 20; ++i) seen = db.read([](Connection& c) { return count_rows(c); });
    return seen;
  });
  const bool done = reads.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  EXPECT_TRUE(done) << "reads waited for the blocked write";
  EXPECT_FALSE(blocked.ready());
  release.set_value();
  blocked.get();
  if (done) {
    EXPECT_EQ(reads.get(), 1);  // the committed state, not the job's uncommitted row
  }
  EXPECT_EQ(db.read([](Connection& c) { return count_rows(c); }), 2);
  EXPECT_EQ(db.stats().reads_failed, 0u);
}

TEST(ReadPath, LongReadIsCountedAndNamedAndTheOldestReadIsShown) {
  TempDir dir;
  Config cfg;
  cfg.max_read_txn_ms = 1;
  Database db = Database::open(dir.file("l.db"), cfg);
  db.execute("CREATE TABLE t(x)");
  Stats s = db.stats();
  EXPECT_EQ(s.oldest_read_ms, 0u);
  EXPECT_EQ(s.long_reads, 0u);
  EXPECT_EQ(s.long_read_sql, "");
  std::promise<void> inside, release;
  auto reader = std::async(std::launch::async, [&] {
    db.read([&](Connection& c) {
      (void)count_rows(c);
      inside.set_value();
      release.get_future().wait();
    });
  });
  inside.get_future().wait();
  // Let the read's age pass 2 ms, as stats see it (waiting for time itself, not for a thread).
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db.stats().oldest_read_ms < 2 && std::chrono::steady_clock::now() < limit)
    std::this_thread::yield();
  EXPECT_GE(db.stats().oldest_read_ms, 2u);
  EXPECT_EQ(db.stats().long_reads, 0u);  // counted when it ends
  release.set_value();
  reader.get();
  s = db.stats();
  EXPECT_EQ(s.long_reads, 1u);
  EXPECT_EQ(s.long_read_sql, "SELECT count(*) FROM t");
  EXPECT_GE(s.long_read_ms, 2u);
  EXPECT_EQ(s.oldest_read_ms, 0u);  // nothing open now
  EXPECT_NE(s.to_prometheus().find("sluice_long_reads_total 1"), std::string::npos);
}

TEST(ReadPath, MaxReadTxnMsZeroCountsNoLongRead) {
  TempDir dir;
  Config cfg;
  cfg.max_read_txn_ms = 0;  // no check
  Database db = Database::open(dir.file("z.db"), cfg);
  db.execute("CREATE TABLE t(x)");
  db.read([&](Connection& c) {
    (void)count_rows(c);
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (db.stats().oldest_read_ms < 2 && std::chrono::steady_clock::now() < limit)
      std::this_thread::yield();
  });
  EXPECT_EQ(db.stats().long_reads, 0u);
  EXPECT_EQ(db.stats().long_read_sql, "");
}

}  // namespace
}  // namespace sluice
