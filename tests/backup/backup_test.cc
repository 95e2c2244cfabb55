// backup_file() / Database::backup_to(): a copy taken while writer threads commit without pause
// finishes, passes integrity_check, holds every write acknowledged before the backup began and
// is transactionally consistent (each write inserts into two tables in one job: the copy's
// counts match). Plus the refusals, each with its error code.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/eventually.h"
#include "common/temp_dir.h"
#include "sluice/sluice.h"

namespace sluice {
namespace {

using testing::TempDir;

constexpr int kThreads = 4;

Config small_config(const std::string& path) {
  Config c = Config::production();
  c.path = path;
  c.checkpoint_pages = 200;  // checkpoints run (and meet the backup's read transaction) often
  return c;
}

void create_schema(Database& db) {
  db.write([](Transaction& tx) {
    tx.exec("CREATE TABLE a(id INTEGER PRIMARY KEY, t INTEGER, body BLOB)");
    tx.exec("CREATE TABLE b(id INTEGER PRIMARY KEY, t INTEGER)");
  });
}

// One job, two tables: a copy holding one row without the other is inconsistent.
void insert_pair(Database& db, std::int64_t id, int thread) {
  db.write([&](Transaction& tx) {
    tx.exec("INSERT INTO a(id, t, body) VALUES (?, ?, randomblob(300))", id, thread);
    tx.exec("INSERT INTO b(id, t) VALUES (?, ?)", id, thread);
  });
}

std::int64_t scalar(Connection& c, const std::string& sql) {
  return c.query(sql).scalar<std::int64_t>();
}

TEST(Backup, FinishesUnderContinuousWritesConsistentAndComplete) {
  TempDir dir;
  Database db = Database::open(small_config(dir.file("src.db")));
  create_schema(db);
  for (int i = 0; i < 600; ++i) insert_pair(db, 1'000'000 + i, -1);  // ~60 pages to copy

  std::atomic<bool> stop{false};
  std::vector<std::atomic<std::int64_t>> last_acked(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    last_acked[t].store(-1);
    writers.emplace_back([&, t] {
      for (std::int64_t n = 0; !stop.load(); ++n) {
        insert_pair(db, t * 100'000'000LL + n, t);
        last_acked[t].store(n);
      }
    });
  }
  ASSERT_TRUE(testing::eventually([&] { return last_acked[kThreads - 1].load() >= 50; }));

  std::vector<std::int64_t> acked_before(kThreads);
  for (int t = 0; t < kThreads; ++t) acked_before[t] = last_acked[t].load();
  BackupOptions options;
  options.step_pages = 4;
  int steps = 0;
  std::uint64_t commits_during = 0;
  const std::uint64_t commits_at_start = db.stats().commits;
  options.progress = [&](const BackupProgress& p) {
    ++steps;
    EXPECT_LE(p.pages_copied, p.pages_total);
    // Let writers commit between steps: the copy must not restart because of them.
    if (steps <= 3) {
      const std::uint64_t seen = db.stats().commits;
      EXPECT_TRUE(testing::eventually([&] { return db.stats().commits > seen; }));
    }
  };
  const BackupResult r = db.backup_to(dir.file("copy.db"), options);
  commits_during = db.stats().commits - commits_at_start;
  stop.store(true);
  for (auto& w : writers) w.join();

  EXPECT_GE(commits_during, 3u);
  EXPECT_GT(steps, 3);
  EXPECT_GT(r.pages, 12);
  EXPECT_EQ(r.bytes, r.pages * r.page_size);
  EXPECT_FALSE(std::ifstream(dir.file("copy.db-wal")).good());

  Connection copy = Connection::open(dir.file("copy.db"), OpenOptions::read_only());
  EXPECT_EQ(copy.pragma("journal_mode"), "delete");
  EXPECT_EQ(copy.query("PRAGMA integrity_check").scalar<std::string>(), "ok");
  EXPECT_EQ(scalar(copy, "SELECT count(*) FROM a"), scalar(copy, "SELECT count(*) FROM b"));
  EXPECT_EQ(scalar(copy, "SELECT count(*) FROM a JOIN b USING(id)"),
            scalar(copy, "SELECT count(*) FROM a"));
  EXPECT_EQ(scalar(copy, "SELECT count(*) FROM a WHERE t = -1"), 600);
  for (int t = 0; t < kThreads; ++t) {
    // Every acked write of this thread up to acked_before[t], and only a prefix of its writes.
    const std::int64_t base = t * 100'000'000LL;
    const std::int64_t rows =
        copy.query("SELECT count(*) FROM a WHERE t = ?", t).scalar<std::int64_t>();
    EXPECT_GE(rows, acked_before[t] + 1) << "thread " << t;
    // A thread that had not committed yet when the copy began has no row in it (max is NULL).
    EXPECT_EQ(copy.query("SELECT coalesce(max(id), ?) FROM a WHERE t = ?", base - 1, t)
                  .scalar<std::int64_t>(),
              base + rows - 1)
        << "thread " << t;
  }
  // Writes went on during the copy and none of them after its start is in it.
  Connection live = Connection::open(dir.file("src.db"), OpenOptions::read_only());
  EXPECT_GT(scalar(live, "SELECT count(*) FROM a"), scalar(copy, "SELECT count(*) FROM a"));
}

TEST(Backup, RefusesAnExistingDestinationUnlessOverwrite) {
  TempDir dir;
  Database db = Database::open(small_config(dir.file("src.db")));
  create_schema(db);
  insert_pair(db, 1, 0);
  db.backup_to(dir.file("copy.db"));
  insert_pair(db, 2, 0);
  try {
    db.backup_to(dir.file("copy.db"));
    FAIL() << "an existing destination was overwritten";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("copy.db"), std::string::npos) << e.what();
  }
  BackupOptions o;
  o.overwrite = true;
  db.backup_to(dir.file("copy.db"), o);
  Connection copy = Connection::open(dir.file("copy.db"), OpenOptions::read_only());
  EXPECT_EQ(scalar(copy, "SELECT count(*) FROM b"), 2);
}

TEST(Backup, TypedErrors) {
  TempDir dir;
  auto code_of = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Internal;
  };
  EXPECT_EQ(code_of([&] { backup_file(dir.file("missing.db"), dir.file("out.db")); }),
            ErrorCode::CantOpen);
  { std::ofstream(dir.file("text.db")) << std::string(4096, 'x'); }
  EXPECT_EQ(code_of([&] { backup_file(dir.file("text.db"), dir.file("out.db")); }),
            ErrorCode::NotADatabase);
  EXPECT_FALSE(std::ifstream(dir.file("out.db")).good());
  Database db = Database::open(small_config(dir.file("src.db")));
  create_schema(db);
  EXPECT_EQ(code_of([&] { backup_file(dir.file("src.db"), dir.file("src.db")); }),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of([&] { db.backup_to(dir.file("no/such/dir/out.db")); }),
            ErrorCode::InvalidArgument);
  db.close();
  EXPECT_EQ(code_of([&] { db.backup_to(dir.file("out.db")); }), ErrorCode::Closed);
}

TEST(Backup, CopiesAPlainRollbackJournalFile) {
  TempDir dir;
  {
    Connection c = Connection::open(dir.file("plain.db"));
    c.exec("CREATE TABLE t(x)");
    c.exec("INSERT INTO t VALUES (1), (2), (3)");
  }
  const BackupResult r = backup_file(dir.file("plain.db"), dir.file("copy.db"));
  EXPECT_GT(r.pages, 0);
  Connection copy = Connection::open(dir.file("copy.db"), OpenOptions::read_only());
  EXPECT_EQ(scalar(copy, "SELECT sum(x) FROM t"), 6);
}

}  // namespace
}  // namespace sluice
