// The oracle must be able to fail: each check it makes, shown on a database built to break it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "support/oracle.h"

namespace sluice::testing {
namespace {

class OracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");
    exec(kRowsSchema);
  }
  void TearDown() override { sqlite3_close(db_); }

  void exec(const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
  }
  // Inserts (writer, seq) with kInsertRow and its proper payload.
  void insert(std::int64_t writer, std::int64_t seq) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, kInsertRow, -1, &st, nullptr), SQLITE_OK);
    const std::vector<std::uint8_t> payload = row_payload(writer, seq, 3000);
    sqlite3_bind_int64(st, 1, writer);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_blob(st, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }

  TempDir dir_;
  std::string path_ = dir_.file("oracle.db");
  sqlite3* db_ = nullptr;
};

TEST_F(OracleTest, AcceptsWhatWasWritten) {
  insert(1, 1);
  insert(2, 1);
  insert(1, 2);
  const Verdict v = check_database(path_, {{1, 3, 2}, {2, 1, 1}});
  EXPECT_TRUE(v.ok(true)) << describe(v);
  EXPECT_EQ(v.rows, 3U);
  EXPECT_EQ(v.unacked_kept, 0U);
}

TEST_F(OracleTest, FindsAPayloadThatIsNotTheBytesWritten) {
  insert(1, 1);
  insert(1, 2);
  // What a lost overflow page looks like: the same length, other bytes.
  exec("UPDATE rows SET payload = zeroblob(length(payload)) WHERE seq = 2");
  const Verdict v = check_database(path_, {{1, 2, 2}});
  EXPECT_FALSE(v.ok(false));
  EXPECT_EQ(v.bad_payloads, 1U) << describe(v);
}

TEST_F(OracleTest, FindsAGapInTheCommitOrder) {
  insert(1, 1);
  insert(2, 1);
  insert(1, 2);
  // Writer 2's commit lost, writer 1's later one kept: per writer both are prefixes.
  exec("DELETE FROM rows WHERE writer = 2");
  const Verdict v = check_database(path_, {{1, 2, 2}, {2, 1, 0}});
  EXPECT_FALSE(v.ok(false));
  EXPECT_EQ(v.holes, 0U);
  EXPECT_EQ(v.order_gaps, 1U) << describe(v);
}

TEST_F(OracleTest, FindsLostAcksPhantomsAndHoles) {
  insert(1, 1);
  insert(1, 3);  // seq 2 missing: a hole
  insert(2, 1);  // writer 2 never intended anything: a phantom
  const Verdict v = check_database(path_, {{1, 3, 3}, {3, 1, 1}});
  EXPECT_EQ(v.holes, 1U);
  EXPECT_EQ(v.phantoms, 1U);
  EXPECT_EQ(v.acked_lost, 1U) << describe(v);  // writer 3's acked seq 1
  EXPECT_TRUE(v.ok(false) == false);
}

TEST_F(OracleTest, LeavesTheWalAsFound) {
  // The files as a crash leaves them: committed frames in the -wal, none checkpointed.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  exec("PRAGMA wal_autocheckpoint=0");
  insert(1, 1);
  sqlite3_close(db_);
  db_ = nullptr;
  const auto wal = std::filesystem::path(path_ + "-wal");
  const auto wal_size = std::filesystem::file_size(wal);
  const auto db_size = std::filesystem::file_size(path_);
  ASSERT_GT(wal_size, 0U);

  const Verdict v = check_database(path_, {{1, 1, 1}});
  EXPECT_TRUE(v.ok(true)) << describe(v);
  // As the last connection it would have checkpointed and deleted the WAL on close.
  ASSERT_TRUE(std::filesystem::exists(wal));
  EXPECT_EQ(std::filesystem::file_size(wal), wal_size);
  EXPECT_EQ(std::filesystem::file_size(path_), db_size);
}

}  // namespace
}  // namespace sluice::testing
