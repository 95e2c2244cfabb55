// Continuous replication and restore: the restored file equals the source at a commit
// boundary, also across WAL restarts; a restore at a txid holds exactly the commits up to it;
// damaged, truncated or missing segments and snapshots are reported by name (or, with
// allow_partial, restored to the last consistent point); a replica that fails for a while loses
// nothing and resumes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backup/file_io.h"
#include "backup/replica_support.h"
#include "backup/segment.h"
#include "common/eventually.h"
#include "common/temp_dir.h"
#include "sluice/replica.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr std::int64_t kRows = 400;

// A replica of kRows single-row commits, the database closed (its last commits shipped).
struct Replicated {
  TempDir dir;
  std::string db = dir.file("src.db");
  std::string replica = dir.file("replica");
  std::vector<std::int64_t> source_keys;

  Replicated() {
    Database d = Database::open(testing::replicated_config(db, replica));
    testing::create_rows_table(d);
    for (std::int64_t k = 1; k <= kRows; ++k) write_row_and_maybe_wait(d, k);
    d.close();
    source_keys = testing::row_keys(db);
  }

  // Every 100 rows, wait until the replicator shipped them: the replica then has many segments.
  // (The shipped txid is read before the row: row k's commit is newer than anything shipped
  // then, so it moves past it once row k is shipped — read after, it may already include k.)
  static void write_row_and_maybe_wait(Database& d, std::int64_t k) {
    const std::uint64_t txid = d.stats().replica_shipped_txid;
    testing::write_row(d, k);
    if (k % 100 != 0) return;
    EXPECT_TRUE(testing::eventually([&] { return d.stats().replica_shipped_txid > txid; }));
  }

  RestoreResult restore(const std::string& out, RestoreOptions o = {}) const {
    return restore_replica(*directory_target(replica), out, o);
  }
};

std::string error_text(auto fn, ErrorCode expected) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

// Segments that begin a WAL epoch (the WAL restarted before them) in the newest generation.
int epochs_in(const std::string& replica) {
  int epochs = 0;
  for (const fs::path& p : testing::segment_files(replica)) {
    const std::string bytes = backup::read_file(p.string());
    if (backup::decode_segment(bytes, p.string()).header.first_frame == 1) ++epochs;
  }
  return epochs;
}

