// I/O errors through FaultVfs: for N = 1, 2, … fail the Nth write, sync or truncate (once or
// from then on, as EIO or ENOSPC) under a group-commit workload with an explicit TRUNCATE
// checkpoint, until N passes the last op. Each time:
//  - every failure reaches its caller as a typed error (IoError, DiskFull, WritesRefused);
//  - once an error of unknown outcome poisoned the writer, no later write succeeds;
//  - after the disk recovers and the database is reopened: integrity_check ok, every
//    acknowledged row present, no row a DiskFull answer said was rolled back, and writes work.
// Each case prints one summary line starting with "io-fault".
#include <gtest/gtest.h>

#include <optional>
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

constexpr const char* kInsertBlob =
    "INSERT INTO rows(writer, seq, payload) VALUES (?, ?, zeroblob(?))";
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
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << to_string(c.op) << (c.error == ENOSPC ? " ENOSPC" : " EIO")
      << (c.persistent ? " persistent" : " once");
}

bool allowed(ErrorCode c) {
  return c == ErrorCode::IoError || c == ErrorCode::DiskFull || c == ErrorCode::WritesRefused;
}

// One run with the fault armed; returns every write's outcome. Checkpoint/open errors are
// checked for their type here.
std::vector<Outcome> run_workload(const std::string& path) {
  std::vector<Outcome> outcomes;
  Config cfg;
  cfg.vfs = FaultVfs::kName;
  cfg.synchronous = Synchronous::Full;
  cfg.checkpoint_idle_ms = 3'600'000;  // no background checkpoint: op numbers repeat exactly
  cfg.checkpoint_pages = 10'000'000;
  std::optional<Database> db;
  try {
    db.emplace(Database::open(path, cfg));
  } catch (const Error& e) {
    EXPECT_TRUE(allowed(e.code())) << "open: " << e.what();
    return outcomes;
  }
  bool poisoned = false;
  for (int round = 0; round < kRounds; ++round) {
    // A poisoned Database refuses at submit(); otherwise the answer comes through Pending.
    std::vector<std::optional<Pending<int>>> pending;
    std::vector<Outcome> round_outcomes;
    for (int j = 0; j < kJobsPerRound; ++j) {
      const std::int64_t key = round * kJobsPerRound + j + 1;
      round_outcomes.push_back({key, std::nullopt});
      try {
        pending.emplace_back(
            db->submit([key](Transaction& tx) { return tx.exec(kInsertBlob, key, 1, 1500); }));
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
        EXPECT_FALSE(poisoned) << "write " << o.key << " acknowledged after an unknown outcome";
      } catch (const Error& e) {
        EXPECT_TRUE(allowed(e.code())) << "write " << o.key << ": " << e.what();
        o.error = e.code();
      }
      outcomes.push_back(o);
    }
    poisoned = db->stats().writes_refused;
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
    const std::vector<Outcome> outcomes = run_workload(path);
    const bool fired = FaultVfs::fired();
    FaultVfs::disarm();  // the disk works again (space returned)

    std::vector<WriterLog> logs;
    for (const auto& o : outcomes) {
      logs.push_back({o.key, 1, o.error ? 0 : 1});
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
    db.execute(kInsertBlob, std::int64_t{1'000'000}, 1, 10);
    ++runs;
    if (!fired || ::testing::Test::HasFailure()) break;
  }
  std::printf(
      "io-fault op=%s error=%s persistent=%d runs=%llu acked=%llu failed=%llu "
      "acked_lost=%llu diskfull_rows_present=%llu\n",
      to_string(c.op), c.error == ENOSPC ? "ENOSPC" : "EIO", c.persistent ? 1 : 0,
      static_cast<unsigned long long>(runs), static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(failed), static_cast<unsigned long long>(acked_lost),
      static_cast<unsigned long long>(rolled_back_present));
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (FaultOp op : {FaultOp::Write, FaultOp::Sync, FaultOp::Truncate}) {
    for (int error : {EIO, ENOSPC}) {
      for (bool persistent : {false, true}) cases.push_back({op, error, persistent});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Faults, IoFaultTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           return std::string(to_string(info.param.op)) + "_" +
                                  (info.param.error == ENOSPC ? "ENOSPC" : "EIO") +
                                  (info.param.persistent ? "_persistent" : "_once");
                         });

}  // namespace
}  // namespace sluice
