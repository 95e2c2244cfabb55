// JobRing: jobs published by one attachment are taken by another in publication order with a
// per-process cap; outcomes come back; a job whose deadline passes before any leader takes it is
// withdrawn; a full ring and an oversized job fall back; the submitting process is woken across
// processes; slots of dead submitters are reaped; a rebuilt side file starts with an empty ring.
#include "coord/job_ring.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/temp_dir.h"
#include "coord/side_file.h"
#include "coord/side_file_layout.h"
#include "engine/clock.h"
#include "sluice/error.h"

namespace sluice::coord {
namespace {

using testing::TempDir;

constexpr std::int64_t kSecond = 1'000'000'000;

std::int64_t in_seconds(int s) { return engine::now_ns() + s * kSecond; }

std::int64_t param_of(JobRing& ring, int slot) {
  return std::get<std::int64_t>(ring.job(slot).params.at(0));
}

TEST(JobRing, JobsOfEveryProcessAreTakenOldestFirstWithAPerProcessCap) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto a = SideFile::attach(db);
  auto b = SideFile::attach(db);
  auto leader = SideFile::attach(db);
  JobRing ra(*a), rb(*b), rl(*leader);
  for (std::int64_t i = 0; i < 3; ++i) ASSERT_GE(ra.publish("INSERT INTO t VALUES(?)", {i}), 0);
  ASSERT_GE(rb.publish("INSERT INTO t VALUES(?)", {std::int64_t{100}}), 0);
  EXPECT_TRUE(rl.has_work());

  std::vector<int> taken;
  EXPECT_EQ(rl.take(10, 2, 1, taken), 3u);  // a's third job waits for a batch
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(param_of(rl, taken[0]), 0);
  EXPECT_EQ(param_of(rl, taken[1]), 1);
  EXPECT_EQ(param_of(rl, taken[2]), 100);
  EXPECT_TRUE(rl.has_work());
  EXPECT_FALSE(rl.own(taken[0]));
  EXPECT_TRUE(ra.own(taken[0]));
  EXPECT_EQ(rl.taker(taken[0]), getpid());

  std::vector<int> rest;
  EXPECT_EQ(rl.take(10, 2, 1, rest), 1u);
  EXPECT_EQ(param_of(rl, rest[0]), 2);
  EXPECT_FALSE(rl.has_work());
}

TEST(JobRing, OutcomesReachTheSubmitterAndFreeTheSlot) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto sub = SideFile::attach(db);
  auto leader = SideFile::attach(db);
  JobRing rs(*sub), rl(*leader);
  const int ok = rs.publish("INSERT INTO t VALUES(1)", {});
  const int bad = rs.publish("INSERT INTO t VALUES(1)", {});
  std::vector<int> taken;
  ASSERT_EQ(rl.take(10, 10, 1, taken), 2u);
  rl.succeed(ok, 1, 77);
  rl.fail(bad, Error(ErrorCode::Constraint, "UNIQUE constraint failed: t.a", 2067));
  EXPECT_FALSE(rs.wait(ok, engine::now_ns()));
  EXPECT_FALSE(rs.withdraw(ok));  // taken: its outcome will come
  EXPECT_FALSE(rs.orphaned(ok));  // its leader lives
  rl.finish(taken);
  ASSERT_TRUE(rs.wait(ok, in_seconds(10)));
  ASSERT_TRUE(rs.wait(bad, in_seconds(10)));
  const RingOutcome o = rs.collect(ok);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.changes, 1);
  EXPECT_EQ(o.last_insert_rowid, 77);
  const RingOutcome f = rs.collect(bad);
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.code, ErrorCode::Constraint);
  EXPECT_EQ(f.sqlite_code, 2067);
  EXPECT_EQ(f.message, "UNIQUE constraint failed: t.a");
  EXPECT_EQ(sub->slot()->ring_depth.load(), 0u);
  EXPECT_EQ(sub->slot()->ring_jobs_submitted.load(), 2u);
  EXPECT_EQ(leader->slot()->ring_jobs_for_others.load(), 2u);
}

TEST(JobRing, AJobNotTakenBeforeItsDeadlineIsWithdrawnAndNeverRuns) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto sub = SideFile::attach(db);
  JobRing ring(*sub);
  const int slot = ring.publish("DELETE FROM t", {});
  ASSERT_GE(slot, 0);
  EXPECT_FALSE(ring.wait(slot, engine::now_ns()));
  EXPECT_TRUE(ring.withdraw(slot));
  std::vector<int> taken;
  EXPECT_EQ(ring.take(10, 10, 1, taken), 0u);
  EXPECT_EQ(sub->slot()->ring_depth.load(), 0u);
}

