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
and warnings: a network or FUSE filesystem (WAL needs shared memory on one host), a WAL larger
than 64 MiB, frames not yet checkpointed, many free pages. Opens the file read-only and changes
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
  for (const char* p : kPragmas) j["pragmas"][p] = c.pragma(p);

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
  fmt::print("\n  fresh-connection pragmas:");
  for (const auto& [k, v] : j["pragmas"].items()) fmt::print(" {}={}", k, v.get<std::string>());
  fmt::print("\n");
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
