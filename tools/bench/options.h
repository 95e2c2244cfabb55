// What `sluice bench` was asked to do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/ingest_workload.h"

namespace sluice::bench {

// sluice-submit (ingest only): Sluice with requests started by Database::submit as they arrive,
// instead of --workers threads each blocking in Database::write.
// sluice-ckpt-in-commit: Sluice with SQLite's autocheckpoint (1000 pages, its default) inside
// the COMMIT that crosses it, as plain SQLite does: the baseline for checkpoints off the commit
// path.
// tuned-nommap: tuned with mmap_size 0, to tell what mmap is worth to plain SQLite.
// sluice-stale: Sluice with bounded-staleness reads (Config::max_staleness_ms = kStaleMs).
// sluice-handoff: Sluice with every write handed to the writer thread (caller_commits off).
enum class Mode {
  Vanilla,
  Tuned,
  Sluice,
  SluiceSubmit,
  SluiceCheckpointInCommit,
  TunedNoMmap,
  SluiceStale,
  SluiceHandoff,
  SluiceLambda
};
// The blog workload's two phases, and the ingest workload's single one.
enum class Phase { Write, Mixed, Ingest };

const char* to_string(Mode m);
const char* to_string(Phase p);

// The quick default of --scale: 1% of the article's operation counts.
inline constexpr double kDefaultScale = 0.01;
// The staleness bound of sluice-stale (ms): rqlite's freshness reads are typically a few ms.
inline constexpr int kStaleMs = 5;

struct Options {
  std::string workload = "blog";  // blog | ingest
  std::vector<Mode> modes = {Mode::Vanilla, Mode::Tuned, Mode::Sluice};
  std::vector<int> workers = {1, 2, 4, 8, 16, 32, 64};  // threads per process
  int processes = 1;                                    // blog workload only
  std::vector<Phase> phases = {Phase::Write, Phase::Mixed};
  bool sync_full = false;        // --sync full
  double scale = kDefaultScale;  // fraction of the article's operation counts
  IngestOptions ingest;          // --rate, --burst, --seconds, --readers
  std::uint64_t seed = 20250101;
  int reps = 1;  // runs of each point; the table shows the median run and the spread
  std::string dir = "data/bench";
  std::string json_path;    // empty = no JSON
  std::string report_path;  // empty = no HTML report
};

}  // namespace sluice::bench
