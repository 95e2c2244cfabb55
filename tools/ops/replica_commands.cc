#include "ops/replica_commands.h"

#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <thread>

#include "sluice/replica.h"
#include "sluice/sluice.h"

namespace sluice::ops {
namespace {

constexpr const char* kReplicateDescription =
    R"(Replicate a database's WAL continuously to DIR until interrupted (SIGINT/SIGTERM).

Opens DB as a Sluice Database with replica=DIR: the process holding the checkpointer lease
takes a snapshot (a new generation), then ships every commit's WAL frames as checksummed
segments every --interval ms; its checkpointer never restarts the WAL over frames not yet
shipped. Applications that write DB with Sluice should set the same replica (Config::replica,
?replica=DIR in the URL or SLUICE_REPLICA) so whichever process holds the lease ships: this
command ships only while it holds the lease. Prints the lag every --report seconds.

Examples:
  sluice replicate data/app.db --to /mnt/backup/app)";

constexpr const char* kRestoreDescription =
    R"(Rebuild a database from a replica directory into OUT.

Restores the newest state, or the state right after commit --txid N, or the newest state shipped
at or before --at TIME (Unix seconds or milliseconds, or YYYY-MM-DDTHH:MM:SSZ). Verifies the
snapshot's checksum, every segment's header and frame checksums, their chaining and txids, then
PRAGMA integrity_check. A missing or damaged file stops the restore and names it (exit 3);
--allow-partial restores up to the last transaction before it instead and says so.

Examples:
  sluice restore /mnt/backup/app --to restored.db
  sluice restore /mnt/backup/app --to restored.db --txid 120034
  sluice restore /mnt/backup/app --to restored.db --at 2026-12-02T04:00:00Z)";

constexpr const char* kReplicasDescription =
    R"(List a replica directory's generations: snapshot txid and time, newest txid and time,
segments and size — the range that `sluice restore` can rebuild.

Examples:
  sluice replicas /mnt/backup/app
  sluice replicas /mnt/backup/app --json)";

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

std::string utc(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, unix_ms % 1000);
}

// Unix seconds, Unix milliseconds, or YYYY-MM-DDTHH:MM:SS[Z] (UTC).
std::int64_t parse_time(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    const std::int64_t v = std::stoll(text);
    return v < 100'000'000'000LL ? v * 1000 : v;
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || (*end != '\0' && std::string(end) != "Z")) {
    throw Error(ErrorCode::InvalidArgument,
                "--at '" + text + "': expected Unix seconds/ms or YYYY-MM-DDTHH:MM:SSZ");
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + 999;
}

struct ReplicateArgs {
  std::string db;
  std::string dir;
  int interval_ms = 100;
  int report_s = 10;
};

