// Simulated power loss (FaultVfs): a child process writes through Sluice on a disk whose
// unsynced sectors are dropped, kept or garbled when the power goes — at a random xSync or
// xWrite, or at the end of the workload. The parent then opens the files as the next boot
// would and asks the oracle: integrity_check ok, each writer's rows a prefix of its intents,
// and with synchronous=FULL not one acknowledged write lost. (NORMAL may lose the last commits.)
//
// Seeds per (mode, sector size): SLUICE_POWER_LOSS_SEEDS (CI default 30; `make reliability`
// runs 500, i.e. 1,000 per mode); SLUICE_POWER_LOSS_SEED=S replays one seed.
// Each case prints one summary line starting with "power-loss".
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "sluice/sluice.h"
#include "support/fault_vfs.h"
#include "support/oracle.h"
#include "support/seeds.h"

namespace sluice {
namespace {

using testing::FaultVfs;
using testing::PowerLoss;
using testing::TempDir;
using testing::Verdict;
using testing::WriterLog;

constexpr int kThreads = 3;
constexpr int kWritesPerThread = 60;

// Intents and acks live in shared memory: they survive the child's "power loss" (they model
// the clients' own durable logs, which are not on the failing disk).
struct Shared {
  std::atomic<std::int64_t> intended[kThreads];
  std::atomic<std::int64_t> acked[kThreads];
};

struct Case {
  Synchronous mode;
  int sector;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "synchronous=" << to_string(c.mode) << " sector=" << c.sector;
}

struct Totals {
  std::uint64_t seeds = 0, acked = 0, acked_lost = 0, integrity_failures = 0, prefix_violations = 0,
                phantoms = 0, unacked_kept = 0;
};

// The child: open on the failing disk, write, then lose power (at the chosen op, or at the end).
[[noreturn]] void run_child(const std::string& path, Synchronous mode, const PowerLoss& loss,
                            Shared& shared) {
  FaultVfs::start_power_loss(loss);
  try {
    Config cfg;
    cfg.vfs = FaultVfs::kName;
    cfg.synchronous = mode;
    cfg.checkpoint_pages = 40;  // checkpoints (and so NORMAL's syncs) happen within the run
    cfg.checkpoint_idle_ms = 10;
    Database db = Database::open(path, cfg);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(loss.seed * 31 + static_cast<std::uint64_t>(t));
        for (std::int64_t seq = 1; seq <= kWritesPerThread; ++seq) {
          shared.intended[t].store(seq);
          // 50..3000-byte payloads: some rows share a page, some spill to overflow pages.
          const auto size = static_cast<int>(50 + rng() % 2950);
          db.execute("INSERT INTO rows(writer, seq, payload) VALUES (?, ?, zeroblob(?))", t, seq,
                     size);
          shared.acked[t].store(seq);
          if (t == 0 && seq % 20 == 0) db.checkpoint(CheckpointMode::Truncate);
        }
      });
    }
    for (auto& th : threads) th.join();
  } catch (const std::exception& e) {
    // A power loss stops everything before any error could surface; an error means the child
    // never reached its crash point as planned.
    std::fprintf(stderr, "child failed: %s\n", e.what());
    std::_Exit(3);
  }
  FaultVfs::crash_now();
}

// The files as the crash left them, before anything opened them again.
void snapshot_files(const TempDir& dir) {
  const auto to = dir.path() / "as-crashed";
  std::filesystem::create_directories(to);
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.is_regular_file()) std::filesystem::copy_file(e.path(), to / e.path().filename());
  }
}

// Copies the as-crashed files somewhere that outlives the test, for a post-mortem.
std::string keep_files(const TempDir& dir, std::uint64_t seed) {
  const auto to =
      std::filesystem::temp_directory_path() /
      ("sluice-power-loss-seed-" + std::to_string(seed) + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(to);
  std::filesystem::copy(dir.path() / "as-crashed", to);
  return to.string();
}

void create_schema(const std::string& path) {
  Config cfg;
  cfg.synchronous = Synchronous::Full;
  Database db = Database::open(path, cfg);
  db.execute(testing::kRowsSchema);
}

class PowerLossTest : public ::testing::TestWithParam<Case> {};

TEST_P(PowerLossTest, AckedWritesSurviveAndSurvivorsArePrefixes) {
  FaultVfs::install();
  const Case c = GetParam();
  const bool acks_durable = c.mode == Synchronous::Full;
  auto* shared = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  Totals totals;
  for (std::uint64_t seed : testing::seeds_from_env("SLUICE_POWER_LOSS", 30)) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (replay: SLUICE_POWER_LOSS_SEED=" + std::to_string(seed) + ")");
    TempDir dir;
    const std::string path = dir.file("power.db");
    create_schema(path);
    std::mt19937_64 rng(seed);
    PowerLoss loss;
    loss.sector_size = c.sector;
    loss.seed = seed;
    switch (rng() % 3) {  // crash at a sync, at a write, or after the last write
      case 0:
        loss.crash_at_sync = 1 + rng() % (acks_durable ? 150 : 12);
        break;
      case 1:
        loss.crash_at_write = 1 + rng() % 600;
        break;
      default:
        break;
    }
    new (shared) Shared{};
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) run_child(path, c.mode, loss, *shared);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == FaultVfs::kPowerLossExitCode)
        << "child ended with status " << status;

    std::vector<WriterLog> logs;
    for (int t = 0; t < kThreads; ++t) {
      logs.push_back({t, shared->intended[t].load(), shared->acked[t].load()});
    }
    snapshot_files(dir);
    const Verdict v = testing::check_database(path, logs);
    EXPECT_TRUE(v.ok(acks_durable)) << describe(v) << "; files kept in " << keep_files(dir, seed);
    ++totals.seeds;
    totals.acked += v.acked;
    totals.acked_lost += v.acked_lost;
    totals.integrity_failures += v.integrity_ok ? 0 : 1;
    totals.prefix_violations += v.holes;
    totals.phantoms += v.phantoms;
    totals.unacked_kept += v.unacked_kept;

    // The next boot: Sluice opens it (recovering the side file's lock of the dead process) and
    // takes writes again.
    Database db = Database::open(path);
    db.execute("INSERT INTO rows(writer, seq) VALUES (-1, ?)", static_cast<std::int64_t>(seed));
    if (::testing::Test::HasFailure()) break;
  }
  munmap(shared, sizeof(Shared));
  std::printf(
      "power-loss synchronous=%s sector=%d seeds=%llu crashes=%llu acked=%llu acked_lost=%llu "
      "integrity_failures=%llu prefix_violations=%llu phantoms=%llu unacked_kept=%llu\n",
      std::string(to_string(c.mode)).c_str(), c.sector,
      static_cast<unsigned long long>(totals.seeds),
      static_cast<unsigned long long>(totals.seeds),  // every child must crash (asserted)
      static_cast<unsigned long long>(totals.acked),
      static_cast<unsigned long long>(totals.acked_lost),
      static_cast<unsigned long long>(totals.integrity_failures),
      static_cast<unsigned long long>(totals.prefix_violations),
      static_cast<unsigned long long>(totals.phantoms),
      static_cast<unsigned long long>(totals.unacked_kept));
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PowerLossTest,
    ::testing::Values(Case{Synchronous::Full, 512}, Case{Synchronous::Full, 4096},
                      Case{Synchronous::Normal, 512}, Case{Synchronous::Normal, 4096}),
    [](const auto& info) {
      return std::string(to_string(info.param.mode)) + "_" + std::to_string(info.param.sector);
    });

}  // namespace
}  // namespace sluice