TEST(Replica, RestoreEqualsTheSourceAcrossWalRestarts) {
  Replicated r;
  ASSERT_EQ(r.source_keys.size(), static_cast<std::size_t>(kRows));
  {
    // More rounds of writes, each followed by a pause in which a checkpoint cycle completes, until
    // the WAL has restarted (a new epoch of segments) at least twice.
    Database d = Database::open(testing::replicated_config(r.db, r.replica));
    std::int64_t k = kRows;
    for (int round = 0; round < 50 && (round == 0 || epochs_in(r.replica) < 2); ++round) {
      const std::uint64_t checkpoints = d.stats().checkpoints;
      const std::uint64_t txid = d.stats().replica_shipped_txid;
      // A different count each round: the checkpointer tells WALs apart by their frame count,
      // and after a restart the same 50 rows would leave the count its last cycle already saw.
      for (int i = 0; i < 50 + round; ++i) testing::write_row(d, ++k);
      ASSERT_TRUE(testing::eventually([&] {
        const Stats s = d.stats();
        return s.replica_shipped_txid >= txid + 50 && s.checkpoints > checkpoints;
      })) << "round "
          << round << ": shipped " << d.stats().replica_shipped_txid << " (from " << txid
          << "), checkpoints " << d.stats().checkpoints << " (from " << checkpoints
          << "), generations " << d.stats().replica_generations << ", errors "
          << d.stats().replica_errors;
    }
    EXPECT_GE(epochs_in(r.replica), 2);
    d.close();
    r.source_keys = testing::row_keys(r.db);
  }
  const RestoreResult res = r.restore(r.dir.file("out.db"));
  EXPECT_FALSE(res.partial);
  EXPECT_GT(r.source_keys.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(testing::row_keys(r.dir.file("out.db")), r.source_keys);
  Connection out = Connection::open(r.dir.file("out.db"), OpenOptions::read_only());
  EXPECT_EQ(out.pragma("journal_mode"), "delete");
  EXPECT_EQ(out.query("PRAGMA integrity_check").scalar<std::string>(), "ok");

  const std::vector<GenerationInfo> gens = list_generations(*directory_target(r.replica));
  ASSERT_EQ(gens.size(), 2u);  // the reopen started a second generation
  EXPECT_EQ(gens[1].last_txid, res.txid);
  EXPECT_GT(gens[1].segments, 1u);
  EXPECT_EQ(error_text([&] { r.restore(r.dir.file("out.db")); }, ErrorCode::InvalidArgument)
                    .find("exists") != std::string::npos,
            true);
}

TEST(Replica, PointInTimeRestoreHoldsExactlyTheCommitsUpToTheTxid) {
  Replicated r;
  const GenerationInfo g = list_generations(*directory_target(r.replica)).at(0);
  std::mt19937_64 rng(14);
  std::vector<std::uint64_t> txids = {g.snapshot_txid, g.last_txid};
  for (int i = 0; i < 8; ++i) {
    txids.push_back(
        std::uniform_int_distribution<std::uint64_t>(g.snapshot_txid, g.last_txid)(rng));
  }
  for (std::uint64_t txid : txids) {
    const std::string out = r.dir.file("pit-" + std::to_string(txid) + ".db");
    if (fs::exists(out)) continue;
    RestoreOptions o;
    o.txid = txid;
    EXPECT_EQ(r.restore(out, o).txid, txid);
    const std::vector<std::int64_t> keys = testing::row_keys(out);
    // One row per commit after the snapshot: exactly the rows of commits <= txid.
    EXPECT_TRUE(testing::is_prefix(keys)) << "txid " << txid;
    EXPECT_EQ(static_cast<std::int64_t>(keys.size()),
              kRows - static_cast<std::int64_t>(g.last_txid - txid))
        << "txid " << txid;
  }
  RestoreOptions past;
  past.txid = g.last_txid + 1;
  error_text([&] { r.restore(r.dir.file("past.db"), past); }, ErrorCode::InvalidArgument);
  RestoreOptions before;
  before.at_unix_ms = g.snapshot_unix_ms - 1;
  error_text([&] { r.restore(r.dir.file("before.db"), before); }, ErrorCode::InvalidArgument);
  RestoreOptions at_end;
  at_end.at_unix_ms = g.last_unix_ms;
  EXPECT_EQ(r.restore(r.dir.file("at.db"), at_end).txid, g.last_txid);
}

void flip_byte(const fs::path& p, std::uintmax_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
}

// Damages one segment (the middle one, or the last), then checks that restore names it, and
// that allow_partial restores exactly the commits before it.
void check_damage(const std::string& how, bool last) {
  SCOPED_TRACE(how + (last ? " (last segment)" : " (middle segment)"));
  Replicated r;
  const std::vector<fs::path> segs = testing::segment_files(r.replica);
  ASSERT_GE(segs.size(), 3u);
  const fs::path victim = last ? segs.back() : segs[segs.size() / 2];
  const std::string before_bytes = backup::read_file(victim.string());
  const backup::Segment seg = backup::decode_segment(before_bytes, victim.string());
  if (how == "truncate") fs::resize_file(victim, fs::file_size(victim) - 100);
  // In the last frame's page (a segment may hold a single frame: fewer than 5,000 bytes).
  if (how == "flip") flip_byte(victim, fs::file_size(victim) - seg.header.page_size / 2);
  if (how == "flip-header") flip_byte(victim, 20);
  if (how == "delete") fs::remove(victim);
  const std::string msg = error_text([&] { r.restore(r.dir.file("out.db")); }, ErrorCode::Corrupt);
  EXPECT_NE(msg.find(victim.filename().string()), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(r.dir.file("out.db")));
  RestoreOptions o;
  o.allow_partial = true;
  const RestoreResult res = r.restore(r.dir.file("out.db"), o);
  EXPECT_TRUE(res.partial);
  ASSERT_EQ(res.problems.size(), 1u);
  EXPECT_EQ(res.txid, seg.header.first_txid - 1);
  const std::vector<std::int64_t> keys = testing::row_keys(r.dir.file("out.db"));
  EXPECT_TRUE(testing::is_prefix(keys));
  const GenerationInfo g = list_generations(*directory_target(r.replica)).at(0);
  EXPECT_EQ(static_cast<std::int64_t>(keys.size()),
            kRows - static_cast<std::int64_t>(g.last_txid - res.txid));
}

TEST(ReplicaDamage, TruncatedSegment) { check_damage("truncate", false); }
TEST(ReplicaDamage, FlippedPageByte) { check_damage("flip", false); }
TEST(ReplicaDamage, FlippedHeaderByteOfTheLastSegment) { check_damage("flip-header", true); }
TEST(ReplicaDamage, DeletedMiddleSegment) { check_damage("delete", false); }
TEST(ReplicaDamage, DeletedLastSegment) { check_damage("delete", true); }

TEST(ReplicaDamage, DamagedSnapshotIsReported) {
  Replicated r;
  const fs::path snap =
      testing::segment_files(r.replica).front().parent_path().parent_path() / "snapshot.db";
  flip_byte(snap, 100);
  const std::string msg = error_text([&] { r.restore(r.dir.file("out.db")); }, ErrorCode::Corrupt);
  EXPECT_NE(msg.find("snapshot.db"), std::string::npos) << msg;
}

// Four threads commit kRowsPerPhase rows each, concurrently, and are joined.
constexpr int kWriters = 4;
constexpr int kRowsPerPhase = 150;

void write_phase(Database& db, int phase) {
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&db, phase, t] {
      for (int n = 0; n < kRowsPerPhase; ++n) {
        db.execute("INSERT INTO t(thread, n) VALUES (?, ?)", t, phase * kRowsPerPhase + n);
      }
    });
  }
  for (auto& w : writers) w.join();
}

