// Read freshness: `level=none&freshness=D` reads may reuse a pooled snapshot at most D old
// (capped by ServerOptions::max_freshness); every other read takes a new snapshot, so a write
// acknowledged to a client is in its next read.
#include "server/query_params.h"
#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

using std::chrono::milliseconds;

class FreshnessTest : public ServerTest {
 protected:
  // Reopens the database with one pooled reader (each read meets the snapshot the previous one
  // kept) and the engine's default staleness `engine_staleness_ms`, then restarts the server.
  void reopen(int engine_staleness_ms, milliseconds max_freshness) {
    client_.reset();
    server_->stop();
    server_.reset();
    db_.reset();
    Config config = Config::production();
    config.pool_size = 1;
    config.coordinate_processes = false;
    config.max_staleness_ms = engine_staleness_ms;
    db_.emplace(Database::open((dir_ / "test.db").string(), config));
    ServerOptions options = default_options();
    options.max_freshness = max_freshness;
    start(options);
    execute(R"J(["CREATE TABLE t (i INTEGER PRIMARY KEY)"])J");
  }

  void insert(int i) { execute("[\"INSERT INTO t(i) VALUES(" + std::to_string(i) + ")\"]"); }
  std::string count(const std::string& params) {
    return nlohmann::json::parse(query_get("SELECT count(*) FROM t", params))["results"][0]
        .at("values")[0][0]
        .dump();
  }
};

TEST(ReadStaleness, OnlyLevelNoneWithFreshnessAllowsAStaleSnapshot) {
  const milliseconds cap(1000);
  auto staleness = [&](std::string_view query) {
    QueryParams p = QueryParams::parse(query);
    p.validate();
    return p.read_staleness(cap).count();
  };
  EXPECT_EQ(staleness("level=none&freshness=200ms"), 200);
  EXPECT_EQ(staleness("level=NONE&freshness=1500us"), 1);  // rounded down: never older than D
  EXPECT_EQ(staleness("level=none&freshness=1m"), 1000);   // capped
  EXPECT_EQ(staleness("level=none"), 0);
  EXPECT_EQ(staleness("freshness=1s"), 0);  // rqlite's default level is weak
  for (const char* level : {"weak", "strong", "linearizable", "auto"}) {
    EXPECT_EQ(staleness(std::string("freshness=1s&level=") + level), 0) << level;
  }
  QueryParams p = QueryParams::parse("level=none&freshness=1s");
  EXPECT_EQ(p.read_staleness(milliseconds(0)).count(), 0);  // --max-freshness 0 turns it off
}

TEST_F(FreshnessTest, AnAckedWriteIsInTheClientsNextDefaultRead) {
  // The engine would let reads keep snapshots for a minute; the server's default reads must
  // still take a new one, or this read thread (which never writes) would see old data.
  reopen(60'000, milliseconds(60'000));
  for (int i = 1; i <= 40; ++i) {
    insert(i);
    for (const char* params :
         {"", "&level=weak", "&level=strong", "&level=linearizable", "&level=none"}) {
      ASSERT_EQ(count(params), std::to_string(i)) << params;
    }
  }
  EXPECT_EQ(db_->stats().stale_snapshot_age_us.count, 0u);
}

TEST_F(FreshnessTest, AFreshnessReadMayReuseAKeptSnapshotThenADefaultReadSeesNewWrites) {
  reopen(0, milliseconds(60'000));
  insert(1);
  EXPECT_EQ(count("&level=none&freshness=1m"), "1");  // its snapshot is kept
  insert(2);
  EXPECT_EQ(count("&level=none&freshness=1m"), "1");  // within a minute: the kept snapshot
  const Stats stats = db_->stats();
  EXPECT_EQ(stats.stale_snapshot_age_us.count, 1u);
  EXPECT_LE(stats.stale_snapshot_age_us.max, 60'000'000u);
  EXPECT_EQ(count(""), "2");
  EXPECT_EQ(count("&level=none&freshness=1m"), "2");
}

// Whatever the timing, no read used a snapshot older than what it asked for (the engine's
// histogram max is exact).
TEST_F(FreshnessTest, NoFreshnessReadIsOlderThanItsBound) {
  reopen(0, milliseconds(60'000));
  for (int i = 1; i <= 100; ++i) {
    insert(i);
    count("&level=none&freshness=30ms");
  }
  EXPECT_LE(db_->stats().stale_snapshot_age_us.max, 30'000u);
}

TEST_F(FreshnessTest, TheServersCapBoundsALargerFreshness) {
  reopen(0, milliseconds(20));
  for (int i = 1; i <= 100; ++i) {
    insert(i);
    count("&level=none&freshness=1h");
  }
  EXPECT_LE(db_->stats().stale_snapshot_age_us.max, 20'000u);
}

}  // namespace
}  // namespace sluice::server::testing
