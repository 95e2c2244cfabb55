// The supervisor: keeps P writer processes running, kills one per round (at a random moment
// or at a deterministic kill point), and after every round checks the database against the
// clients' logs with the oracle while the others keep writing. With --sabotage the writers are
// deliberately broken, and the run succeeds only if the oracle catches them.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "crashtest/crashtest.h"
#include "crashtest/log.h"
#include "sluice/sluice.h"
#include "support/oracle.h"

namespace sluice::crashtest {
namespace {

struct Proc {
  pid_t pid = -1;
  int incarnation = 0;
};

struct Figures {
  std::uint64_t rounds = 0, acked = 0, acked_lost = 0, phantoms = 0, holes = 0, order_gaps = 0,
                bad_payloads = 0, integrity_failures = 0, child_errors = 0, points_not_reached = 0;
  std::map<std::string, std::uint64_t> kills_by_point;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

class Supervisor {
 public:
  Supervisor(const Options& o, std::string self, std::string dir, std::string mode)
      : o_(o),
        self_(std::move(self)),
        dir_(std::move(dir)),
        mode_(std::move(mode)),
        procs_(static_cast<std::size_t>(o.processes)),
        rng_(o.seed) {}

  int run() {
    std::vector<std::string> schedule(static_cast<std::size_t>(o_.random_rounds), "random");
    for (const auto& point : kKillPoints) {
      schedule.insert(schedule.end(), static_cast<std::size_t>(o_.point_rounds), point);
    }
    std::shuffle(schedule.begin(), schedule.end(), rng_);
    for (std::size_t r = 0; r < schedule.size();) {
      start_database(r / kRoundsPerDatabase);
      for (std::size_t k = 0; k < kRoundsPerDatabase && r < schedule.size(); ++k, ++r) {
        round(schedule[r]);
        if (r % 10 == 9 || r + 1 == schedule.size()) {
          std::fprintf(stderr, "  [%s] round %zu/%zu, %llu writes acked so far\n", mode_.c_str(),
                       r + 1, schedule.size(),
                       static_cast<unsigned long long>(f_.acked + db_.acked));
        }
      }
      finish_database();
    }
    return report();
  }

 private:
  // Each database takes this many rounds, then a fresh one starts: the per-round check reads
  // the whole database, so one that grew over every round would make a full run quadratic.
  static constexpr std::size_t kRoundsPerDatabase = 100;

  // Figures of the current database; lost and phantom rows stay so, so the largest count seen.
  struct DatabaseFigures {
    std::string dir, path;
    std::uint64_t acked = 0, acked_lost = 0, phantoms = 0;
    std::vector<double> first_ack_ms;
  };

  void start_database(std::size_t n) {
    db_ = {};
    db_.dir = dir_ + "/db-" + std::to_string(n);
    db_.path = db_.dir + "/crash.db";
    std::filesystem::create_directories(db_.dir);
    {
      Database db = Database::open(db_.path);
      db.execute(testing::kRowsSchema);
      db.execute("CREATE TABLE filler(writer INTEGER, i INTEGER)");
      db.execute("CREATE INDEX filler_writer ON filler(writer)");
    }
    for (int p = 0; p < o_.processes; ++p) spawn(p, "", 0);
  }

  void finish_database() {
    for (int p = 0; p < o_.processes; ++p) kill_and_reap(p);
    // Sluice opens the files as the last kills left them (recovering the WAL and the dead
    // holders' locks) and takes a write; then, everyone gone and the logs complete, the check.
    {
      Database db = Database::open(db_.path);
      db.execute(testing::kInsertRow, std::int64_t{0}, std::int64_t{1},
                 testing::row_payload(0, 1, 64));
    }
    check({{0, 1, 1}});
    f_.acked += db_.acked;
    f_.acked_lost += db_.acked_lost;
    f_.phantoms += db_.phantoms;
    first_ack_ms_.insert(first_ack_ms_.end(), db_.first_ack_ms.begin(), db_.first_ack_ms.end());
    if (!o_.keep && db_.acked_lost == 0 && db_.phantoms == 0) std::filesystem::remove_all(db_.dir);
  }

  void spawn(int p, const std::string& point, std::uint64_t nth) {
    Proc& proc = procs_[static_cast<std::size_t>(p)];
    ++proc.incarnation;
    const std::int64_t base = std::int64_t{p + 1} * 1'000'000 + proc.incarnation * 100;
    std::vector<std::string> args = {
        self_,
        "--child",
        "--db",
        db_.path,
        "--log",
        db_.dir + "/log-" + std::to_string(p) + "-" + std::to_string(proc.incarnation) + ".bin",
        "--writer-base",
        std::to_string(base),
        "--threads",
        std::to_string(o_.threads),
        "--synchronous",
        mode_};
    if (!point.empty()) {
      args.insert(args.end(), {"--kill-point", point, "--kill-nth", std::to_string(nth)});
    }
    if (!o_.sabotage.empty()) args.insert(args.end(), {"--sabotage", o_.sabotage});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    proc.pid = fork();
    if (proc.pid == 0) {
      execv(self_.c_str(), argv.data());
      _exit(127);
    }
  }

