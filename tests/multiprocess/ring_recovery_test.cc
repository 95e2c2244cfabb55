// Leader death with the shared job ring: a real mp_child process takes another process's ring
// job into its batch and is SIGKILLed at a crash point — after taking it, mid-batch, before
// COMMIT, after COMMIT, while publishing outcomes. The next writer-lock holder (here the test's
// own Database) decides the job from the batch number committed in the database: the job is
// acknowledged only if committed, and applied exactly once. A job caught in two leader deaths
// fails with NotCommitted and is not applied.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "common/temp_dir.h"
#include "coord/job_ring.h"
#include "coord/side_file.h"
#include "engine/clock.h"
#include "multiprocess/child.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::Child;
using testing::TempDir;

constexpr const char* kInsert = "INSERT INTO t(proc, thread, i) VALUES (?, ?, ?)";
constexpr std::int64_t kTenSeconds = 10'000'000'000;

std::int64_t rows_of(Database& db, int proc) {
  return db.read([&](Connection& c) {
    return c.query("SELECT count(*) FROM t WHERE proc = ?", proc).scalar<std::int64_t>();
  });
}

struct RingSetup {
  TempDir dir;
  std::string path = dir.file("ring.db");
  Database db = [&] {
    Config c = Config::production();
    c.path = path;
    Database d = Database::open(c);
    d.execute("CREATE TABLE t(proc INT, thread INT, i INT, PRIMARY KEY(proc, thread, i))");
    return d;
  }();
  // A submitter without a writer of its own: its job runs only in another process's batch.
  std::unique_ptr<coord::SideFile> side = coord::SideFile::attach(path);
  coord::JobRing ring{*side};
};

// An mp_child that executes one row through the ring and dies at `point` while leading.
void leader_dies_at(const std::string& path, const std::string& point) {
  Child leader({"ring-crash", path, point});
  EXPECT_EQ(leader.wait(), 128 + SIGKILL)
      << "the leader did not die at " << point << ": " << leader.read_line();
}

class RingLeaderDeath : public ::testing::TestWithParam<const char*> {};

TEST_P(RingLeaderDeath, TheNextLockHolderAcksTheJobOnlyIfCommittedAndItIsAppliedOnce) {
  RingSetup s;
  const int job = s.ring.publish(kInsert, {std::int64_t{-4}, std::int64_t{0}, std::int64_t{0}});
  ASSERT_GE(job, 0);
  leader_dies_at(s.path, GetParam());
  // The dead leader took the job (it was published first). This process's writer is the next
  // writer-lock holder: it decides the job before committing anything of its own.
  s.db.execute(kInsert, -5, 0, 0);
  ASSERT_TRUE(s.ring.wait(job, engine::now_ns() + kTenSeconds));
  const coord::RingOutcome o = s.ring.collect(job);
  EXPECT_TRUE(o.ok) << o.message;
  EXPECT_EQ(o.changes, 1);
  EXPECT_EQ(rows_of(s.db, -4), 1);
  // The dead leader's own job: its submitter died, the job may still commit — once at most.
  EXPECT_LE(rows_of(s.db, -3), 1);
  EXPECT_EQ(rows_of(s.db, -5), 1);
  const bool ok = s.db.read([](Connection& c) {
    return c.query("PRAGMA integrity_check").scalar<std::string>() == "ok";
  });
  EXPECT_TRUE(ok);
}

INSTANTIATE_TEST_SUITE_P(KillPoints, RingLeaderDeath,
                         ::testing::Values("ring-taken", "mid-batch", "before-commit",
                                           "after-commit", "ring-publishing"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::erase(n, '-');
                           return n;
                         });

TEST(RingLeaderDeath, AJobCaughtInTwoLeaderDeathsFailsWithNotCommittedAndIsNotApplied) {
  RingSetup s;
  const int job = s.ring.publish(kInsert, {std::int64_t{-4}, std::int64_t{0}, std::int64_t{0}});
  ASSERT_GE(job, 0);
  leader_dies_at(s.path, "mid-batch");
  leader_dies_at(s.path, "mid-batch");  // recovers it (requeued once), takes it, dies again
  s.db.execute(kInsert, -5, 0, 0);
  ASSERT_TRUE(s.ring.wait(job, engine::now_ns() + kTenSeconds));
  const coord::RingOutcome o = s.ring.collect(job);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.code, ErrorCode::NotCommitted);
  EXPECT_EQ(rows_of(s.db, -4), 0);
  EXPECT_EQ(rows_of(s.db, -5), 1);
}

}  // namespace
}  // namespace sluice
