// An I/O error of unknown outcome at COMMIT: nothing of the batch is acknowledged, and every
// later write is refused until the database is reopened (DESIGN.md "Contract").
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "sluice/sluice.h"
#include "support/fault_vfs.h"

namespace sluice {
namespace {

using testing::FaultOp;
using testing::FaultVfs;
using testing::IoFault;
using testing::TempDir;

TEST(IoError, FailedSyncAtCommitRefusesWritesUntilReopen) {
  FaultVfs::install();
  TempDir dir;
  Config cfg;
  cfg.vfs = FaultVfs::kName;
  cfg.synchronous = Synchronous::Full;  // COMMIT syncs the WAL
  {
    Database db = Database::open(dir.file("io.db"), cfg);
    db.execute("CREATE TABLE t(x INTEGER)");
    db.execute("INSERT INTO t VALUES (1)");

    FaultVfs::arm(IoFault{FaultOp::Sync, 1, true, EIO});  // every fsync fails
    try {
      db.execute("INSERT INTO t VALUES (2)");
      ADD_FAILURE() << "COMMIT with a failing fsync was acknowledged";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::IoError) << e.what();
      EXPECT_NE(std::string(e.what()).find("not committed"), std::string::npos) << e.what();
    }
    FaultVfs::disarm();

    // The disk works again, but the outcome of that COMMIT is unknown: writes stay refused.
    try {
      db.execute("INSERT INTO t VALUES (3)");
      ADD_FAILURE() << "write accepted after an unknown-outcome error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::WritesRefused) << e.what();
      EXPECT_NE(std::string(e.what()).find("reopen"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(db.stats().writes_refused);
    EXPECT_EQ(db.stats().commit_failures, 1u);
    // Reads still work.
    EXPECT_GE(
        db.read([](Connection& c) { return c.query("SELECT count(*) FROM t").scalar<int>(); }), 1);
  }
  // Reopened: writes work again, and row 3 (refused) is absent.
  Database db = Database::open(dir.file("io.db"), cfg);
  db.execute("INSERT INTO t VALUES (4)");
  EXPECT_EQ(db.read([](Connection& c) {
    return c.query("SELECT count(*) FROM t WHERE x IN (1, 4)").scalar<int>();
  }),
            2);
  EXPECT_EQ(db.read([](Connection& c) {
    return c.query("SELECT count(*) FROM t WHERE x = 3").scalar<int>();
  }),
            0);
}

}  // namespace
}  // namespace sluice
