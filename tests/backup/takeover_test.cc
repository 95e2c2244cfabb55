// Replication moves with the checkpointer lease: process A replicates while writing; B opens the
// same database with the same replica (standby); A is SIGKILLed; B takes the lease, resumes the
// generation when the WAL still continues it (or starts a new one), and ships its own writes.
// The restore holds every row B wrote, and A's rows as a gap-free prefix up to at least those
// acked more than the drill's lag bound before the kill.
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

}  // namespace
}  // namespace sluice
