#include "ops/inspect_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "ops/wal_files.h"
#include "sluice/sluice.h"

namespace sluice::ops {
namespace {

constexpr const char* kDescription = R"(Show what a database file is and how its WAL stands.

Reports journal mode, page size and count, free pages, the sizes of the database, -wal and -shm
files, WAL frames and how many a checkpoint has copied back, the pragmas a fresh connection gets,
readers of other processes holding WAL snapshots, the Sluice processes attached through the
side file (<database>-sluice: pid, commits, jobs, queue depth, writer-lock waits, which one is
the checkpointer), and warnings: a network or FUSE filesystem (WAL needs shared memory on one
host), a WAL larger than 64 MiB, frames not yet checkpointed, a reader pinning the WAL, a dead
process still listed, many free pages. Opens the file read-only and changes
nothing; works while other processes write, and on databases Sluice never touched.

Examples:
  sluice inspect data/app.db
  sluice inspect data/app.db --json)";

// Pragmas a fresh connection reports (what an application gets without setting anything).
constexpr const char* kPragmas[] = {"synchronous",  "busy_timeout",       "cache_size",
                                    "mmap_size",    "wal_autocheckpoint", "journal_size_limit",
                                    "foreign_keys", "auto_vacuum",        "encoding",
                                    "user_version", "application_id"};

constexpr std::int64_t kWalWarnBytes = 64LL * 1024 * 1024;  // Config's journal_size_limit

nlohmann::json side_file_json(const SideFileState& s) {
  nlohmann::json j = {{"side_file", s.path}, {"present", s.present}};
  j["processes"] = nlohmann::json::array();
  if (!s.present) return j;
  j["writer_lock_pid"] = s.writer_lock_pid;
  j["checkpointer_pid"] = s.checkpointer_pid;
  j["lock_waiters"] = s.lock_waiters;
  j["lock_recoveries"] = s.lock_recoveries;
  j["lease_takeovers"] = s.lease_takeovers;
  j["checkpoint_cycles"] = s.checkpoint_cycles;
  j["wal_frames"] = s.wal_frames;
  j["ring_jobs_run"] = s.ring_jobs_run;
  j["ring_recoveries"] = s.ring_recoveries;
  for (const AttachedProcess& p : s.processes) {
    j["processes"].push_back({{"pid", p.pid},
                              {"alive", p.alive},
                              {"checkpointer", p.checkpointer},
                              {"attached_unix_ms", p.attached_unix_ms},
                              {"commits", p.commits},
                              {"jobs_ok", p.jobs_ok},
                              {"jobs_failed", p.jobs_failed},
                              {"queue_depth", p.queue_depth},
                              {"last_commit_unix_ms", p.last_commit_unix_ms},
                              {"lock_acquisitions", p.lock_acquisitions},
                              {"lock_wait_us_total", p.lock_wait_us_total},
                              {"lock_wait_us_max", p.lock_wait_us_max},
                              {"ring_depth", p.ring_depth},
                              {"ring_jobs_submitted", p.ring_jobs_submitted},
                              {"ring_jobs_for_others", p.ring_jobs_for_others}});
  }
  return j;
}

void print_processes(const nlohmann::json& s) {
  if (!s["present"].get<bool>()) {
    fmt::print("  no Sluice process has opened it (no {})\n", s["side_file"].get<std::string>());
    return;
  }
  fmt::print(
      "  Sluice processes: {} attached; writer lock held by {}, {} waiting; checkpointer {}\n",
      s["processes"].size(),
      s["writer_lock_pid"].get<int>() == 0 ? std::string("nobody")
                                           : fmt::format("pid {}", s["writer_lock_pid"].get<int>()),
      s["lock_waiters"].dump(),
      s["checkpointer_pid"].get<int>() == 0
          ? std::string("none")
          : fmt::format("pid {}", s["checkpointer_pid"].get<int>()));
  if (s["processes"].empty()) return;
  fmt::print("  {:>8} {:>5} {:>10} {:>10} {:>7} {:>6} {:>5} {:>10} {:>14} {:>12}\n", "pid", "alive",
             "commits", "jobs ok", "failed", "queue", "ring", "for others", "lock wait avg",
             "lock wait max");
  for (const auto& p : s["processes"]) {
    const auto n = p["lock_acquisitions"].get<std::uint64_t>();
    const double avg =
        n == 0 ? 0.0 : static_cast<double>(p["lock_wait_us_total"].get<std::uint64_t>()) / n;
    fmt::print("  {:>8} {:>5} {:>10} {:>10} {:>7} {:>6} {:>5} {:>10} {:>11.0f} µs {:>9} µs{}\n",
               p["pid"].get<int>(), p["alive"].get<bool>() ? "yes" : "no",
               p["commits"].get<std::uint64_t>(), p["jobs_ok"].get<std::uint64_t>(),
               p["jobs_failed"].get<std::uint64_t>(), p["queue_depth"].get<std::uint64_t>(),
               p["ring_depth"].get<std::uint32_t>(), p["ring_jobs_for_others"].get<std::uint64_t>(),
               avg, p["lock_wait_us_max"].get<std::uint64_t>(),
               p["checkpointer"].get<bool>() ? "  checkpointer" : "");
  }
}

nlohmann::json inspect(const std::string& path) {
  Connection c = open_existing(path, true);
  nlohmann::json j;
  j["path"] = path;
  const FilesystemInfo fs = filesystem_of(path);
  j["filesystem"] = fs.name;
  j["sqlite_version"] = c.query("SELECT sqlite_version()").scalar<std::string>();
  j["journal_mode"] = c.pragma("journal_mode");
  const auto page_size = c.query("PRAGMA page_size").scalar<std::int64_t>();
  const auto page_count = c.query("PRAGMA page_count").scalar<std::int64_t>();
  const auto freelist = c.query("PRAGMA freelist_count").scalar<std::int64_t>();
  j["page_size"] = page_size;
  j["page_count"] = page_count;
  j["freelist_count"] = freelist;
  j["tables"] =
      c.query("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").scalar<std::int64_t>();
  const WalFiles w = read_wal_files(path, page_size);
  j["db_bytes"] = w.db_bytes;
  j["wal_bytes"] = w.wal_bytes;
  j["shm_bytes"] = w.shm_bytes;
  j["wal_frames"] = w.wal_frames;
  if (w.index_max_frame) j["wal_index_max_frame"] = *w.index_max_frame;
  if (w.backfilled_frames) j["wal_backfilled_frames"] = *w.backfilled_frames;
  j["wal_readers"] = nlohmann::json::array();
  for (const auto& r : w.readers) {
    j["wal_readers"].push_back({{"slot", r.slot}, {"snapshot_frame", r.snapshot_frame}});
  }
  for (const char* p : kPragmas) j["pragmas"][p] = c.pragma(p);
  j["sluice"] = side_file_json(read_side_file(path));

  nlohmann::json warnings = nlohmann::json::array();
  if (fs.wal_unsafe) {
    warnings.push_back(fmt::format(
        "on a {} filesystem: WAL needs shared memory on one host; use a local disk", fs.name));
  }
  if (w.wal_bytes > kWalWarnBytes) {
    warnings.push_back(
        fmt::format("WAL is {} bytes, over 64 MiB: checkpoints are not keeping up "
                    "or a reader pins it (sluice checkpoint --mode truncate)",
                    w.wal_bytes));
  }
  if (w.index_max_frame && w.backfilled_frames && *w.backfilled_frames < *w.index_max_frame) {
    warnings.push_back(fmt::format("{} of {} WAL frames not yet copied back by a checkpoint",
                                   *w.index_max_frame - *w.backfilled_frames, *w.index_max_frame));
  }
  for (const auto& r : w.readers) {
    if (w.index_max_frame && r.snapshot_frame < *w.index_max_frame) {
      warnings.push_back(fmt::format(
          "a reader (read slot {}) holds a snapshot at WAL frame {} of {}: no checkpoint can "
          "copy back past it until its read transaction ends",
          r.slot, r.snapshot_frame, *w.index_max_frame));
    }
  }
  for (const auto& p : j["sluice"]["processes"]) {
    if (!p["alive"].get<bool>()) {
      warnings.push_back(fmt::format(
          "Sluice process {} is gone but still listed; the next process to attach reaps it",
          p["pid"].get<int>()));
    }
  }
  if (page_count > 0 && freelist * 4 > page_count) {
    warnings.push_back(
        fmt::format("{} of {} pages are free: VACUUM would shrink the file", freelist, page_count));
  }
  j["warnings"] = warnings;
  return j;
}

void print_text(const nlohmann::json& j) {
  auto num = [](const nlohmann::json& v) { return v.dump(); };
  fmt::print("{}\n", j["path"].get<std::string>());
  fmt::print("  sqlite {} on {}\n", j["sqlite_version"].get<std::string>(),
             j["filesystem"].get<std::string>());
  fmt::print("  journal_mode {}, page_size {}, pages {} ({} free), tables {}\n",
             j["journal_mode"].get<std::string>(), num(j["page_size"]), num(j["page_count"]),
             num(j["freelist_count"]), num(j["tables"]));
  fmt::print("  files: db {} B, -wal {}, -shm {}\n", num(j["db_bytes"]),
             j["wal_bytes"].get<std::int64_t>() < 0 ? "none" : num(j["wal_bytes"]) + " B",
             j["shm_bytes"].get<std::int64_t>() < 0 ? "none" : num(j["shm_bytes"]) + " B");
  fmt::print("  WAL frames {}", num(j["wal_frames"]));
  if (j.contains("wal_index_max_frame")) {
    fmt::print(" (index: last frame {}, checkpointed {})", num(j["wal_index_max_frame"]),
               num(j["wal_backfilled_frames"]));
  }
  for (const auto& r : j["wal_readers"]) {
    fmt::print("\n  reader in read slot {} at WAL frame {}", r["slot"].dump(),
               r["snapshot_frame"].dump());
  }
  fmt::print("\n  fresh-connection pragmas:");
  for (const auto& [k, v] : j["pragmas"].items()) fmt::print(" {}={}", k, v.get<std::string>());
  fmt::print("\n");
  print_processes(j["sluice"]);
  if (j["warnings"].empty()) fmt::print("  no warnings\n");
  for (const auto& w : j["warnings"]) fmt::print("  warning: {}\n", w.get<std::string>());
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("inspect", "Show a database's state, WAL and warnings");
  cmd->description(kDescription);
  cmd->add_option("database", *path, "Database file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", *json, "Print one JSON object instead of text");
  cmd->callback([path, json, &exit_code] {
    try {
      nlohmann::json j = inspect(*path);
      if (*json) {
        fmt::print("{}\n", j.dump(2));
      } else {
        print_text(j);
      }
      exit_code = 0;
    } catch (const Error& e) {
      fmt::print(stderr, "sluice inspect: {} ({})\n", e.what(), to_string(e.code()));
      exit_code = 1;
    }
  });
}

}  // namespace sluice::ops
