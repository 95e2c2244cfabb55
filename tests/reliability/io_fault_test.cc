// I/O errors through FaultVfs: for N = 1, 2, … fail the Nth write, sync or truncate (once or
// from then on) under a group-commit workload with an explicit TRUNCATE checkpoint, until the
// fault no longer fires. Write faults come as EIO or ENOSPC; sync faults as EIO (the kernel
// drops the unsynced pages, as Linux does) or ENOSPC (the pages stay dirty); truncate faults as
// EIO (the unix VFS reports every ftruncate errno the same way, so ENOSPC would repeat it).
// Each case runs synchronous=FULL with the checkpointer off (op numbers repeat exactly) and
// NORMAL with the checkpointer on (its error paths meet the faults). Each time:
//  - every failure reaches its caller as a typed error (IoError, DiskFull, WritesRefused);
//  - once a batch failed with an outcome unknown (the writer is poisoned), no write submitted
//    after it succeeds — checked in submission order, within the round;
//  - after the disk recovers and the database is reopened, the oracle: integrity_check ok,
//    every acknowledged row present with its payload, the rows a prefix of the commit order,
//    and no row of a write that was refused or rolled back (those are not "intended": a row of
//    theirs is a phantom); then writes work.
// Each case prints one summary line starting with "io-fault".
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "sluice/sluice.h"
#include "support/fault_vfs.h"
#include "support/oracle.h"