  // Waits for p's process to end (at most `timeout`); true if it ended.
  bool reap(int p, std::chrono::milliseconds timeout) {
    Proc& proc = procs_[static_cast<std::size_t>(p)];
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (waitpid(proc.pid, &status, WNOHANG) == proc.pid) {
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
          ++f_.child_errors;
          std::fprintf(stderr, "  writer process %d ended with status %d, not by SIGKILL\n",
                       proc.pid, status);
        }
        proc.pid = -1;
        return true;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  void kill_and_reap(int p) {
    if (procs_[static_cast<std::size_t>(p)].pid <= 0) return;
    ::kill(procs_[static_cast<std::size_t>(p)].pid, SIGKILL);
    reap(p, std::chrono::hours(1));
  }

  void round(const std::string& kind) {
    const int victim = static_cast<int>(rng_() % static_cast<std::uint64_t>(o_.processes));
    ++f_.rounds;
    if (kind == "random") {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng_() % 280));
      kill_and_reap(victim);
    } else {
      kill_and_reap(victim);
      spawn(victim, kind, 1 + rng_() % 20);
      if (!reap(victim, std::chrono::seconds(60))) {
        ++f_.points_not_reached;
        std::fprintf(stderr, "  kill point %s not reached within 60 s\n", kind.c_str());
        kill_and_reap(victim);
      }
    }
    ++f_.kills_by_point[kind];
    check();
    spawn(victim, "", 0);
  }

  // Acks read before the database, intents after it: writers still running only add to both.
  // `extra`: writes made outside the writer processes.
  void check(const std::vector<testing::WriterLog>& extra = {}) {
    const LogSummary before = read_logs(db_.dir);
    const testing::Snapshot snapshot = testing::read_database(db_.path);
    const LogSummary after = read_logs(db_.dir);
    std::vector<testing::WriterLog> logs;
    for (const auto& [writer, w] : after.writers) {
      testing::WriterLog l = w;
      auto it = before.writers.find(writer);
      l.acked = it == before.writers.end() ? 0 : it->second.acked;
      logs.push_back(l);
    }
    logs.insert(logs.end(), extra.begin(), extra.end());
    const testing::Verdict v = testing::judge(snapshot, logs);
    db_.acked = v.acked;  // the logs hold every incarnation's acks
    db_.acked_lost = std::max(db_.acked_lost, v.acked_lost);
    db_.phantoms = std::max(db_.phantoms, v.phantoms);
    f_.holes += v.holes;
    f_.order_gaps += v.order_gaps;
    f_.bad_payloads += v.bad_payloads;
    f_.integrity_failures += v.integrity_ok ? 0 : 1;
    db_.first_ack_ms = after.first_ack_ms;
    if (!v.ok(true)) {
      std::fprintf(stderr, "  round %llu: VIOLATION %s\n",
                   static_cast<unsigned long long>(f_.rounds), describe(v).c_str());
    }
  }

  int report() {
    std::string by_point;
    for (const auto& [point, n] : f_.kills_by_point) {
      by_point += " " + point + "=" + std::to_string(n);
    }
    auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
    std::printf(
        "crashtest synchronous=%s seed=%llu processes=%d threads=%d rounds=%llu kills=%llu "
        "(%s ) writes_acked=%llu acked_lost=%llu phantom_rows=%llu prefix_violations=%llu "
        "order_gaps=%llu bad_payloads=%llu integrity_failures=%llu child_errors=%llu "
        "points_not_reached=%llu recovery_ms_p50=%.1f recovery_ms_p99=%.1f%s\n",
        mode_.c_str(), u(o_.seed), o_.processes, o_.threads, u(f_.rounds),
        u(f_.rounds),  // one kill per round
        by_point.c_str(), u(f_.acked), u(f_.acked_lost), u(f_.phantoms), u(f_.holes),
        u(f_.order_gaps), u(f_.bad_payloads), u(f_.integrity_failures), u(f_.child_errors),
        u(f_.points_not_reached), percentile(first_ack_ms_, 0.5), percentile(first_ack_ms_, 0.99),
        o_.sabotage.empty() ? "" : (" sabotage=" + o_.sabotage).c_str());
    std::fflush(stdout);
    if (!o_.sabotage.empty()) {
      // The broken writer must be caught: acknowledged writes found missing.
      std::fprintf(stderr, "crashtest: sabotage %s %s\n", o_.sabotage.c_str(),
                   f_.acked_lost > 0 ? "caught (acked writes lost)" : "NOT caught");
      return f_.acked_lost > 0 ? 0 : 1;
    }
    const bool ok = f_.acked_lost == 0 && f_.phantoms == 0 && f_.holes == 0 && f_.order_gaps == 0 &&
                    f_.bad_payloads == 0 && f_.integrity_failures == 0 && f_.child_errors == 0 &&
                    f_.points_not_reached == 0 && f_.acked > 0;
    return ok ? 0 : 1;
  }

  const Options& o_;
  std::string self_, dir_, mode_;
  DatabaseFigures db_;
  std::vector<Proc> procs_;
  std::mt19937_64 rng_;
  Figures f_;
  std::vector<double> first_ack_ms_;
};

}  // namespace

int run_supervisor(const Options& o, const std::string& self) {
  int status = 0;
  for (const auto& mode : o.synchronous) {
    std::string dir = o.dir;
    if (dir.empty()) {
      dir = (std::filesystem::temp_directory_path() /
             ("sluice-crashtest-" + std::to_string(::getpid()) + "-" + mode))
                .string();
    } else {
      dir += "/" + mode;
    }
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::fprintf(stderr, "crashtest: synchronous=%s seed=%llu dir=%s\n", mode.c_str(),
                 static_cast<unsigned long long>(o.seed), dir.c_str());
    if (Supervisor(o, self, dir, mode).run() != 0) status = 1;
    if (!o.keep && status == 0) std::filesystem::remove_all(dir);
  }
  return status;
}

}  // namespace sluice::crashtest
