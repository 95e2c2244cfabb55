// What the checkpoint and coordination knobs of Config promise, each seen in the files and the
// stats: commit_autocheckpoint_pages, journal_size_limit_bytes, checkpoint_idle_ms,
// coordinate_processes = false.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/temp_dir.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::TempDir;

std::uintmax_t wal_size(const std::string& db) { return std::filesystem::file_size(db + "-wal"); }

TEST(CheckpointConfig, CommitAutocheckpointRunsInsideCommitsWithoutACheckpointer) {
  TempDir dir;
  Config cfg;
  cfg.commit_autocheckpoint_pages = 20;
  Database db = Database::open(dir.file("a.db"), cfg);
  db.execute("CREATE TABLE t(x)");
  EXPECT_FALSE(db.stats().checkpointer_active);
  std::uint64_t most = 0;
  for (int i = 0; i < 200; ++i) {
    db.execute("INSERT INTO t VALUES (?)", std::string(1000, 'x'));
    most = std::max(most, db.stats().wal_frames);
  }
  const Stats s = db.stats();
  EXPECT_FALSE(s.checkpointer_active);  // no checkpointer thread: only commits checkpoint
  EXPECT_GE(s.checkpoints_passive, 1u);
  EXPECT_EQ(s.checkpoints, s.checkpoints_passive);
  // The commit that crosses 20 frames checkpoints; the next one restarts the WAL. A 1000-byte
  // row commits a few frames, so the WAL never holds much more than 20.
  EXPECT_LT(most, 40u);
}

TEST(CheckpointConfig, JournalSizeLimitTruncatesTheWalWhenItRestarts) {
  for (const std::int64_t limit : {std::int64_t{64} * 1024, std::int64_t{-1}}) {
    SCOPED_TRACE("journal_size_limit_bytes=" + std::to_string(limit));
    TempDir dir;
    const std::string path = dir.file("j.db");
    Config cfg;
    cfg.journal_size_limit_bytes = limit;
    // No checkpointer thread, and commits that never reach their checkpoint: only the explicit
    // checkpoint below runs.
    cfg.commit_autocheckpoint_pages = 10'000'000;
    Database db = Database::open(path, cfg);
    db.execute("CREATE TABLE t(x)");
    for (int i = 0; i < 100; ++i) db.execute("INSERT INTO t VALUES (zeroblob(8000))");
    const std::uintmax_t grown = wal_size(path);
    ASSERT_GT(grown, 1024u * 1024);  // ~12 KB a row
    EXPECT_FALSE(db.checkpoint(CheckpointMode::Full).busy);
    db.execute("INSERT INTO t VALUES (1)");  // restarts the WAL from its beginning
    if (limit > 0) {
      EXPECT_LE(wal_size(path), static_cast<std::uintmax_t>(limit));
    } else {
      EXPECT_EQ(wal_size(path), grown);  // no limit: the file keeps its size
    }
  }
}

TEST(CheckpointConfig, IdleCheckpointCopiesBackEveryFrame) {
  TempDir dir;
  const std::string path = dir.file("i.db");
  Config cfg;
  cfg.checkpoint_pages = 1000000;  // never reached: only the idle checkpoint runs
  cfg.checkpoint_idle_ms = 10;
  Database db = Database::open(path, cfg);
  // One commit, the only one: every frame in the WAL is from it.
  db.write([](Transaction& tx) {
    tx.exec("CREATE TABLE t(x)");
    for (int i = 0; i < 20; ++i) tx.exec("INSERT INTO t VALUES (?)", std::string(2000, 'x'));
  });
  const std::uint64_t frames = db.stats().wal_frames;
  ASSERT_GT(frames, 10u);
  // The checkpointer runs when the database has been idle for 10 ms; 30 s is a ceiling.
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db.stats().checkpoint_pages_written < frames && std::chrono::steady_clock::now() < limit)
    std::this_thread::yield();
  const Stats s = db.stats();
  EXPECT_GE(s.checkpoint_pages_written, frames) << "the idle checkpoint did not copy the WAL";
  EXPECT_EQ(s.checkpoints_busy, 0u);
  // Everything is in the database file: the next write starts the WAL from its beginning.
  db.execute("INSERT INTO t VALUES (-1)");
  EXPECT_LT(db.stats().wal_frames, 5u);
}

TEST(CheckpointConfig, WithoutProcessCoordinationNoSideFileAndTheEngineStillCheckpoints) {
  TempDir dir;
  const std::string path = dir.file("n.db");
  Config cfg;
  cfg.coordinate_processes = false;
  cfg.checkpoint_pages = 20;
  Database db = Database::open(path, cfg);
  db.execute("CREATE TABLE t(x)");
  for (int i = 0; i < 100; ++i) db.execute("INSERT INTO t VALUES (?)", std::string(1000, 'x'));
  EXPECT_FALSE(std::filesystem::exists(path + "-sluice"));
  EXPECT_FALSE(read_side_file(path).present);
  EXPECT_EQ(db.stats().processes_attached, 1u);
  // The lease lives in process memory; the checkpointer takes it as its thread starts, then
  // checkpoints the WAL grown past 20 pages.
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((!db.stats().checkpointer_active || db.stats().checkpoints == 0) &&
         std::chrono::steady_clock::now() < limit) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(db.stats().checkpointer_active);
  EXPECT_GT(db.stats().checkpoints, 0u);
  EXPECT_FALSE(db.checkpoint(CheckpointMode::Truncate).busy);
  EXPECT_EQ(wal_size(path), 0u);
  // A second Database on the file in this process meets SQLite's locking, not Sluice's: both
  // write, and nothing is lost.
  Config other = cfg;
  other.path = path;
  Database second = Database::open(other);
  for (int i = 0; i < 20; ++i) {
    db.execute("INSERT INTO t VALUES ('a')");
    second.execute("INSERT INTO t VALUES ('b')");
  }
  EXPECT_EQ(
      second.read([](Connection& c) { return c.query("SELECT count(*) FROM t").scalar<int>(); }),
      140);
  EXPECT_FALSE(std::filesystem::exists(path + "-sluice"));
}

}  // namespace
}  // namespace sluice
