// /db/backup gives a consistent copy of the database.
#include <atomic>
#include <fstream>
#include <thread>

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

// The copy is the one `sluice backup` makes (Database::backup_to): self-contained (rollback
// journal, no -wal), integrity-checked, holding every write acknowledged before the request, also
// while writes go on; the file it was written to does not stay behind.
TEST_F(BackupTest, BackupIsTheBackupCommandsCopyUnderWrites) {
  db_->execute("CREATE TABLE w (id INTEGER PRIMARY KEY, n INTEGER)");
  std::atomic<std::int64_t> acked{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (std::int64_t n = 1; !stop.load(); ++n) {
      db_->execute("INSERT INTO w(n) VALUES (?)", n);
      acked.store(n);
    }
  });
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("backup " + std::to_string(i));
    const std::int64_t before = acked.load();
    auto res = client_->get("/db/backup");
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    ASSERT_GE(res.body().size(), 100u);
    // File format bytes 18-19: 1 = rollback journal (a WAL database's serialized pages say 2).
    EXPECT_EQ(res.body()[18], 1);
    EXPECT_EQ(res.body()[19], 1);
    const auto copy = dir_ / ("under-writes-" + std::to_string(i) + ".db");
    std::ofstream(copy, std::ios::binary) << res.body();
    Connection c = Connection::open(copy.string(), OpenOptions::read_only());
    EXPECT_EQ(c.query("PRAGMA integrity_check").scalar<std::string>(), "ok");
    EXPECT_GE(c.query("SELECT count(*) FROM w").scalar<std::int64_t>(), before);
  }
  stop.store(true);
  writer.join();
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find("http-backup"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace sluice::server::testing
