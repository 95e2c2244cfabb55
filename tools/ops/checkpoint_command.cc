#include "ops/checkpoint_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "ops/wal_files.h"
#include "sluice/sluice.h"

namespace sluice::ops {
namespace {

constexpr const char* kDescription =
    R"(Run one WAL checkpoint now: copy the WAL's frames back into the database file.

Modes (sqlite.org/c3ref/wal_checkpoint_v2.html):
  passive   copy what no reader still needs; never waits for readers or writers (safe any
            time)
  full      wait (up to --busy-timeout) for the writer, then copy everything
  restart   as full, then wait for readers so the next write starts the WAL from its beginning
  truncate  as restart, then truncate the -wal file to zero bytes
Every mode also waits (up to --busy-timeout) for another checkpoint in progress, e.g. a Sluice
process's checkpointer, and says so on stderr. Prints frames and bytes before and after, and the duration. Works while other processes are
writing, and on any SQLite database in WAL mode. Exit status: 0 done, 2 blocked (busy), 1 error.

Examples:
  sluice checkpoint data/app.db
  sluice checkpoint data/app.db --mode truncate --busy-timeout 2000)";

std::string bytes(std::int64_t n) {
  if (n < 0) return "none";
  if (n < 1024) return fmt::format("{} B", n);
  if (n < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
  return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1024.0 * 1024.0));
}

struct Args {
  std::string path;
  std::string mode = "passive";
  int busy_timeout_ms = 5000;
};

int run(const Args& a) {
  Connection c = open_existing(a.path, false);
  const std::string journal = c.pragma("journal_mode");
  if (journal != "wal") {
    fmt::print("{} is not in WAL mode (journal_mode={}): nothing to checkpoint\n", a.path, journal);
    return 0;
  }
  const auto page_size = c.query("PRAGMA page_size").scalar<std::int64_t>();
  const WalFiles before = read_wal_files(a.path, page_size);
  c.pragma("busy_timeout=" + std::to_string(a.busy_timeout_ms));
  const auto start = std::chrono::steady_clock::now();
  const auto give_up = start + std::chrono::milliseconds(a.busy_timeout_ms);
  bool busy = false, said_waiting = false;
  std::int64_t log = 0, copied = 0;
  for (;;) {
    auto q = c.query("PRAGMA wal_checkpoint(" + a.mode + ")");
    if (!q.next()) throw Error(ErrorCode::Internal, "PRAGMA wal_checkpoint returned no row");
    busy = q.get<int>(0) != 0;
    log = q.get<std::int64_t>(1);
    copied = q.get<std::int64_t>(2);
    // SQLite never calls the busy handler for the checkpoint lock: busy with no counts (-1)
    // means another checkpoint (e.g. a Sluice process's checkpointer) holds it right now, in any
    // mode (PASSIVE is never busy otherwise). Wait for it, up to the timeout.
    const bool other_checkpoint = busy && (a.mode == "passive" || log < 0);
    if (!other_checkpoint || std::chrono::steady_clock::now() >= give_up) break;
    if (!said_waiting) {
      // Said once, as it starts: the operator (and the test of this wait) sees why it pauses.
      fmt::print(stderr,
                 "sluice checkpoint: another checkpoint is in progress; waiting for it (up to "
                 "--busy-timeout {} ms)\n",
                 a.busy_timeout_ms);
      std::fflush(stderr);
      said_waiting = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const WalFiles after = read_wal_files(a.path, page_size);
  // A finished TRUNCATE reports 0/0: the log it copied is gone by the time it returns.
  const bool emptied = !busy && a.mode == "truncate";
  const std::int64_t shown_log = emptied ? before.wal_frames : std::max<std::int64_t>(log, 0);
  const std::int64_t shown_copied = emptied ? before.wal_frames : std::max<std::int64_t>(copied, 0);
  fmt::print(
      "checkpoint {} of {} in {:.1f} ms: WAL {} -> {} frames ({} -> {}); {} of {} frames "
      "copied back\n",
      a.mode, a.path, ms, before.wal_frames, after.wal_frames, bytes(before.wal_bytes),
      bytes(after.wal_bytes), shown_copied, shown_log);
  if (busy && (a.mode == "passive" || log < 0)) {
    fmt::print(stderr,
               "sluice checkpoint: blocked — another checkpoint held the WAL for longer than "
               "--busy-timeout {} ms; nothing is lost. Retry.\n",
               a.busy_timeout_ms);
    return 2;
  }
  if (busy) {
    fmt::print(stderr,
               "sluice checkpoint: blocked — a reader or writer was in the way for longer than "
               "--busy-timeout {} ms; nothing is lost. Retry, or use --mode passive.\n",
               a.busy_timeout_ms);
    return 2;
  }
  return 0;
}

}  // namespace

void add_checkpoint_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("checkpoint", "Run one WAL checkpoint now");
  cmd->description(kDescription);
  cmd->add_option("database", args->path, "Database file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--mode", args->mode, "passive | full | restart | truncate")
      ->check(CLI::IsMember({"passive", "full", "restart", "truncate"}))
      ->capture_default_str();
  cmd->add_option("--busy-timeout", args->busy_timeout_ms,
                  "How long to wait for another checkpoint, and full/restart/truncate for readers "
                  "and writers (ms)")
      ->check(CLI::Range(0, 3'600'000))
      ->capture_default_str();
  cmd->callback([args, &exit_code] {
    try {
      exit_code = run(*args);
    } catch (const Error& e) {
      fmt::print(stderr, "sluice checkpoint: {} ({})\n", e.what(), to_string(e.code()));
      exit_code = 1;
    }
  });
}

}  // namespace sluice::ops
