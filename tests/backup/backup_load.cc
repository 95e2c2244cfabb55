// backup_load: the first target, measured. Fills a database to SIZE MiB (once), times an
// idle backup, then runs THREADS writer threads at full rate: their commit rate for SECONDS
// alone, then while a backup runs; prints both backup times, the writers' rate ratio, and
// checks the loaded copy holds every row acknowledged before it began.
//   build/release/tests/backup_load /tmp/big.db 512 64 5
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sluice/sluice.h"

using namespace sluice;
using Clock = std::chrono::steady_clock;

static double secs(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: backup_load DB SIZE_MIB THREADS SECONDS\n");
    return 2;
  }
  const std::string path = argv[1];
  const std::int64_t mib = std::atoll(argv[2]);
  const int threads = std::atoi(argv[3]);
  const double seconds = std::atof(argv[4]);
  Config c = Config::production();
  c.path = path;
  Database db = Database::open(c);
  db.execute("CREATE TABLE IF NOT EXISTS big(id INTEGER PRIMARY KEY, body BLOB)");
  db.execute("CREATE TABLE IF NOT EXISTS w(id INTEGER PRIMARY KEY, t INTEGER, v INTEGER)");
  while (std::filesystem::file_size(path) < static_cast<std::uintmax_t>(mib) << 20) {
    db.write([](Transaction& tx) {
      for (int i = 0; i < 2000; ++i) tx.exec("INSERT INTO big(body) VALUES (randomblob(1000))");
    });
  }
  db.checkpoint(CheckpointMode::Truncate);
  std::printf("database %s: %.0f MiB\n", path.c_str(),
              static_cast<double>(std::filesystem::file_size(path)) / (1 << 20));
  const std::string out = path + ".backup";
  BackupOptions o;
  o.overwrite = true;
  auto t0 = Clock::now();
  const BackupResult idle = db.backup_to(out, o);
  const double idle_s = secs(t0, Clock::now());
  std::printf("idle backup: %.2f s (integrity_check %.2f s)\n", idle_s, idle.integrity_ms / 1000);

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> acked{0}, max_id{0};
  std::vector<std::thread> ws;
  for (int t = 0; t < threads; ++t) {
    ws.emplace_back([&, t] {
      for (int n = 0; !stop.load(); ++n) {
        const auto r = db.execute("INSERT INTO w(t, v) VALUES (?, ?)", t, n);
        acked.fetch_add(1);
        std::int64_t m = max_id.load();
        while (r.last_insert_rowid > m && !max_id.compare_exchange_weak(m, r.last_insert_rowid)) {
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
  std::int64_t a0 = acked.load();
  t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double alone_rate = static_cast<double>(acked.load() - a0) / secs(t0, Clock::now());
  // Every row acked before the backup began has id <= this (ids grow with commits).
  const std::int64_t acked_ids_before = max_id.load();
  const std::int64_t rows_before = db.read(
      [](Connection& conn) { return conn.query("SELECT count(*) FROM w").scalar<std::int64_t>(); });
  a0 = acked.load();
  t0 = Clock::now();
  const BackupResult loaded = db.backup_to(out, o);
  const auto t1 = Clock::now();
  const double loaded_s = secs(t0, t1);
  const double during_rate = static_cast<double>(acked.load() - a0) / loaded_s;
  stop.store(true);
  for (auto& w : ws) w.join();
  Connection copy = Connection::open(out, OpenOptions::read_only());
  const auto in_copy =
      copy.query("SELECT count(*) FROM w WHERE id <= ?", acked_ids_before).scalar<std::int64_t>();
  const auto copy_rows = copy.query("SELECT count(*) FROM w").scalar<std::int64_t>();
  std::printf("backup under %d writers: %.2f s (%.2fx idle; integrity_check ok in %.2f s)\n",
              threads, loaded_s, loaded_s / idle_s, loaded.integrity_ms / 1000);
  std::printf("writers: %.0f commits/s alone, %.0f during the backup (%.0f%%)\n", alone_rate,
              during_rate, 100 * during_rate / alone_rate);
  std::printf("copy: %lld rows of w (%lld present before it began, all %lld with id <= %lld: %s)\n",
              static_cast<long long>(copy_rows), static_cast<long long>(rows_before),
              static_cast<long long>(in_copy), static_cast<long long>(acked_ids_before),
              copy_rows >= rows_before ? "ok" : "MISSING");
  return copy_rows >= rows_before ? 0 : 1;
}
