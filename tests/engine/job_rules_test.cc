// What a write job may and may not do (include/sluice/database.h, transaction.h): it must not
// call back into its own Database (checkpoint() is Reentrant, close() does nothing) nor control
// the transaction itself; Transaction::exec_values runs a statement with run-time parameters.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/temp_dir.h"
#include "engine/gate.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::Gate;
using testing::TempDir;

Database open_with_table(const TempDir& dir) {
  Database db = Database::open(dir.file("j.db"));
  db.execute("CREATE TABLE t(x)");
  return db;
}

int rows(Database& db) {
  return db.read([](Connection& c) { return c.query("SELECT count(*) FROM t").scalar<int>(); });
}

TEST(JobRules, CheckpointInsideAJobIsReentrant) {
  TempDir dir;
  Database db = open_with_table(dir);
  const std::uint64_t checkpoints = db.stats().checkpoints_full;
  const ErrorCode code = db.write([&](Transaction& tx) {
    tx.exec("INSERT INTO t VALUES (1)");
    try {
      db.checkpoint(CheckpointMode::Full);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Internal;
  });
  EXPECT_EQ(code, ErrorCode::Reentrant);
  EXPECT_EQ(db.stats().checkpoints_full, checkpoints);
  EXPECT_EQ(rows(db), 1);  // the job caught the error: its own work commits
  EXPECT_FALSE(db.checkpoint(CheckpointMode::Full).busy);  // and from outside it works
}

TEST(JobRules, CloseInsideAJobOrAReadDoesNothing) {
  TempDir dir;
  Database db = open_with_table(dir);
  db.write([&](Transaction& tx) {
    db.close();
    tx.exec("INSERT INTO t VALUES (1)");  // still inside a live transaction
  });
  EXPECT_TRUE(db.is_open());
  db.read([&](Connection&) { db.close(); });
  EXPECT_TRUE(db.is_open());
  db.execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(rows(db), 2);
  db.close();  // from outside it closes
  EXPECT_FALSE(db.is_open());
}

TEST(JobRules, TransactionControlInsideAJobIsRefusedAndTheBatchCommits) {
  TempDir dir;
  Database db = open_with_table(dir);
  std::vector<std::string> refused;
  Pending<void> other;
  {
    Gate gate(db);  // the job below shares its batch with `other`
    other = db.submit([](Transaction& tx) { tx.exec("INSERT INTO t VALUES ('other')"); });
    (void)db.submit([&](Transaction& tx) {
      tx.exec("INSERT INTO t VALUES ('mine')");
      for (const char* sql : {"END", "COMMIT", "ROLLBACK", "ROLLBACK TO sluice_job",
                              "RELEASE sluice_job", "BEGIN", "SAVEPOINT x", "  end transaction",
                              "/* a comment */ COMMIT", "-- a comment\nROLLBACK"}) {
        try {
          tx.exec(sql);
        } catch (const Error& e) {
          if (e.code() == ErrorCode::InvalidArgument) refused.push_back(sql);
        }
      }
      EXPECT_TRUE(tx.connection().in_transaction());
    });
  }
  other.get();
  db.execute("INSERT INTO t VALUES ('after')");
  EXPECT_EQ(refused.size(), 10u) << "some were run: only " << refused.size() << " refused";
  // Nothing ended the batch's transaction early: every row of it committed, once.
  EXPECT_EQ(rows(db), 3);
}

TEST(JobRules, ExecValuesBindsRunTimeParameters) {
  TempDir dir;
  Database db = Database::open(dir.file("v.db"));
  db.execute("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, b BLOB, r REAL, n)");
  const int changed = db.write([](Transaction& tx) {
    return tx.exec_values("INSERT INTO kv VALUES (?, ?, ?, ?, ?)",
                          {Value{std::int64_t{7}}, Value{std::string("seven")},
                           Value{std::vector<std::uint8_t>{1, 2, 3}}, Value{2.5}, Value{}});
  });
  EXPECT_EQ(changed, 1);
  auto row = db.read([](Connection& c) {
    auto q = c.query("SELECT k, v, length(b), r, n IS NULL FROM kv");
    EXPECT_TRUE(q.next());
    return std::tuple{q.get<std::int64_t>(0), q.get<std::string>(1), q.get<int>(2),
                      q.get<double>(3), q.get<int>(4)};
  });
  EXPECT_EQ(row, std::tuple(std::int64_t{7}, std::string("seven"), 3, 2.5, 1));
  // A wrong parameter count fails this job with InvalidArgument; control statements too.
  for (const auto& [sql, params] : std::vector<std::pair<std::string, std::vector<Value>>>{
           {"INSERT INTO kv(k, v) VALUES (?, ?)", {Value{std::int64_t{8}}}}, {"COMMIT", {}}}) {
    try {
      db.write([&](Transaction& tx) { return tx.exec_values(sql, params); });
      ADD_FAILURE() << sql << " did not fail";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << sql << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace sluice