namespace sluice {
namespace {

using testing::FaultOp;
using testing::FaultVfs;
using testing::IoFault;
using testing::TempDir;
using testing::WriterLog;

constexpr int kRounds = 4;
constexpr int kJobsPerRound = 4;

struct Outcome {
  std::int64_t key = 0;
  std::optional<ErrorCode> error;  // nullopt = acknowledged
};

struct Case {
  FaultOp op;
  int error;
  bool persistent;
  Synchronous mode;  // FULL: checkpointer off; NORMAL: checkpointer on
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << to_string(c.op) << (c.error == ENOSPC ? " ENOSPC" : " EIO")
      << (c.persistent ? " persistent" : " once") << " synchronous=" << to_string(c.mode);
}

bool allowed(ErrorCode c) {
  return c == ErrorCode::IoError || c == ErrorCode::DiskFull || c == ErrorCode::WritesRefused;
}

sluice::Blob payload(std::int64_t key) { return testing::row_payload(key, 1, 1500); }

// The batch failed with an outcome unknown: its COMMIT (or a statement around its jobs) failed
// with an I/O error, which poisons the writer (engine/writer.cc), or the writer itself failed.
bool unknown_outcome(const Error& e) {
  if (e.code() == ErrorCode::Internal) return true;
  return (e.code() == ErrorCode::IoError || e.code() == ErrorCode::Corrupt) &&
         std::string(e.what()).find("batch not committed") != std::string::npos;
}

// Whether the write may be in the database: acknowledged, or failed with an outcome unknown.
// Writes refused (WritesRefused: never run) or rolled back (DiskFull) must not be there.
bool maybe_applied(const Outcome& o) {
  return !o.error || (*o.error != ErrorCode::WritesRefused && *o.error != ErrorCode::DiskFull);
}

// One run with the fault armed; returns every write's outcome. Checkpoint/open errors are
// checked for their type here.
std::vector<Outcome> run_workload(const std::string& path, Synchronous mode) {
  std::vector<Outcome> outcomes;
  Config cfg;
  cfg.vfs = FaultVfs::kName;
  cfg.synchronous = mode;
  if (mode == Synchronous::Full) {
    cfg.checkpoint_idle_ms = 3'600'000;  // no background checkpoint: op numbers repeat exactly
    cfg.checkpoint_pages = 10'000'000;
  } else {
    cfg.checkpoint_idle_ms = 10;  // the checkpointer runs between and during the rounds
    cfg.checkpoint_pages = 4;
  }
  std::optional<Database> db;
  try {
    db.emplace(Database::open(path, cfg));
  } catch (const Error& e) {
    EXPECT_TRUE(allowed(e.code())) << "open: " << e.what();
    return outcomes;
  }
  bool unknown = false;  // a write submitted earlier failed with an outcome unknown
  for (int round = 0; round < kRounds; ++round) {
    // A poisoned Database refuses at submit(); otherwise the answer comes through Pending.
    std::vector<std::optional<Pending<int>>> pending;
    std::vector<Outcome> round_outcomes;
    for (int j = 0; j < kJobsPerRound; ++j) {
      const std::int64_t key = round * kJobsPerRound + j + 1;
      round_outcomes.push_back({key, std::nullopt});
      try {
        pending.emplace_back(db->submit(
            [key](Transaction& tx) { return tx.exec(testing::kInsertRow, key, 1, payload(key)); }));
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::WritesRefused) << "submit " << key << ": " << e.what();
        round_outcomes.back().error = e.code();
        pending.emplace_back();
      }
    }
    for (int j = 0; j < kJobsPerRound; ++j) {
      Outcome o = round_outcomes[static_cast<std::size_t>(j)];
      if (!pending[static_cast<std::size_t>(j)]) {
        outcomes.push_back(o);
        continue;
      }
      try {
        pending[static_cast<std::size_t>(j)]->get();
        EXPECT_FALSE(unknown) << "write " << o.key
                              << " acknowledged after an earlier write's unknown outcome";
      } catch (const Error& e) {
        EXPECT_TRUE(allowed(e.code())) << "write " << o.key << ": " << e.what();
        o.error = e.code();
        unknown = unknown || unknown_outcome(e);
      }
      outcomes.push_back(o);
    }
    if (unknown) {
      EXPECT_TRUE(db->stats().writes_refused) << "an unknown outcome did not poison the writer";
    }
    if (round == 1) {
      try {
        db->checkpoint(CheckpointMode::Truncate);
      } catch (const Error& e) {
        EXPECT_TRUE(allowed(e.code())) << "checkpoint: " << e.what();
      }
    }
  }
  db->close();  // must not hang or crash with the disk still failing
  return outcomes;
}

class IoFaultTest : public ::testing::TestWithParam<Case> {};

TEST_P(IoFaultTest, NoFalseAckAndWritesWorkAfterReopen) {
  FaultVfs::install();
  const Case c = GetParam();
  std::uint64_t runs = 0, acked = 0, failed = 0, acked_lost = 0, rolled_back_present = 0;
  for (std::uint64_t n = 1;; ++n) {
    SCOPED_TRACE(std::string("fault: ") + to_string(c.op) + " #" + std::to_string(n));
    TempDir dir;
    const std::string path = dir.file("io.db");
    {
      Database setup = Database::open(path);
      setup.execute(testing::kRowsSchema);
    }
    FaultVfs::arm(IoFault{c.op, n, c.persistent, c.error});
    const std::vector<Outcome> outcomes = run_workload(path, c.mode);
    const bool fired = FaultVfs::fired();
    FaultVfs::disarm();  // the disk works again (space returned)

    std::vector<WriterLog> logs;
    for (const auto& o : outcomes) {
      logs.push_back({o.key, maybe_applied(o) ? 1 : 0, o.error ? 0 : 1});
      o.error ? ++failed : ++acked;
    }
    const testing::Verdict v = testing::check_database(path, logs);
    EXPECT_TRUE(v.ok(true)) << describe(v);
    acked_lost += v.acked_lost;

    Database db = Database::open(path);
    for (const auto& o : outcomes) {
      if (o.error != ErrorCode::DiskFull) continue;
      // DiskFull promises the transaction was rolled back: its row must not be there.
      const auto present = db.read([&](Connection& conn) {
        return conn.query("SELECT count(*) FROM rows WHERE writer = ?", o.key).scalar<int>();
      });
      EXPECT_EQ(present, 0) << "row " << o.key << " present though its write answered DiskFull";
      rolled_back_present += static_cast<std::uint64_t>(present);
    }
    db.execute(testing::kInsertRow, std::int64_t{1'000'000}, 1, payload(1'000'000));
    ++runs;
    if (!fired || ::testing::Test::HasFailure()) break;
  }
  std::printf(
      "io-fault op=%s error=%s persistent=%d synchronous=%s runs=%llu acked=%llu failed=%llu "
      "acked_lost=%llu diskfull_rows_present=%llu\n",
      to_string(c.op), c.error == ENOSPC ? "ENOSPC" : "EIO", c.persistent ? 1 : 0,
      std::string(to_string(c.mode)).c_str(), static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(acked), static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(acked_lost),
      static_cast<unsigned long long>(rolled_back_present));
}

// `fsyncgate`: the cases that meet the open finding below (false: every other case).
std::vector<Case> all_cases(bool fsyncgate) {
  std::vector<Case> cases;
  for (Synchronous mode : {Synchronous::Full, Synchronous::Normal}) {
    for (FaultOp op : {FaultOp::Write, FaultOp::Sync, FaultOp::Truncate}) {
      for (int error : {EIO, ENOSPC}) {
        if (op == FaultOp::Truncate && error == ENOSPC) continue;  // same as EIO (see above)
        for (bool persistent : {false, true}) {
          // NORMAL's write faults: once only (a persistent one repeats the first ~17 s of CI).
          if (mode == Synchronous::Normal && op == FaultOp::Write && persistent) continue;
          const bool meets_finding =
              mode == Synchronous::Normal && op == FaultOp::Sync && error == EIO;
          if (meets_finding == fsyncgate) cases.push_back({op, error, persistent, mode});
        }
      }
    }
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(to_string(info.param.op)) + "_" +
         (info.param.error == ENOSPC ? "ENOSPC" : "EIO") +
         (info.param.persistent ? "_persistent_" : "_once_") +
         std::string(to_string(info.param.mode));
}

INSTANTIATE_TEST_SUITE_P(Faults, IoFaultTest, ::testing::ValuesIn(all_cases(false)), case_name);

// OPEN FINDING (fsyncgate), disabled until the engine handles it; run it with
// --gtest_also_run_disabled_tests. Under NORMAL the checkpointer's fsync of the WAL is the
// first sync of the acked commits' frames. When it fails with EIO, Linux drops those dirty
// pages, but the checkpoint is simply retried later: readers and the next checkpoint then read
// the dropped frames as zeros — seen here as rows whose overflow pages are zeros with
// integrity_check ok (sync #3 once) and as every acked row lost (persistent). A failed fsync
// must poison the Database (refuse writes until reopen, as PostgreSQL panics) so that recovery
// settles the WAL; the acked NORMAL commits since the last good sync are then lost as in a
// power loss.
INSTANTIATE_TEST_SUITE_P(DISABLED_Fsyncgate, IoFaultTest, ::testing::ValuesIn(all_cases(true)),
                         case_name);

}  // namespace
}  // namespace sluice
