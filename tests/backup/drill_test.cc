// The disaster drill at CI size: a child process writes one numbered row per commit with
// replication on and reports each acknowledgement, with how many rows the replicator had shipped
// by then (Stats::replica_shipped_txid, which moves once a ship is recorded), through a pipe; it
// is SIGKILLed mid-stream, the database (and its -wal, -shm, side file) deleted, and the replica
// restored. Every row reported shipped before the kill must be there, nothing beyond the next
// row the child could have attempted, as a gap-free prefix, integrity ok (restore checks it).
// Rounds: SLUICE_DRILL_ROUNDS (default 2). Each round prints the replica's lag at the kill; the
// lag bound (rows acked more than SLUICE_DRILL_LAG_BOUND_MS before the kill are there) is a
// timed target, asserted only when that variable is set (`make reliability` sets 1000): on a
// machine shared with builds the lag follows the disk (measured 2–580 ms in Release, up to 1.1 s
// under load and ASan), so CI checks what is exact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "backup/replica_support.h"
#include "common/temp_dir.h"
#include "sluice/replica.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRowsPerSecond = 5000;

// What the child reports after each acknowledged row.
struct AckMessage {
  std::int64_t k;        // row k is committed
  std::int64_t shipped;  // rows 1..shipped are in the replica (position recorded)
};

[[noreturn]] void child_writer(const std::string& db, const std::string& replica, int ack_fd) {
  try {
    {
      Database plain = Database::open(testing::replicated_config(db, ""));  // no replica
      testing::create_rows_table(plain);
    }
    // The table exists before replication starts and no row is written before its snapshot:
    // every commit after the snapshot's txid is one row.
    Database d = Database::open(testing::replicated_config(db, replica));
    const auto give_up = Clock::now() + std::chrono::seconds(30);
    while (!d.stats().replica_active) {
      if (Clock::now() > give_up) ::_exit(4);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::uint64_t snapshot_txid = d.stats().replica_shipped_txid;
    // Paced at kRowsPerSecond: at full rate (~30k one-row commits/s, ~180 MB/s of WAL frames)
    // shipping falls behind on this 2-core machine and the lag grows with the run
    // (docs/backup.md); the drill checks the kill and the restore, at a rate the replica holds.
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t k = 1;; ++k) {
      std::this_thread::sleep_until(start +
                                    k * std::chrono::microseconds(1'000'000 / kRowsPerSecond));
      testing::write_row(d, k);
      const AckMessage m{k,
                         static_cast<std::int64_t>(d.stats().replica_shipped_txid - snapshot_txid)};
      if (::write(ack_fd, &m, sizeof m) != sizeof m) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
}

struct Ack {
  std::int64_t k;
  std::int64_t shipped;
  Clock::time_point at;
};

TEST(ReplicaDrill, SigkillTheWriterDeleteTheDatabaseRestore) {
  const char* env = std::getenv("SLUICE_DRILL_ROUNDS");
  const int rounds = env ? std::atoi(env) : 2;
  const char* bound_env = std::getenv("SLUICE_DRILL_LAG_BOUND_MS");
  const int lag_bound_ms = bound_env ? std::atoi(bound_env) : 0;  // 0: not asserted
  const int run_ms = std::max(lag_bound_ms, 1000);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    testing::TempDir dir;
    const std::string db = dir.file("app.db"), replica = dir.file("replica");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      child_writer(db, replica, fds[1]);
    }
    ::close(fds[1]);
    std::vector<Ack> acks;
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    // Run for a while past the lag bound (and a random extra), so that rows acked long before
    // the kill exist.
    const auto run_for = std::chrono::milliseconds(run_ms + 300 + 97 * (round % 10));
    AckMessage m{};
    while (Clock::now() < give_up) {
      if (::read(fds[0], &m, sizeof m) != sizeof m) break;
      acks.push_back({m.k, m.shipped, Clock::now()});
      if (acks.size() >= 200 && Clock::now() - acks.front().at >= run_for) break;
    }
    ::kill(child, SIGKILL);
    const auto killed_at = Clock::now();
    while (::read(fds[0], &m, sizeof m) == sizeof m) acks.push_back({m.k, m.shipped, killed_at});
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended by itself, status " << status;
    ASSERT_GE(acks.size(), 200u);
    for (const char* suffix : {"", "-wal", "-shm", "-sluice"}) {
      std::filesystem::remove(db + suffix);
    }

    const RestoreResult r = restore_replica(*directory_target(replica), dir.file("restored.db"));
    EXPECT_FALSE(r.partial);
    const std::vector<std::int64_t> keys = testing::row_keys(dir.file("restored.db"));
    EXPECT_TRUE(testing::is_prefix(keys));
    const auto restored = static_cast<std::int64_t>(keys.size());
    std::int64_t shipped = 0;
    for (const Ack& a : acks) shipped = std::max(shipped, a.shipped);
    const std::int64_t last_acked = acks.back().k;
    EXPECT_GE(restored, shipped);         // nothing the replicator had recorded is lost
    EXPECT_LE(restored, last_acked + 1);  // at most the row in flight at the kill
    if (lag_bound_ms > 0) {
      std::int64_t acked_before_bound = 0;
      for (const Ack& a : acks) {
        if (a.at <= killed_at - std::chrono::milliseconds(lag_bound_ms)) acked_before_bound = a.k;
      }
      EXPECT_GE(restored, acked_before_bound)
          << "the replica lagged more than " << lag_bound_ms << " ms at the kill";
    }
    // The replica's lag at the kill: since the oldest acked row missing from it was acked.
    double lag_ms = 0;
    for (const Ack& a : acks) {
      if (a.k == restored + 1) {
        lag_ms = std::chrono::duration<double, std::milli>(killed_at - a.at).count();
        break;
      }
    }
    std::printf(
        "[ drill    ] round %d: %lld rows acked, %lld reported shipped, %lld restored (%lld "
        "acked rows newer than the replica; lag at the kill %.0f ms)\n",
        round, static_cast<long long>(last_acked), static_cast<long long>(shipped),
        static_cast<long long>(restored),
        static_cast<long long>(std::max<std::int64_t>(last_acked - restored, 0)), lag_ms);
  }
}

}  // namespace
}  // namespace sluice
