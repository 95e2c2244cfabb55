// /db/backup gives a consistent copy of the database.
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

}  // namespace
}  // namespace sluice::server::testing
