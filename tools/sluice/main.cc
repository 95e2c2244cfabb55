// sluice — the command-line tool: bench, inspect, checkpoint, serve, backup, replicate, restore,
// replicas.
#include <CLI/CLI.hpp>

#include "bench/bench_command.h"
#include "ops/backup_command.h"
#include "ops/checkpoint_command.h"
#include "ops/inspect_command.h"
#include "ops/replica_commands.h"
#include "serve/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "sluice: heavy concurrent writes into SQLite, reads that never wait, nothing lost.\n"
      "Run `sluice COMMAND --help` for a command's options."};
  app.require_subcommand(1);
  int exit_code = 0;
  sluice::bench::add_bench_command(app, exit_code);
  sluice::ops::add_inspect_command(app, exit_code);
  sluice::ops::add_checkpoint_command(app, exit_code);
  sluice::serve::add_serve_command(app, exit_code);
  sluice::ops::add_backup_command(app, exit_code);
  sluice::ops::add_replica_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