// Phases of concurrent commits: shipped; committed while every put fails (acknowledged all the
// same, kept in the WAL); shipped once the target works again, in the same generation. The
// restore holds every row. Bounded work (also under TSan), waits on the Stats counters only.
TEST(Replica, ConcurrentWritersAndAStalledReplicaLoseNothing) {
  TempDir dir;
  const std::string db_path = dir.file("src.db"), replica = dir.file("replica");
  {
    Database plain = Database::open(testing::replicated_config(db_path, ""));  // no replica
    plain.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, thread INTEGER, n INTEGER)");
  }
  Database db = Database::open(testing::replicated_config(db_path, replica));
  // Active before the first row: every later commit (a group commit of one or more rows; the
  // writer's commit counter) is one txid after the snapshot's.
  ASSERT_TRUE(testing::eventually([&] { return db.stats().replica_active; }));
  const std::uint64_t snapshot_txid = db.stats().replica_shipped_txid;
  const auto counters = [&] {
    const Stats st = db.stats();
    return "shipped txid " + std::to_string(st.replica_shipped_txid) + " (snapshot " +
           std::to_string(snapshot_txid) + "), segments " + std::to_string(st.replica_segments) +
           ", errors " + std::to_string(st.replica_errors) + ", pending " +
           std::to_string(st.replica_pending_frames) + ", generations " +
           std::to_string(st.replica_generations) + ", commits " + std::to_string(st.commits);
  };
  const auto shipped = [&] { return db.stats().replica_shipped_txid - snapshot_txid; };
  constexpr std::int64_t kPhaseRows = kWriters * kRowsPerPhase;

  write_phase(db, 0);
  const std::uint64_t phase0_commits = db.stats().commits;
  ASSERT_TRUE(testing::eventually([&] { return shipped() >= phase0_commits; })) << counters();

  // The replica's directory becomes a file: every put fails; commits go on.
  testing::swap_replica_with_a_file(replica);
  write_phase(db, 1);
  ASSERT_TRUE(testing::eventually([&] { return db.stats().replica_errors > 0; })) << counters();
  write_phase(db, 2);
  EXPECT_TRUE(db.stats().replica_active);
  EXPECT_EQ(shipped(), phase0_commits) << counters();
  EXPECT_GT(db.stats().replica_pending_frames, 0u) << counters();

  // The target returns: shipping resumes in the same generation.
  testing::swap_replica_with_a_file(replica);
  const std::uint64_t errors = db.stats().replica_errors;
  write_phase(db, 3);
  const std::uint64_t all_commits = db.stats().commits;
  ASSERT_TRUE(testing::eventually([&] { return shipped() >= all_commits; })) << counters();
  EXPECT_EQ(db.stats().replica_generations, 1u);
  EXPECT_LE(db.stats().replica_errors, errors + 1);  // at most a put in flight at the swap
  db.close();
  const RestoreResult res = restore_replica(*directory_target(replica), dir.file("out.db"));
  EXPECT_FALSE(res.partial);
  Connection src = Connection::open(db_path, OpenOptions::read_only());
  Connection out = Connection::open(dir.file("out.db"), OpenOptions::read_only());
  const std::string sql = "SELECT count(*), sum(thread * 1000003 + n) FROM t";
  EXPECT_EQ(src.query("SELECT count(*) FROM t").scalar<std::int64_t>(), 4 * kPhaseRows);
  EXPECT_EQ(src.query(sql).scalar<std::int64_t>(), out.query(sql).scalar<std::int64_t>());
  EXPECT_EQ(src.query("SELECT sum(thread * 1000003 + n) FROM t").scalar<std::int64_t>(),
            out.query("SELECT sum(thread * 1000003 + n) FROM t").scalar<std::int64_t>());
}

TEST(Replica, ReopeningStartsANewGenerationAndTxidsKeepGrowing) {
  TempDir dir;
  const std::string db_path = dir.file("src.db"), replica = dir.file("replica");
  for (int round = 0; round < 2; ++round) {
    Database db = Database::open(testing::replicated_config(db_path, replica));
    testing::create_rows_table(db);
    for (int k = 1; k <= 20; ++k) testing::write_row(db, round * 100 + k);
    ASSERT_TRUE(testing::eventually([&] { return db.stats().replica_generations == 1; }));
  }
  const auto gens = list_generations(*directory_target(replica));
  ASSERT_EQ(gens.size(), 2u);
  EXPECT_GT(gens[1].snapshot_txid, gens[0].last_txid);
  restore_replica(*directory_target(replica), dir.file("out.db"));
  EXPECT_EQ(testing::row_keys(dir.file("out.db")), testing::row_keys(db_path));
  RestoreOptions o;
  o.txid = gens[0].last_txid;
  restore_replica(*directory_target(replica), dir.file("old.db"), o);
  EXPECT_EQ(testing::row_keys(dir.file("old.db")).size(), 20u);
}

}  // namespace
}  // namespace sluice
