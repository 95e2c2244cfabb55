// `sluice backup`, `sluice replicas` and `sluice restore` against a database this process writes
// with replication on: exit statuses, what they print, and refusals.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/eventually.h"
#include "common/temp_dir.h"
#include "sluice/sluice.h"
#include "tools/cli_runner.h"

namespace sluice {
namespace {

using testing::sluice_cli;
using testing::TempDir;

std::int64_t count_rows(const std::string& path) {
  Connection c = Connection::open(path, OpenOptions::read_only());
  return c.query("SELECT count(*) FROM t").scalar<std::int64_t>();
}

TEST(BackupCli, BackupReplicasRestore) {
  TempDir dir;
  const std::string db_path = dir.file("app.db"), replica = dir.file("replica");
  Config c = Config::production();
  c.path = db_path;
  c.replica = replica;
  c.replica_interval_ms = 10;
  Database db = Database::open(c);
  db.execute("CREATE TABLE t(x)");
  for (int i = 0; i < 10; ++i) db.execute("INSERT INTO t VALUES (?)", i);
  // The replicator's snapshot holds what committed before it (it may be all of the above):
  // only commits after it become segments, which the --txid restore and the damage below need.
  ASSERT_TRUE(testing::eventually([&] { return db.stats().replica_active; }));
  const std::uint64_t before = db.stats().replica_shipped_txid;  // the snapshot's txid or later
  for (int i = 10; i < 50; ++i) db.execute("INSERT INTO t VALUES (?)", i);

  auto r = sluice_cli("backup " + db_path + " " + dir.file("copy.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("integrity_check ok"), std::string::npos) << r.output;
  EXPECT_EQ(count_rows(dir.file("copy.db")), 50);
  r = sluice_cli("backup " + db_path + " " + dir.file("copy.db"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("exists"), std::string::npos) << r.output;

  ASSERT_TRUE(testing::eventually([&] { return db.stats().replica_shipped_txid >= before + 40; }))
      << "shipped txid " << db.stats().replica_shipped_txid << " (" << before << " when active), "
      << db.stats().replica_segments << " segments, " << db.stats().replica_pending_frames
      << " frames pending, " << db.stats().replica_errors << " errors";
  EXPECT_GE(db.stats().replica_segments, 1u);
  db.close();
  r = sluice_cli("replicas " + replica + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto gens = nlohmann::json::parse(r.output);
  ASSERT_EQ(gens.size(), 1u);
  const std::uint64_t last = gens[0]["last_txid"].get<std::uint64_t>();
  r = sluice_cli("replicas " + replica);
  EXPECT_NE(r.output.find("restorable: txid"), std::string::npos) << r.output;

  r = sluice_cli("restore " + replica + " --to " + dir.file("out.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_rows(dir.file("out.db")), 50);
  r = sluice_cli("restore " + replica + " --to " + dir.file("pit.db") + " --txid " +
                 std::to_string(last - 10));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_rows(dir.file("pit.db")), 40);

  // A damaged segment: exit 3 naming it; --allow-partial restores what precedes it.
  std::filesystem::path seg;
  for (const auto& g : std::filesystem::directory_iterator(replica + "/generations")) {
    for (const auto& s : std::filesystem::directory_iterator(g.path() / "segments")) {
      if (seg.empty() || s.path() < seg) seg = s.path();
    }
  }
  ASSERT_FALSE(seg.empty());
  std::filesystem::resize_file(seg, std::filesystem::file_size(seg) - 1);
  r = sluice_cli("restore " + replica + " --to " + dir.file("bad.db"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find(seg.filename().string()), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.db")));
  r = sluice_cli("restore " + replica + " --to " + dir.file("bad.db") + " --allow-partial");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("PARTIAL"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("bad.db")));
}

}  // namespace
}  // namespace sluice
