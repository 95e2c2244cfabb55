// close() racing the other calls. Found by the writer stress test (writer_stress_test.cc): a
// read in flight when another thread called close() crashed (its pooled connection was closed
// under it), and write()/stats() could touch the writer and side file close() had freed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::TempDir;

std::int64_t count_rows(Connection& c) {
  return c.query("SELECT count(*) FROM t").scalar<std::int64_t>();
}

TEST(CloseRace, AReadInFlightFinishesOnItsConnectionBeforeCloseReturns) {
  TempDir dir;
  Database db = Database::open(dir.file("c.db"));
  db.execute("CREATE TABLE t(x INTEGER)");
  db.execute("INSERT INTO t VALUES (1)");
  std::atomic<bool> inside{false}, close_returned{false};
  bool close_returned_before_read_ended = true;
  std::int64_t seen = -1;
  std::thread reader([&] {
    db.read([&](Connection& c) {
      inside = true;
      while (db.is_open()) std::this_thread::yield();  // close() has begun
      // close() must now be waiting for this read; give a wrong one the time to return.
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      while (!close_returned && std::chrono::steady_clock::now() < until) {
        std::this_thread::yield();
      }
      seen = count_rows(c);  // on the leased connection: must still be open
      close_returned_before_read_ended = close_returned;
      return 0;
    });
  });
  while (!inside) std::this_thread::yield();
  std::thread closer([&] {
    db.close();
    close_returned = true;
  });
  reader.join();
  closer.join();
  EXPECT_EQ(seen, 1);
  EXPECT_FALSE(close_returned_before_read_ended);
  try {
    db.read([](Connection& c) { return count_rows(c); });
    ADD_FAILURE() << "read after close() succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Closed) << e.what();
  }
}

TEST(CloseRace, WritesReadsAndStatsRacingCloseCompleteOrFailClosedAndAcksSurvive) {
  TempDir dir;
  const std::string path = dir.file("c.db");
  std::atomic<std::int64_t> acked{0};
  std::atomic<int> ready{0};
  {
    Database db = Database::open(path);
    db.execute("CREATE TABLE t(x INTEGER)");
    std::vector<std::thread> threads;
    auto until_closed = [&](auto&& op) {
      ++ready;
      for (;;) {
        try {
          op();
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::Closed) << e.what();
          return;
        }
      }
    };
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&] {
        until_closed([&] {
          db.execute("INSERT INTO t VALUES (1)");
          ++acked;
        });
      });
      threads.emplace_back([&] { until_closed([&] { db.read(count_rows); }); });
    }
    threads.emplace_back([&] {
      ++ready;
      while (db.is_open()) (void)db.stats();
      (void)db.stats();  // after close: still answers
    });
    while (ready < 5 || acked < 100) std::this_thread::yield();
    db.close();
    for (auto& t : threads) t.join();
  }
  Database db = Database::open(path);
  EXPECT_EQ(db.read(count_rows), acked.load());
}

TEST(CloseRace, CloseFromInsideAReadDoesNothing) {
  TempDir dir;
  Database db = Database::open(dir.file("c.db"));
  db.execute("CREATE TABLE t(x INTEGER)");
  db.read([&](Connection& c) {
    db.close();  // would wait for this very read
    return count_rows(c);
  });
  EXPECT_TRUE(db.is_open());
  db.execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(db.read(count_rows), 1);
}

}  // namespace
}  // namespace sluice
