// Frames in the -wal file that SQLite does not count as committed (past the wal-index's mxFrame:
// a commit in progress, or one whose writer process died between writing its frames and
// publishing them) are never shipped. SQLite writes the next commit over them; a replica that
// had taken them as its position would fail the checksum chain of every commit after, until the
// WAL restarted, and the restore would lack those commits (issue 14, round two: the restored
// database of a takeover under TSan failed integrity_check).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "backup/replica_support.h"
#include "backup/wal_format.h"
#include "common/eventually.h"
#include "common/temp_dir.h"
#include "sluice/replica.h"

namespace sluice {
namespace {

namespace bk = backup;

void put_be32(unsigned char* p, std::uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

// Writes, after the last committed frame of `wal_path`, a copy of that frame chained and
// checksummed as the next commit: what a writer killed before publishing its commit leaves.
// Returns the number of committed frames before it.
std::uint64_t append_uncounted_commit(const std::string& wal_path) {
  const int fd = ::open(wal_path.c_str(), O_RDWR | O_CLOEXEC);
  EXPECT_GE(fd, 0) << wal_path;
  unsigned char h[bk::kWalHeaderBytes];
  EXPECT_EQ(::pread(fd, h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  const std::optional<bk::WalHeader> wal = bk::parse_wal_header(h);
  EXPECT_TRUE(wal.has_value());
  const bk::WalRun run = bk::read_committed(fd, wal_path, *wal, 1, wal->checksum, SIZE_MAX);
  EXPECT_GT(run.frames, 0u);
  const std::size_t frame_bytes = bk::kFrameHeaderBytes + wal->page_size;
  std::string frame = run.bytes.substr(run.bytes.size() - frame_bytes);  // the last commit frame
  auto* f = reinterpret_cast<unsigned char*>(frame.data());
  bk::Checksum c = bk::wal_checksum(wal->big_endian_checksums, f, 8, run.end);
  c = bk::wal_checksum(wal->big_endian_checksums, f + bk::kFrameHeaderBytes, wal->page_size, c);
  put_be32(f + 16, c.s0);
  put_be32(f + 20, c.s1);
  const auto offset = static_cast<off_t>(bk::kWalHeaderBytes + run.frames * frame_bytes);
  EXPECT_EQ(::pwrite(fd, f, frame_bytes, offset), static_cast<ssize_t>(frame_bytes));
  ::close(fd);
  return run.frames;
}

TEST(ReplicaUncountedFrames, AreNeverShippedAndTheCommitsWrittenOverThemAre) {
  testing::TempDir dir;
  const std::string db = dir.file("app.db"), replica = dir.file("replica");
  // A plain SQLite connection commits rows 1..10 and keeps a read transaction: the WAL stays in
  // this epoch (no restart) while the database below is open.
  Connection raw = Connection::open(db);
  raw.exec("PRAGMA journal_mode=WAL");
  raw.exec("CREATE TABLE rows(k INTEGER PRIMARY KEY, body BLOB)");
  for (int k = 1; k <= 10; ++k)
    raw.exec("INSERT INTO rows(k, body) VALUES (?, randomblob(100))", k);
  raw.exec("BEGIN");
  ASSERT_EQ(raw.query("SELECT count(*) FROM rows").scalar<std::int64_t>(), 10);
  append_uncounted_commit(db + "-wal");

  Database d = Database::open(testing::replicated_config(db, replica));
  ASSERT_TRUE(testing::eventually([&] { return d.stats().replica_active; }));
  const std::uint64_t snapshot_txid = d.stats().replica_shipped_txid;
  for (int k = 11; k <= 30; ++k) testing::write_row(d, k);  // over the uncounted frame
  ASSERT_TRUE(testing::eventually([&] {
    return d.stats().replica_shipped_txid >= snapshot_txid + 20;
  })) << "shipped txid "
      << d.stats().replica_shipped_txid << " (snapshot " << snapshot_txid << "), segments "
      << d.stats().replica_segments;
  d.close();
  raw.exec("COMMIT");

  restore_replica(*directory_target(replica), dir.file("restored.db"));
  const std::vector<std::int64_t> keys = testing::row_keys(dir.file("restored.db"));
  EXPECT_EQ(keys.size(), 30u);
  EXPECT_TRUE(testing::is_prefix(keys));
}

}  // namespace
}  // namespace sluice
