// The read path cannot write, and the write path refuses what would break the group-commit
// transaction or the engine's settings.
#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

using ReadOnlyTest = ServerTest;

std::string error_of(const std::string& body) {
  const auto j = nlohmann::json::parse(body);
  return j["results"][0].value("error", "");
}

TEST_F(ReadOnlyTest, QueryRefusesEveryKindOfWrite) {
  execute(
      R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)", "CREATE INDEX foo_name ON foo(name)",
              "INSERT INTO foo(name) VALUES('a')"])J");
  for (const char* sql :
       {"INSERT INTO foo(name) VALUES('x')", "UPDATE foo SET name = 'x'", "DELETE FROM foo",
        "CREATE TABLE bar (x)", "DROP TABLE foo", "ALTER TABLE foo ADD COLUMN y",
        "CREATE INDEX i ON foo(name)", "CREATE TEMP TABLE t (x)", "REINDEX", "ANALYZE",
        "INSERT INTO foo(name) VALUES('x') RETURNING id"}) {
    EXPECT_EQ(error_of(query_get(sql)), "attempt to change database via query operation") << sql;
  }
  auto post = client_->post("/db/query", R"J([["INSERT INTO foo(name) VALUES(?)", "x"]])J");
  EXPECT_EQ(error_of(post.body()), "attempt to change database via query operation");
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[1]]}]})J");
}

TEST_F(ReadOnlyTest, QueryRefusesAttachAndCreatesNoFile) {
  // rqlite 8.26.8 runs this through /db/query and creates evil.db in its working directory.
  const auto evil = dir_ / "evil.db";
  EXPECT_EQ(error_of(query_get("ATTACH DATABASE '" + evil.string() + "' AS e")),
            "ATTACH is refused on the read path");
  EXPECT_EQ(error_of(query_get("ATTACH DATABASE 'file:" + evil.string() + "?mode=rwc' AS e")),
            "ATTACH is refused on the read path");
  EXPECT_FALSE(std::filesystem::exists(evil));
  EXPECT_EQ(error_of(query_get("DETACH DATABASE main")), "DETACH is refused on the read path");
}

TEST_F(ReadOnlyTest, QueryRefusesWritablePragmasAndLoadExtension) {
  EXPECT_EQ(error_of(query_get("PRAGMA user_version = 5")),
            "PRAGMA user_version with an argument is refused on the read path");
  EXPECT_EQ(error_of(query_get("PRAGMA optimize")), "PRAGMA optimize is refused on the read path");
  EXPECT_EQ(error_of(query_get("SELECT load_extension('/tmp/x.so')")),
            "load_extension() is refused");
  EXPECT_EQ(error_of(query_get("BEGIN")), "transaction control is refused on the read path");
  // rqlite's whole-request refusal for the pragmas that would break it.
  EXPECT_EQ(query_get("PRAGMA journal_mode=DELETE"),
            R"J({"results":[],"error":"disallowed pragma"})J");
  // Pragmas that only report still work, with and without an argument.
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY)"])J");
  EXPECT_EQ(query_get("PRAGMA user_version"),
            R"J({"results":[{"columns":["user_version"],"types":["integer"],"values":[[0]]}]})J");
  EXPECT_EQ(error_of(query_get("PRAGMA table_info(foo)")), "");
  EXPECT_EQ(query_get("PRAGMA user_version"),
            R"J({"results":[{"columns":["user_version"],"types":["integer"],"values":[[0]]}]})J");
}

TEST_F(ReadOnlyTest, RequestWithOnlyReadsCannotWriteEither) {
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY)"])J");
  const auto other = dir_ / "x.db";
  auto res = client_->post("/db/request",
                           "[\"SELECT 1\", \"ATTACH DATABASE '" + other.string() + "' AS x\"]");
  // ATTACH is not a read: the request goes to the writer, which refuses it too (SQLite would
  // allow it inside the group-commit transaction, and the writer would keep the attachment).
  EXPECT_EQ(nlohmann::json::parse(res.body())["results"][1]["error"],
            "ATTACH and DETACH are refused: the server serves one database file");
  EXPECT_FALSE(std::filesystem::exists(other));
  auto exec = client_->post("/db/execute", "[\"ATTACH DATABASE '" + other.string() + "' AS x\"]");
  EXPECT_EQ(nlohmann::json::parse(exec.body())["results"][0]["error"],
            "ATTACH and DETACH are refused: the server serves one database file");
  EXPECT_FALSE(std::filesystem::exists(other));
}

TEST_F(ReadOnlyTest, ExecuteRefusesTransactionControlAndBreakingPragmas) {
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY)"])J");
  for (const char* sql : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s", "RELEASE s", "END",
                          "  /* c */ begin immediate"}) {
    EXPECT_EQ(error_of(execute(std::string("[\"") + sql + "\"]")).substr(0, 52),
              "BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are r")
        << sql;
  }
  for (const char* sql : {"PRAGMA journal_mode=DELETE", "pragma SYNCHRONOUS = off",
                          "PRAGMA wal_autocheckpoint=10", "PRAGMA query_only=1",
                          "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA main.journal_mode = delete"}) {
    EXPECT_EQ(execute(std::string("[\"") + sql + "\"]"),
              R"J({"results":[],"error":"disallowed pragma"})J")
        << sql;
  }
  // Smuggled behind another statement: refused per statement, before it is prepared (SQLite
  // applies query_only while preparing it).
  EXPECT_EQ(error_of(execute(R"J(["SELECT 1; PRAGMA query_only=1"])J")), "disallowed pragma");
  EXPECT_EQ(error_of(execute(R"J(["SELECT 1; PRAGMA main.synchronous=OFF"])J")),
            "disallowed pragma");
  // The writer still writes.
  EXPECT_EQ(execute(R"J(["INSERT INTO foo(id) VALUES(1)"])J"),
            R"J({"results":[{"last_insert_id":1,"rows_affected":1}]})J");
}

TEST_F(ReadOnlyTest, StatementThatRollsBackTheWholeTransactionFailsOnlyUncommittedWork) {
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY)", "INSERT INTO foo(id) VALUES(1)"])J");
  auto res = client_->post("/db/execute", R"J(["INSERT OR ROLLBACK INTO foo(id) VALUES(1)"])J");
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_NE(res.body().find("rolled back the whole group-commit transaction"), std::string::npos);
  // Committed data is intact and the writer keeps working.
  EXPECT_EQ(execute(R"J(["INSERT INTO foo(id) VALUES(2)"])J"),
            R"J({"results":[{"last_insert_id":2,"rows_affected":1}]})J");
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[2]]}]})J");
}

TEST_F(ReadOnlyTest, LongQueryIsInterruptedAtDbTimeout) {
  const std::string slow =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c";
  EXPECT_EQ(error_of(query_get(slow, "&db_timeout=50ms")), "query timeout");
}

}  // namespace
}  // namespace sluice::server::testing
