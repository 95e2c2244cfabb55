// /db/backup gives a consistent copy of the database; /db/load runs SQL text atomically.
#include <fstream>

#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

using BackupTest = ServerTest;

TEST_F(BackupTest, BackupIsAnOpenableCopyOfTheDatabase) {
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)",
              "INSERT INTO foo(name) VALUES('fiona')", "INSERT INTO foo(name) VALUES('declan')"])J");
  auto res = client_->get("/db/backup");
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[http::field::content_type], "application/octet-stream");
  ASSERT_GE(res.body().size(), 16u);
  EXPECT_EQ(res.body().substr(0, 16), std::string("SQLite format 3\0", 16));
  const auto copy = dir_ / "copy.db";
  std::ofstream(copy, std::ios::binary) << res.body();
  Connection c = Connection::open(copy.string(), OpenOptions::read_only());
  EXPECT_EQ(c.query("SELECT COUNT(*) FROM foo").scalar<std::int64_t>(), 2);
  EXPECT_EQ(client_->get("/db/backup?fmt=sql").result_int(), 400u);
  EXPECT_EQ(client_->post("/db/backup", "").result_int(), 405u);
}

TEST_F(BackupTest, LoadRunsSqlTextAsOneAtomicJob) {
  auto res = client_->post(
      "/db/load",
      "CREATE TABLE r (id INTEGER PRIMARY KEY, name TEXT);"
      "INSERT INTO r(name) VALUES (\"fiona\");INSERT INTO r(name) VALUES (\"justin\")",
      "text/plain");
  EXPECT_EQ(res.body(), R"J({"results":[{"last_insert_id":2,"rows_affected":1}]})J");
  EXPECT_EQ(
      query_get("SELECT id, name FROM r WHERE name=\"fiona\"", "&level=strong"),
      R"J({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]]}]})J");
  // A failing statement undoes the whole load.
  auto bad =
      client_->post("/db/load", "CREATE TABLE s (x);INSERT INTO nope VALUES (1)", "text/plain");
  EXPECT_EQ(bad.body(), R"J({"results":[{"error":"no such table: nope"}]})J");
  EXPECT_EQ(query_get("SELECT * FROM s"), R"J({"results":[{"error":"no such table: s"}]})J");
  EXPECT_EQ(
      client_->post("/db/load", std::string("SQLite format 3\0", 16), "application/octet-stream")
          .result_int(),
      400u);
}

}  // namespace
}  // namespace sluice::server::testing
