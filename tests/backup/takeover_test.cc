// Replication moves with the checkpointer lease: process A replicates while writing; B opens the
// same database with the same replica (standby); A is SIGKILLed; B takes the lease, resumes the
// generation when the WAL still continues it (or starts a new one), and ships its own writes.
// The restore holds every row B wrote, and A's rows as a gap-free prefix up to at least those
// acked more than the drill's lag bound before the kill. And the resume itself: frames the dead
// holder could not ship reach the replica before the new holder's first commit restarts the WAL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "backup/replica_support.h"
#include "common/eventually.h"
#include "common/temp_dir.h"
#include "sluice/replica.h"

namespace sluice {
namespace {

constexpr std::int64_t kBRows = 200;
constexpr std::int64_t kBFirst = 1'000'000;

TEST(ReplicaTakeover, TheNextLeaseHolderShipsAfterTheFirstDies) {
  testing::TempDir dir;
  const std::string db = dir.file("app.db"), replica = dir.file("replica");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      Database a = Database::open(testing::replicated_config(db, replica));
      testing::create_rows_table(a);
      for (std::int64_t k = 1;; ++k) {
        testing::write_row(a, k);
        if (::write(fds[1], &k, sizeof k) != sizeof k) ::_exit(3);
      }
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(fds[1]);
  std::int64_t k = 0;
  // A has written, and shipped at least once (its generation exists).
  while (k < 300 && ::read(fds[0], &k, sizeof k) == sizeof k) {
  }
  ASSERT_EQ(k, 300);
  ASSERT_TRUE(testing::eventually([&] { return !testing::segment_files(replica).empty(); }));
  Database b = Database::open(testing::replicated_config(db, replica));
  {
    int early = 0;
    const pid_t gone = ::waitpid(child, &early, WNOHANG);
    ASSERT_EQ(gone, 0) << "A ended before the kill: "
                       << (WIFSIGNALED(early) ? "signal " + std::to_string(WTERMSIG(early))
                                              : "exit " + std::to_string(WEXITSTATUS(early)));
  }
  EXPECT_FALSE(b.stats().checkpointer_active);
  ::kill(child, SIGKILL);
  std::int64_t last_acked = k;
  while (::read(fds[0], &k, sizeof k) == sizeof k) last_acked = k;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  ASSERT_TRUE(testing::eventually([&] { return b.stats().replica_active; }));
  for (std::int64_t i = 0; i < kBRows; ++i) testing::write_row(b, kBFirst + i);
  const bool resumed = b.stats().replica_generations == 0;
  b.close();

  const RestoreResult r = restore_replica(*directory_target(replica), dir.file("restored.db"));
  EXPECT_FALSE(r.partial);
  std::vector<std::int64_t> keys = testing::row_keys(dir.file("restored.db"));
  std::vector<std::int64_t> a_keys, b_keys;
  for (std::int64_t key : keys) (key >= kBFirst ? b_keys : a_keys).push_back(key);
  EXPECT_EQ(b_keys.size(), static_cast<std::size_t>(kBRows));
  EXPECT_TRUE(testing::is_prefix(a_keys));
  EXPECT_GE(a_keys.size(), 300u);  // shipped before B even opened
  EXPECT_LE(static_cast<std::int64_t>(a_keys.size()), last_acked + 1);
  EXPECT_EQ(testing::row_keys(dir.file("restored.db")), testing::row_keys(db));
  std::printf("[ takeover ] A acked %lld rows; B %s; restored %zu of A's rows + %zu of B's\n",
              static_cast<long long>(last_acked),
              resumed ? "resumed A's generation" : "started a new generation", a_keys.size(),
              b_keys.size());
}

// A config whose checkpointer, after its first cycle at open, leaves a WAL of a few hundred
// frames alone for an hour: the WAL never restarts under the writer, so the next lease holder
// finds the dead holder's WAL and resumes its generation.
Config resumable_config(const std::string& db, const std::string& replica) {
  Config c = testing::replicated_config(db, replica);
  c.checkpoint_pages = 100'000;
  c.checkpoint_idle_ms = 3'600'000;
  return c;
}

// Child of the regression test below: ships rows 1..100, then (the replica directory replaced
// by a file, so every put fails) commits rows 101..150 it cannot ship, reports 150 on `fd` and
// waits to be killed. Exits non-zero when a step does not happen.
[[noreturn]] void unshipped_tail_child(const std::string& db, const std::string& replica, int fd) {
  try {
    Database a = Database::open(resumable_config(db, replica));
    testing::create_rows_table(a);
    if (!testing::eventually([&] { return a.stats().replica_active; })) ::_exit(4);
    const std::uint64_t txid = a.stats().replica_shipped_txid;
    for (std::int64_t k = 1; k <= 100; ++k) testing::write_row(a, k);
    if (!testing::eventually([&] { return a.stats().replica_shipped_txid >= txid + 100; })) {
      ::_exit(5);
    }
    testing::swap_replica_with_a_file(replica);
    for (std::int64_t k = 101; k <= 150; ++k) testing::write_row(a, k);
    const std::uint64_t errors = a.stats().replica_errors;
    if (!testing::eventually([&] { return a.stats().replica_errors > errors; })) ::_exit(6);
    const std::int64_t done = 150;
    if (::write(fd, &done, sizeof done) != sizeof done) ::_exit(3);
    for (;;) ::pause();
  } catch (...) {
    ::_exit(2);
  }
}

// Regression (issue 14, round two): the new holder resumed at the WAL's end with a read
// transaction that, once its own first checkpoint had copied the WAL back, read the database file
// alone — so its first commit restarted the WAL over rows 101..150 before they were shipped, and
// the restore silently lacked them.
TEST(ReplicaTakeover, ResumeShipsTheDeadHoldersUnshippedFramesBeforeTheWalRestarts) {
  testing::TempDir dir;
  const std::string db = dir.file("app.db"), replica = dir.file("replica");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    unshipped_tail_child(db, replica, fds[1]);
  }
  ::close(fds[1]);
  std::int64_t done = 0;
  const bool reported = ::read(fds[0], &done, sizeof done) == sizeof done;
  ::close(fds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(reported && done == 150) << "child exit status " << WEXITSTATUS(status);
  testing::swap_replica_with_a_file(replica);

  // Copy the whole WAL back (as the next holder's first checkpoint does), keeping the WAL: this
  // connection stays open so that no close deletes it.
  OpenOptions read_write;
  read_write.mode = OpenOptions::Mode::ReadWrite;
  Connection other = Connection::open(db, read_write);
  {
    auto q = other.query("PRAGMA wal_checkpoint(PASSIVE)");
    ASSERT_TRUE(q.next());
    ASSERT_EQ(q.get<std::int64_t>(0), 0);                       // not busy
    ASSERT_GT(q.get<std::int64_t>(1), 0);                       // frames in the WAL
    ASSERT_EQ(q.get<std::int64_t>(2), q.get<std::int64_t>(1));  // all copied back
  }
  Database b = Database::open(resumable_config(db, replica));
  ASSERT_TRUE(testing::eventually([&] { return b.stats().replica_active; }));
  ASSERT_EQ(b.stats().replica_generations, 0u) << "B started a new generation: nothing to test";
  const std::uint64_t txid = b.stats().replica_shipped_txid;
  testing::write_row(b, kBFirst);
  ASSERT_TRUE(testing::eventually([&] { return b.stats().replica_shipped_txid > txid; }));
  b.close();

  const RestoreResult r = restore_replica(*directory_target(replica), dir.file("restored.db"));
  EXPECT_FALSE(r.partial);
  std::vector<std::int64_t> expected(150);
  for (std::int64_t k = 1; k <= 150; ++k) expected[static_cast<std::size_t>(k - 1)] = k;
  expected.push_back(kBFirst);
  EXPECT_EQ(testing::row_keys(dir.file("restored.db")), expected);
  Connection out = Connection::open(dir.file("restored.db"), OpenOptions::read_only());
  EXPECT_EQ(out.query("PRAGMA integrity_check").scalar<std::string>(), "ok");
}

}  // namespace
}  // namespace sluice
