// The reader pool's shared mapping (engine/shared_map_vfs.h): with mmap on, every pooled
// connection of a process fetches pages from one mapping of the database file that outlives the
// cache resets after commits; reads still see every acknowledged commit, also after checkpoints
// grow the file and after a VACUUM and a TRUNCATE checkpoint shrink it.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "engine/shared_map_vfs.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using engine::shared_map_counters;
using testing::TempDir;

constexpr int kRows = 2000;  // ~1 KiB each: ~550 pages, well beyond one read's cache refill

Config mapped_config(const TempDir& dir, int pool_size) {
  Config c = Config::production();
  c.path = dir.file("m.db");
  c.pool_size = pool_size;
  c.mmap_size_bytes = 64LL << 20;
  return c;
}

void fill(Database& db, int from, int to) {
  db.write([&](Transaction& tx) {
    for (int i = from; i < to; ++i) {
      tx.exec("INSERT INTO t(i, k, v) VALUES (?, ?, zeroblob(1000))", i, i);
    }
  });
}

// count(*) and sum(k): the state a read must show.
std::pair<std::int64_t, std::int64_t> state(Connection& c) {
  Query q = c.query("SELECT count(*), sum(k) FROM t");
  if (!q.next()) throw Error(ErrorCode::Internal, "no row");
  return {q.get<std::int64_t>(0), q.get<std::int64_t>(1)};
}

TEST(SharedMap, PooledReadersShareOneMappingAndSeeEveryCommit) {
  TempDir dir;
  const auto before = shared_map_counters();
  {
    Database db = Database::open(mapped_config(dir, 2));
    db.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, k INTEGER, v BLOB)");
    fill(db, 0, kRows);
    db.checkpoint(CheckpointMode::Truncate);  // every page in the database file: mappable

    // Both pooled connections read at once, so both fetch pages.
    std::latch both(2);
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
      readers.emplace_back([&] {
        db.read([&](Connection& c) {
          both.arrive_and_wait();
          EXPECT_EQ(state(c).first, kRows);
        });
      });
    }
    for (std::thread& t : readers) t.join();
    EXPECT_EQ(shared_map_counters().maps_made - before.maps_made, 1u);
    EXPECT_EQ(shared_map_counters().maps_live, before.maps_live + 1);

    // Each round changes rows on pages the readers hold; every third round checkpoints, so the
    // changed pages come from the mapped file itself rather than from the WAL.
    for (int round = 1; round <= 30; ++round) {
      const auto expected = db.write([&](Transaction& tx) {
        tx.exec("UPDATE t SET k = k + ? WHERE i % 7 = ?", round, round % 7);
        tx.exec("INSERT INTO t(i, k, v) VALUES (?, ?, zeroblob(1000))", kRows + round, round);
        return state(tx.connection());
      });
      if (round % 3 == 0) db.checkpoint(CheckpointMode::Passive);
      EXPECT_EQ(db.read([](Connection& c) { return state(c); }), expected) << "round " << round;
    }
  }
  const auto after = shared_map_counters();
  EXPECT_EQ(after.maps_live, before.maps_live) << "the mapping outlived its connections";
  EXPECT_GT(after.pages_fetched, before.pages_fetched) << "no page came from the mapping";
}

TEST(SharedMap, ReadsStayRightWhenTheFileShrinksAndGrowsAgain) {
  TempDir dir;
  Database db = Database::open(mapped_config(dir, 1));
  db.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, k INTEGER, v BLOB)");
  fill(db, 0, kRows);
  db.checkpoint(CheckpointMode::Truncate);
  const auto full_size = std::filesystem::file_size(dir.file("m.db"));
  EXPECT_EQ(db.read([](Connection& c) { return state(c).first; }), kRows);  // maps the file

  // Another program deletes most rows and VACUUMs; the TRUNCATE checkpoint then shrinks the
  // file under the mapping.
  db.execute("DELETE FROM t WHERE i >= 100");
  {
    Connection other = Connection::open(dir.file("m.db"));
    other.exec("PRAGMA busy_timeout=5000");
    other.exec("VACUUM");
  }
  db.checkpoint(CheckpointMode::Truncate);
  ASSERT_LT(std::filesystem::file_size(dir.file("m.db")), full_size / 4);
  std::int64_t sum_k = 0;
  for (int i = 0; i < 100; ++i) sum_k += i;
  EXPECT_EQ(db.read([](Connection& c) { return state(c); }),
            std::make_pair(std::int64_t{100}, sum_k));

  // And grows again past its old size.
  fill(db, kRows, 3 * kRows);
  db.checkpoint(CheckpointMode::Truncate);
  ASSERT_GT(std::filesystem::file_size(dir.file("m.db")), full_size);
  for (int i = kRows; i < 3 * kRows; ++i) sum_k += i;
  EXPECT_EQ(db.read([](Connection& c) { return state(c); }),
            std::make_pair(std::int64_t{100 + 2 * kRows}, sum_k));
}

}  // namespace
}  // namespace sluice
