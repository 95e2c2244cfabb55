// An exception no job threw escaping the writer's batch (std::bad_alloc from SQLite's or our own
// allocations, thrown here through an armed crash point): the batch's outcome is unknown, so no
// job of it may be acknowledged, every caller gets Internal at once, later writes are refused
// (WritesRefused) and a reopened database is intact and writable.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "engine/crash_points.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using engine::CrashAction;
using engine::CrashPoint;
using testing::TempDir;

constexpr int kBatchJobs = 7;

std::int64_t count(Database& db, const char* where) {
  return db.read([&](Connection& c) {
    return c.query(std::string("SELECT count(*) FROM t WHERE ") + where).scalar<std::int64_t>();
  });
}

class WriterInternalError : public ::testing::TestWithParam<CrashPoint> {
 protected:
  void TearDown() override { engine::arm_crash_point(GetParam(), 0); }
};

TEST_P(WriterInternalError, FailsTheWholeBatchWithInternalAndRefusesLaterWrites) {
  TempDir dir;
  const std::string path = dir.file("w.db");
  Config cfg;
  cfg.path = path;
  cfg.commit_delay_us = 0;
  {
    Database db = Database::open(cfg);
    db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, batch TEXT)");
    // Batch 1: one job that holds the writer until batch 2's jobs are queued behind it, so they
    // commit together as batch 2 — the one the armed point (its 2nd hit from now) fails.
    engine::arm_crash_point(GetParam(), 2, CrashAction::ThrowBadAlloc);
    std::atomic<bool> started{false}, release{false};
    auto holder = db.submit([&](Transaction& tx) {
      started = true;
      while (!release) std::this_thread::yield();
      tx.exec("INSERT INTO t(batch) VALUES ('first')");
    });
    while (!started) std::this_thread::yield();
    std::vector<Pending<void>> jobs;
    for (int i = 0; i < kBatchJobs; ++i) {
      jobs.push_back(
          db.submit([](Transaction& tx) { tx.exec("INSERT INTO t(batch) VALUES ('second')"); }));
    }
    release = true;
    EXPECT_NO_THROW(holder.get());
    for (auto& job : jobs) {
      try {
        job.get();
        ADD_FAILURE() << "a job of the failed batch was acknowledged";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Internal) << e.what();
      }
    }
    EXPECT_EQ(count(db, "batch = 'first'"), 1);
    // Failed before COMMIT: nothing of the batch is in the database. After COMMIT the rows are
    // there although every caller was told Internal (outcome unknown), never ok.
    const bool committed = GetParam() == CrashPoint::AfterCommitBeforeAck;
    EXPECT_EQ(count(db, "batch = 'second'"), committed ? kBatchJobs : 0);
    EXPECT_TRUE(db.stats().writes_refused);
    try {
      db.execute("INSERT INTO t(batch) VALUES ('refused')");
      ADD_FAILURE() << "a write after the internal error succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::WritesRefused) << e.what();
      EXPECT_NE(std::string(e.what()).find("std::bad_alloc"), std::string::npos) << e.what();
    }
  }
  Database db = Database::open(cfg);
  EXPECT_FALSE(db.stats().writes_refused);
  db.execute("INSERT INTO t(batch) VALUES ('after reopen')");
  EXPECT_EQ(count(db, "batch = 'after reopen'"), 1);
  EXPECT_EQ(count(db, "batch = 'refused'"), 0);
  EXPECT_EQ(db.read([](Connection& c) {
    return c.query("PRAGMA integrity_check").scalar<std::string>();
  }),
            "ok");
}

INSTANTIATE_TEST_SUITE_P(AtEachPoint, WriterInternalError,
                         ::testing::Values(CrashPoint::BeforeBegin, CrashPoint::MidBatch,
                                           CrashPoint::BeforeCommit,
                                           CrashPoint::AfterCommitBeforeAck),
                         [](const auto& info) {
                           std::string name(engine::to_string(info.param));
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace sluice
