// A writer process of the crash test: T threads write (writer, seq) rows one at a time through
// Sluice, logging intent before and ack after each write (shared-memory log, log.h), until the
// supervisor kills the process or an armed kill point does. Before a kill point's SIGKILL the
// process waits until every caller Sluice told "ok" has logged its ack (the engine's ack
// barrier), so an ack given too early is on record. Any error is a finding: exit code 2.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "crashtest/crashtest.h"
#include "crashtest/log.h"
#include "engine/crash_points.h"
#include "sluice/sluice.h"
#include "support/ack_barrier.h"
#include "support/fault_vfs.h"
#include "support/oracle.h"

namespace sluice::crashtest {
namespace {

// A heavy job: replaces the writer's 500 filler rows in the same transaction as the row (so
// the job is big, but the database does not grow with the number of rounds).
constexpr const char* kFillerDelete = "DELETE FROM filler WHERE writer = ?";
constexpr const char* kFiller =
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 500) "
    "INSERT INTO filler(writer, i) SELECT ?, i FROM c";
constexpr int kHeavyEvery = 10;   // thread 0's every 10th write is heavy
constexpr int kMaxSeconds = 900;  // a child nobody killed stops by itself

void wait_before_kill() { testing::wait_for_acks(engine::acks_published()); }

Synchronous parse_mode(const std::string& m) {
  if (m == "off") return Synchronous::Off;
  if (m == "full") return Synchronous::Full;
  if (m == "extra") return Synchronous::Extra;
  return Synchronous::Normal;
}

}  // namespace

int run_child(const Options& o) {
  const auto start = std::chrono::steady_clock::now();
  testing::FaultVfs::install();  // pass-through unless mid-checkpoint is armed
  engine::set_ack_barrier(&testing::wait_for_acks);
  testing::FaultVfs::set_before_crash(&wait_before_kill);
  if (o.sabotage == "ack-before-commit") engine::set_sabotage(engine::Sabotage::AckBeforeCommit);
  if (o.kill_point == "mid-checkpoint") {
    testing::FaultVfs::kill_at_main_db_write(o.kill_nth);
  } else if (!o.kill_point.empty()) {
    engine::arm_crash_point(*engine::crash_point_from_string(o.kill_point), o.kill_nth);
  }
  try {
    LogWriter log(o.log);
    Config cfg;
    cfg.vfs = testing::FaultVfs::kName;
    cfg.synchronous = parse_mode(o.mode);
    cfg.checkpoint_pages = 100;  // checkpoints often, so kills land in them
    cfg.checkpoint_idle_ms = 50;
    Database db = Database::open(o.db, cfg);
    std::atomic<bool> first_ack{false};
    std::atomic<bool> failed{false};
    auto writer_thread = [&](int t) {
      const std::int64_t writer = o.writer_base + t;
      std::mt19937_64 rng(static_cast<std::uint64_t>(writer));
      try {
        for (std::int64_t seq = 1; !failed.load(); ++seq) {
          const auto payload = testing::row_payload(writer, seq, 20 + rng() % 200);
          const bool heavy = t == 0 && seq % kHeavyEvery == 0;
          log.intend(t, writer, seq);
          {
            testing::InWrite writing;
            db.write([&](Transaction& tx) {
              tx.exec(testing::kInsertRow, writer, seq, payload);
              if (heavy) {
                tx.exec(kFillerDelete, writer);
                tx.exec(kFiller, writer);
              }
            });
          }
          log.ack(t, seq);
          testing::logged();
          if (!first_ack.exchange(true)) {
            log.first_ack(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count());
          }
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "crashtest child %d: writer %lld failed: %s\n", ::getpid(),
                     static_cast<long long>(writer), e.what());
        failed.store(true);
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < o.threads; ++t) threads.emplace_back(writer_thread, t);
    // With mid-checkpoint armed, checkpoint often on this process's own connection too (the
    // cross-process checkpointer lease may be another process's).
    const auto until = start + std::chrono::seconds(kMaxSeconds);
    while (!failed.load() && std::chrono::steady_clock::now() < until) {
      if (o.kill_point == "mid-checkpoint") db.checkpoint(CheckpointMode::Passive);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    failed.store(true);
    for (auto& th : threads) th.join();
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crashtest child %d: %s\n", ::getpid(), e.what());
    return 2;
  }
}

}  // namespace sluice::crashtest