int replicate(const ReplicateArgs& a) {
  Config c = Config::from_env();
  c.path = a.db;
  c.create_if_missing = false;
  c.replica = a.dir;
  c.replica_interval_ms = a.interval_ms;
  Database db = Database::open(c);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  fmt::print("replicating {} to {} (every {} ms); Ctrl-C stops\n", a.db, a.dir, a.interval_ms);
  auto next_report = std::chrono::steady_clock::now();
  while (!g_stop.load()) {
    if (std::chrono::steady_clock::now() >= next_report) {
      const Stats s = db.stats();
      fmt::print("  {} txid {}, lag {} ms, {} segments, {:.1f} MiB shipped, {} errors\n",
                 s.replica_active ? "shipping:"
                                  : "not shipping (starting, or another process holds the lease):",
                 s.replica_shipped_txid, s.replica_lag_ms, s.replica_segments,
                 static_cast<double>(s.replica_bytes) / (1024.0 * 1024.0), s.replica_errors);
      std::fflush(stdout);
      next_report += std::chrono::seconds(a.report_s);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  db.close();
  fmt::print("stopped; last commits shipped\n");
  return 0;
}

struct RestoreArgs {
  std::string dir;
  std::string out;
  std::int64_t txid = -1;
  std::string at;
  bool allow_partial = false;
  bool overwrite = false;
};

int restore(const RestoreArgs& a) {
  RestoreOptions o;
  if (a.txid >= 0) o.txid = static_cast<std::uint64_t>(a.txid);
  if (!a.at.empty()) o.at_unix_ms = parse_time(a.at);
  o.allow_partial = a.allow_partial;
  o.overwrite = a.overwrite;
  const auto start = std::chrono::steady_clock::now();
  const RestoreResult r = restore_replica(*directory_target(a.dir), a.out, o);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& p : r.problems) fmt::print(stderr, "sluice restore: {}\n", p);
  fmt::print(
      "restored {} to txid {} (shipped {}) from generation {}, {} segments, in {:.0f} ms; "
      "integrity_check ok{}\n",
      a.out, r.txid, utc(r.unix_ms), r.generation, r.segments, ms,
      r.partial ? " — PARTIAL: stopped at a damaged or missing file (above)" : "");
  return r.partial ? 3 : 0;
}

struct ReplicasArgs {
  std::string dir;
  bool json = false;
};

int replicas(const ReplicasArgs& a) {
  const std::vector<GenerationInfo> gens = list_generations(*directory_target(a.dir));
  if (a.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < gens.size(); ++i) {
      const GenerationInfo& g = gens[i];
      out += fmt::format(
          "{}{{\"id\":\"{}\",\"snapshot_txid\":{},\"last_txid\":{},\"snapshot_unix_ms\":{},"
          "\"last_unix_ms\":{},\"segments\":{},\"bytes\":{}}}",
          i ? "," : "", g.id, g.snapshot_txid, g.last_txid, g.snapshot_unix_ms, g.last_unix_ms,
          g.segments, g.bytes);
    }
    fmt::print("{}]\n", out);
    return 0;
  }
  if (gens.empty()) {
    fmt::print("{}: no generation\n", a.dir);
    return 0;
  }
  std::int64_t total = 0;
  fmt::print("{:<18} {:>10} {:>26} {:>10} {:>26} {:>9} {:>10}\n", "generation", "from txid",
             "snapshot", "to txid", "newest", "segments", "MiB");
  for (const GenerationInfo& g : gens) {
    fmt::print("{:<18} {:>10} {:>26} {:>10} {:>26} {:>9} {:>10.1f}\n", g.id, g.snapshot_txid,
               utc(g.snapshot_unix_ms), g.last_txid, utc(g.last_unix_ms), g.segments,
               static_cast<double>(g.bytes) / (1024.0 * 1024.0));
    total += g.bytes;
  }
  fmt::print("restorable: txid {}..{} ({} .. {}); {:.1f} MiB in all\n", gens.front().snapshot_txid,
             gens.back().last_txid, utc(gens.front().snapshot_unix_ms),
             utc(gens.back().last_unix_ms), static_cast<double>(total) / (1024.0 * 1024.0));
  return 0;
}

template <class Args, class F>
void on_run(CLI::App* cmd, const char* name, std::shared_ptr<Args> args, int& exit_code, F fn) {
  cmd->callback([args, &exit_code, name, fn] {
    try {
      exit_code = fn(*args);
    } catch (const Error& e) {
      fmt::print(stderr, "sluice {}: {} ({})\n", name, e.what(), to_string(e.code()));
      exit_code = e.code() == ErrorCode::Corrupt ? 3 : 1;
    }
  });
}

}  // namespace

void add_replica_commands(CLI::App& app, int& exit_code) {
  auto rep = std::make_shared<ReplicateArgs>();
  CLI::App* cmd = app.add_subcommand("replicate", "Replicate a database's WAL to a directory");
  cmd->description(kReplicateDescription);
  cmd->add_option("database", rep->db, "Database file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--to", rep->dir, "Replica directory")->required();
  cmd->add_option("--interval", rep->interval_ms, "Ship every N ms")
      ->check(CLI::Range(10, 60'000))
      ->capture_default_str();
  cmd->add_option("--report", rep->report_s, "Print the lag every N seconds")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  on_run(cmd, "replicate", rep, exit_code, replicate);

  auto res = std::make_shared<RestoreArgs>();
  cmd = app.add_subcommand("restore", "Rebuild a database from a replica directory");
  cmd->description(kRestoreDescription);
  cmd->add_option("replica", res->dir, "Replica directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--to", res->out, "The database file to write")->required();
  auto* txid = cmd->add_option("--txid", res->txid, "Restore right after this commit");
  cmd->add_option("--at", res->at, "Restore the state shipped at or before this time")
      ->excludes(txid);
  cmd->add_flag("--allow-partial", res->allow_partial,
                "On a damaged or missing file, restore up to the transaction before it");
  cmd->add_flag("--overwrite", res->overwrite, "Replace OUT if it exists");
  on_run(cmd, "restore", res, exit_code, restore);

  auto ls = std::make_shared<ReplicasArgs>();
  cmd = app.add_subcommand("replicas", "List a replica directory's generations");
  cmd->description(kReplicasDescription);
  cmd->add_option("replica", ls->dir, "Replica directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--json", ls->json, "JSON output");
  on_run(cmd, "replicas", ls, exit_code, replicas);
}

}  // namespace sluice::ops
