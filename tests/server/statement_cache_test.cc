// The writer's statement cache: a statement string is prepared once and reused across requests,
// and stays correct when the schema changes under it.
#include "server/statement_cache.h"

#include <sqlite3.h>

#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

TEST(StatementCache, TakesBackWhatWasPutAndEvictsTheLeastRecentlyUsed) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  auto prepare = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK);
    return s;
  };
  {
    StatementCache cache(2);
    sqlite3_stmt* one = prepare("SELECT 1");
    EXPECT_EQ(cache.take("SELECT 1"), nullptr);
    ASSERT_EQ(sqlite3_step(one), SQLITE_ROW);  // mid-statement: put() resets it
    cache.put("SELECT 1", one);
    EXPECT_EQ(cache.take("SELECT 1"), one);
    EXPECT_EQ(cache.take("SELECT 1"), nullptr);  // taken: the caller owns it now
    EXPECT_EQ(sqlite3_stmt_busy(one), 0);
    cache.put("SELECT 1", one);
    cache.put("SELECT 2", prepare("SELECT 2"));
    cache.put("SELECT 1", prepare("SELECT 1"));  // already cached: this copy is finalized
    cache.put("SELECT 3", prepare("SELECT 3"));  // evicts SELECT 1, the least recently used
    EXPECT_EQ(cache.take("SELECT 1"), nullptr);
    sqlite3_stmt* three = cache.take("SELECT 3");
    ASSERT_NE(three, nullptr);
    cache.put("SELECT 3", three);
  }  // the cache finalizes what it holds: the close below would fail with SQLITE_BUSY otherwise
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

using WritePathTest = ServerTest;

TEST_F(WritePathTest, ARepeatedStatementFollowsSchemaChanges) {
  const std::string insert = R"J([["INSERT INTO t(a) VALUES(?)", 1]])J";
  execute(R"J(["CREATE TABLE t (a)"])J");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(execute(insert), R"J({"results":[{"last_insert_id":)J" + std::to_string(i) +
                                   R"J(,"rows_affected":1}]})J");
  }
  execute(R"J(["ALTER TABLE t ADD COLUMN b DEFAULT 'x'"])J");
  EXPECT_EQ(execute(insert), R"J({"results":[{"last_insert_id":4,"rows_affected":1}]})J");
  execute(R"J(["DROP TABLE t"])J");
  EXPECT_EQ(execute(insert), R"J({"results":[{"error":"no such table: t"}]})J");
  execute(R"J(["CREATE TABLE t (z, a NOT NULL)"])J");
  EXPECT_EQ(execute(insert), R"J({"results":[{"last_insert_id":1,"rows_affected":1}]})J");
  // The same statement twice in one request, and a failing run that leaves it reusable.
  EXPECT_EQ(execute(R"J([["INSERT INTO t(a) VALUES(?)", null], ["INSERT INTO t(a) VALUES(?)", 5],
                        ["INSERT INTO t(a) VALUES(?)", 6]])J"),
            R"J({"results":[{"error":"NOT NULL constraint failed: t.a"},)J"
            R"J({"last_insert_id":2,"rows_affected":1},{"last_insert_id":3,"rows_affected":1}]})J");
  EXPECT_EQ(query_get("SELECT a FROM t ORDER BY rowid"),
            R"J({"results":[{"columns":["a"],"types":["integer"],"values":[[1],[5],[6]]}]})J");
}

}  // namespace
}  // namespace sluice::server::testing
