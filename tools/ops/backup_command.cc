#include "ops/backup_command.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "sluice/sluice.h"

namespace sluice::ops {
namespace {

constexpr const char* kDescription =
    R"(Copy a live SQLite database to DEST: consistent, integrity-checked, durable.

The copy is the database as of the moment the command starts (one read transaction held for
the whole copy), so it finishes however fast other processes write, and never blocks them.
It is written to DEST.tmp-<pid>, made self-contained (journal_mode=DELETE, no -wal needed),
checked with PRAGMA integrity_check, fsynced and renamed to DEST. Works on any SQLite file.
Progress goes to stderr on long copies. Exit status: 0 done, 1 error (DEST untouched).

Examples:
  sluice backup data/app.db backups/app.db
  sluice backup data/app.db backups/app.db --overwrite)";

struct Args {
  std::string source;
  std::string dest;
  bool overwrite = false;
  bool no_check = false;
  bool quiet = false;
};

int run(const Args& a) {
  BackupOptions options;
  options.overwrite = a.overwrite;
  options.integrity_check = !a.no_check;
  auto last = std::chrono::steady_clock::now();
  if (!a.quiet) {
    options.progress = [&last](const BackupProgress& p) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::seconds(1) && p.pages_copied < p.pages_total) return;
      last = now;
      fmt::print(stderr, "  {} / {} pages\n", p.pages_copied, p.pages_total);
    };
  }
  const BackupResult r = backup_file(a.source, a.dest, options);
  fmt::print("backup of {} -> {}: {} pages of {} B ({:.1f} MiB) in {:.0f} ms{}\n", a.source, r.path,
             r.pages, r.page_size, static_cast<double>(r.bytes) / (1024.0 * 1024.0), r.duration_ms,
             options.integrity_check
                 ? fmt::format(" (integrity_check ok, {:.0f} ms)", r.integrity_ms)
                 : std::string(" (not checked)"));
  return 0;
}

}  // namespace

void add_backup_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("backup", "Copy a live database, consistent and checked");
  cmd->description(kDescription);
  cmd->add_option("database", args->source, "Database file")->required()->check(CLI::ExistingFile);
  cmd->add_option("dest", args->dest, "Where to write the copy")->required();
  cmd->add_flag("--overwrite", args->overwrite, "Replace DEST if it exists");
  cmd->add_flag("--no-check", args->no_check, "Skip PRAGMA integrity_check of the copy");
  cmd->add_flag("--quiet", args->quiet, "No progress lines");
  cmd->callback([args, &exit_code] {
    try {
      exit_code = run(*args);
    } catch (const Error& e) {
      fmt::print(stderr, "sluice backup: {} ({})\n", e.what(), to_string(e.code()));
      exit_code = 1;
    }
  });
}

}  // namespace sluice::ops