TEST(JobRing, AFullRingAndAnOversizedJobFallBackWithoutClaimingASlot) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto sub = SideFile::attach(db);
  JobRing ring(*sub);
  try {
    (void)ring.publish("INSERT INTO t VALUES(?)", {std::string(JobRing::job_capacity(), 'x')});
    FAIL() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find(std::to_string(JobRing::job_capacity())),
              std::string::npos);
  }
  for (int i = 0; i < kRingSlots; ++i) ASSERT_GE(ring.publish("DELETE FROM t", {}), 0) << i;
  EXPECT_EQ(ring.publish("DELETE FROM t", {}), -1);
  std::vector<int> taken;
  EXPECT_EQ(ring.take(1000, 1000, 1, taken), std::size_t{kRingSlots});
}

TEST(JobRing, TheSubmittingProcessIsWokenByALeaderInAnotherProcess) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto leader = SideFile::attach(db);
  JobRing rl(*leader);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sub = SideFile::attach(db);
    JobRing rs(*sub);
    const int slot = rs.publish("INSERT INTO t VALUES(?)", {std::int64_t{5}});
    if (slot < 0 || !rs.wait(slot, in_seconds(30))) _exit(2);
    const RingOutcome o = rs.collect(slot);
    _exit(o.ok && o.changes == 1 && o.last_insert_rowid == 5 ? 0 : 3);
  }
  std::vector<int> taken;
  const std::int64_t until = in_seconds(30);
  while (taken.empty() && engine::now_ns() < until) {
    if (rl.take(10, 10, 1, taken) == 0) std::this_thread::yield();
  }
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(param_of(rl, taken[0]), 5);
  rl.succeed(taken[0], 1, 5);
  rl.finish(taken);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(JobRing, SlotsOfADeadSubmitterAreReapedAndARebuiltSideFileHasAnEmptyRing) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto leader = SideFile::attach(db);
  JobRing rl(*leader);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sub = SideFile::attach(db).release();  // gone without detaching
    JobRing rs(*sub);
    _exit(rs.publish("DELETE FROM t", {}) >= 0 && rs.publish("DELETE FROM t", {}) >= 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  // A job whose submitter died may still run (documented); its outcome is never collected.
  std::vector<int> one;
  ASSERT_EQ(rl.take(1, 10, 1, one), 1u);
  rl.succeed(one[0], 1, 1);
  rl.finish(one);
  EXPECT_EQ(leader->reap_dead(), 1);
  EXPECT_EQ(leader->layout().ring_slots[one[0]].h.state.load(), 0u);  // DONE, owner gone: freed
  leader.reset();                                                     // nobody attached now
  auto again = SideFile::attach(db);
  JobRing ra(*again);
  std::vector<int> taken;
  EXPECT_EQ(ra.take(10, 10, 1, taken), 0u);  // the unrun job went with its process
  for (const RingSlot& r : again->layout().ring_slots) EXPECT_EQ(r.h.state.load(), 0u);
}

// A leader process that takes `slot` for `batch`, records `changes` as its provisional outcome
// and dies without publishing it (as SIGKILL after COMMIT, or mid-batch, would leave it).
void leader_dies_holding(const std::string& db, std::uint64_t batch, std::int64_t changes) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto side = SideFile::attach(db).release();
    JobRing ring(*side);
    std::vector<int> taken;
    if (ring.take(10, 10, batch, taken) != 1) _exit(1);
    ring.succeed(taken[0], changes, 0);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
}

TEST(JobRing, TheNextLockHolderPublishesACommittedOrphanAndRequeuesAnUncommittedOneOnce) {
  TempDir dir;
  const std::string db = dir.file("a.db");
  auto sub = SideFile::attach(db);
  auto next = SideFile::attach(db);
  JobRing rs(*sub), rn(*next);

  // Committed: the database says batch 5 committed, and the dead leader ran it in batch 5.
  const int a = rs.publish("INSERT INTO t VALUES (1)", {});
  leader_dies_holding(db, 5, 1);
  EXPECT_TRUE(rs.orphaned(a));
  EXPECT_TRUE(rn.has_orphans());
  EXPECT_EQ(rn.recover(5), 1);
  ASSERT_TRUE(rs.wait(a, in_seconds(10)));
  const RingOutcome committed = rs.collect(a);
  EXPECT_TRUE(committed.ok);
  EXPECT_EQ(committed.changes, 1);

  // Not committed (the database's batch is still 5, the leader ran batch 6): back in line once.
  const int b = rs.publish("INSERT INTO t VALUES (2)", {});
  leader_dies_holding(db, 6, 1);
  EXPECT_EQ(rn.recover(5), 1);
  EXPECT_FALSE(rs.wait(b, engine::now_ns()));
  EXPECT_TRUE(rn.has_work());
  // Its second leader dies before committing too: it fails, safe to retry.
  leader_dies_holding(db, 6, 1);
  EXPECT_EQ(rn.recover(5), 1);
  ASSERT_TRUE(rs.wait(b, in_seconds(10)));
  const RingOutcome failed = rs.collect(b);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.code, ErrorCode::NotCommitted);
  EXPECT_EQ(retry_advice(failed.code), RetryAdvice::kRetryCall);
  EXPECT_FALSE(rn.any_taken());
}

}  // namespace
}  // namespace sluice::coord
