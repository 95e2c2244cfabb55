// Every warning `sluice inspect` gives, each from a real database in the state it warns about;
// the filesystem one through the classification of statfs types (no NFS or FUSE mount here).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/temp_dir.h"
#include "ops/wal_files.h"
#include "sluice/sluice.h"
#include "tools/cli_runner.h"

namespace sluice {
namespace {

using testing::sluice_cli;
using testing::TempDir;

// `sluice inspect --json` of `path`.
nlohmann::json inspect(const std::string& path) {
  auto r = sluice_cli("inspect " + path + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.exit_code == 0 ? nlohmann::json::parse(r.output) : nlohmann::json::object();
}

// How many of the warnings of `inspect` contain `text`.
int warned(const nlohmann::json& inspected, const std::string& text) {
  int n = 0;
  for (const auto& w : inspected["warnings"]) {
    n += w.get<std::string>().find(text) != std::string::npos ? 1 : 0;
  }
  return n;
}

// A plain SQLite connection in WAL mode that never checkpoints: its WAL stays while it is open.
Connection open_wal(const std::string& path) {
  Connection c = Connection::open(path);
  c.pragma("journal_mode=wal");
  c.pragma("wal_autocheckpoint=0");
  c.exec("CREATE TABLE t(x)");
  return c;
}

TEST(InspectWarnings, NetworkAndFuseFilesystemsAreUnsafeLocalOnesAreNot) {
  for (std::uint64_t nfs_smb_fuse : {0x6969ULL, 0xFF534D42ULL, 0xFE534D42ULL, 0x65735546ULL}) {
    EXPECT_TRUE(ops::filesystem_of_type(nfs_smb_fuse).wal_unsafe) << std::hex << nfs_smb_fuse;
  }
  EXPECT_EQ(ops::filesystem_of_type(0x6969).name, "nfs");
  EXPECT_EQ(ops::filesystem_of_type(0x65735546).name, "fuse");
  EXPECT_FALSE(ops::filesystem_of_type(0xEF53).wal_unsafe);      // ext4
  EXPECT_FALSE(ops::filesystem_of_type(0x01021994).wal_unsafe);  // tmpfs
  EXPECT_EQ(ops::filesystem_of_type(0x1234).name, "0x1234");
  // The test directory is local: no filesystem warning for it.
  TempDir dir;
  const std::string path = dir.file("local.db");
  Connection c = open_wal(path);
  EXPECT_FALSE(ops::filesystem_of(path).wal_unsafe) << ops::filesystem_of(path).name;
  EXPECT_EQ(warned(inspect(path), "filesystem"), 0);
}

TEST(InspectWarnings, WalOver64MiB) {
  TempDir dir;
  const std::string path = dir.file("big.db");
  Connection c = open_wal(path);
  c.exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(warned(inspect(path), "over 64 MiB"), 0);
  // A sparse tail past the last valid frame: the file is that large, no 64 MiB is written.
  std::filesystem::resize_file(path + "-wal", 65LL * 1024 * 1024);
  EXPECT_EQ(warned(inspect(path), "over 64 MiB"), 1);
}

TEST(InspectWarnings, ReaderPinningTheWal) {
  TempDir dir;
  const std::string path = dir.file("pinned.db");
  Connection writer = open_wal(path);
  writer.exec("INSERT INTO t VALUES (1)");
  Connection reader = Connection::open(path, OpenOptions::read_only());
  reader.exec("BEGIN");
  EXPECT_EQ(reader.query("SELECT count(*) FROM t").scalar<int>(), 1);
  EXPECT_EQ(warned(inspect(path), "holds a snapshot"), 0);  // its snapshot is the newest
  writer.exec("INSERT INTO t VALUES (2)");
  const auto pinned = inspect(path);
  EXPECT_EQ(warned(pinned, "holds a snapshot"), 1) << pinned.dump();
  reader.exec("COMMIT");
  EXPECT_EQ(warned(inspect(path), "holds a snapshot"), 0);
}

TEST(InspectWarnings, DeadProcessStillListed) {
  TempDir dir;
  const std::string path = dir.file("dead.db");
  { Database::open(path).execute("CREATE TABLE t(x)"); }
  EXPECT_EQ(warned(inspect(path), "is gone"), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Attached, then gone without detaching (as after SIGKILL): its slot stays listed.
    Database db = Database::open(path);
    db.execute("INSERT INTO t VALUES (1)");
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const auto inspected = inspect(path);
  EXPECT_EQ(warned(inspected, "Sluice process " + std::to_string(child) + " is gone"), 1)
      << inspected.dump();
  // The next process to attach reaps it.
  { Database again = Database::open(path); }
  EXPECT_EQ(warned(inspect(path), "is gone"), 0);
}

TEST(InspectWarnings, ManyFreePages) {
  TempDir dir;
  const std::string path = dir.file("free.db");
  {
    Connection c = Connection::open(path);
    c.exec("CREATE TABLE t(x BLOB)");
    c.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
        "INSERT INTO t SELECT zeroblob(2000) FROM n");
  }
  EXPECT_EQ(warned(inspect(path), "pages are free"), 0);
  { Connection::open(path).exec("DELETE FROM t"); }
  const auto freed = inspect(path);
  EXPECT_EQ(warned(freed, "pages are free"), 1) << freed.dump();
}

}  // namespace
}  // namespace sluice
