// The side file after an OS crash or power loss. The file survives a reboot; the kernel state
// that tells a robust mutex its owner died does not. A lock word captured while a process held
// the writer lock and the checkpointer lease, written back after that process is gone, is what
// a reboot leaves: a TID of a dead thread and no owner-died mark. Opening the database must
// rebuild such locks at once (no Busy, checkpoints run), with the same or another boot id.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "common/eventually.h"
#include "common/temp_dir.h"
#include "coord/side_file_layout.h"
#include "multiprocess/child.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::Child;
using testing::eventually;
using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::string& path, const std::string& bytes) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::int64_t count(const std::string& db, const std::string& where) {
  Connection c = Connection::open(db, OpenOptions::read_only());
  return c.query("SELECT count(*) FROM t WHERE " + where).scalar<std::int64_t>();
}

// Captures the side file while a child holds the writer lock (mid-batch) and the checkpointer
// lease, SIGKILLs it, writes the capture back. Returns the dead holder's pid.
pid_t plant_locks_of_a_dead_process(const std::string& db, bool other_boot) {
  Child holder({"hold", db});
  EXPECT_EQ(holder.read_line(), "holding");
  EXPECT_TRUE(eventually([&] {
    const SideFileState s = read_side_file(db);
    return s.writer_lock_pid == holder.pid() && s.checkpointer_pid == holder.pid();
  }));
  const std::string side = read_side_file(db).path;
  std::string bytes = slurp(side);
  holder.kill(SIGKILL);
  EXPECT_EQ(holder.wait(), 128 + SIGKILL);
  if (other_boot) {
    const std::size_t at =
        offsetof(coord::SideLayout, header) + offsetof(coord::SideHeader, boot_id);
    const char previous[] = "00000000-0000-4000-8000-000000000000";
    std::memcpy(bytes.data() + at, previous, sizeof previous);
  }
  overwrite(side, bytes);
  return holder.pid();
}

class SideFileAfterReboot : public ::testing::TestWithParam<bool> {};

TEST_P(SideFileAfterReboot, LocksOfTheDeadAreRebuiltAtOpenAndWritesAndCheckpointsWorkAtOnce) {
  TempDir dir;
  const std::string db = dir.file("reboot.db");
  {
    Connection c = Connection::open(db);
    c.pragma("journal_mode=wal");
    c.exec_script(
        "CREATE TABLE t(proc INT, thread INT, i INT, payload BLOB,"
        " PRIMARY KEY(proc, thread, i))");
  }
  const pid_t dead = plant_locks_of_a_dead_process(db, GetParam());
  ASSERT_FALSE(HasFailure());
  // What the next boot finds: both locks name the dead process.
  const SideFileState planted = read_side_file(db);
  ASSERT_EQ(planted.writer_lock_pid, dead);
  ASSERT_EQ(planted.checkpointer_pid, dead);

  Config c = Config::production();  // checkpoint_pages 100
  c.path = db;
  c.busy_timeout_ms = 2000;  // a stale lock would fail the first write with Busy after this
  Database mine = Database::open(c);
  ASSERT_TRUE(eventually([&] { return mine.stats().checkpointer_active; }));
  EXPECT_EQ(read_side_file(db).checkpointer_pid, getpid());
  constexpr int kRows = 5000;
  for (int i = 0; i < kRows; ++i) {
    mine.execute("INSERT INTO t(proc, thread, i, payload) VALUES (1, 0, ?, randomblob(200))", i);
  }
  // ~1 MB of rows is ~250 pages of WAL: the checkpointer (threshold 100 pages) runs.
  ASSERT_TRUE(eventually([&] { return mine.stats().checkpoints > 0; }));
  const Stats s = mine.stats();
  EXPECT_EQ(s.jobs_ok, static_cast<std::uint64_t>(kRows));
  EXPECT_EQ(s.busy_timeouts, 0u);
  EXPECT_EQ(count(db, "proc = 1"), kRows);
  EXPECT_EQ(count(db, "proc = -2"), 0);  // the dead holder's batch never committed
  // The rebuilt locks still work as locks: another process's write waits for ours and goes on.
  Child other({"stream", db, "2", "50"});
  EXPECT_EQ(other.read_line(), "ready");
  EXPECT_EQ(other.read_line().rfind("done ", 0), 0u);
  EXPECT_EQ(other.wait(), 0);
  EXPECT_GT(count(db, "proc = 2"), 0);
}

INSTANTIATE_TEST_SUITE_P(SameAndOtherBootId, SideFileAfterReboot, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "OtherBootId" : "SameBootId";
                         });

}  // namespace
}  // namespace sluice
