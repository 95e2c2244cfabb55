// Continuous replication of a database's WAL to a replica, and restore from it.
//
// A replica is a set of generations. A generation is one snapshot of the database (a
// self-contained SQLite file, taken with backup_file()'s mechanism) plus the WAL frames committed
// after it, shipped in segments as they commit: each segment holds whole transactions, their
// frames exactly as in the -wal file (headers, salts, cumulative checksums). Transactions are
// numbered by a txid that grows across generations: a snapshot takes the next txid, each commit
// after it one more. docs/backup.md describes the files byte by byte.
//
// Replication runs inside a Database opened with Config::replica (see config.h), in the process
// that holds the checkpointer lease; the checkpointer never lets SQLite restart the WAL over
// frames not yet shipped (the replicator holds a read transaction no newer than what it
// shipped, and ships the last frames under the writer lock right before a checkpoint's tail).
// Stats::replica_* report the lag.
//
// Thread-safety: a ReplicaTarget is used by one thread at a time (the replicator's, or the
// caller's for restore/list); the free functions may run concurrently on different targets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Where replica objects live. Object names are relative paths with '/' separators, e.g.
// "generations/0000000000000001/segments/0000000000000001.seg". The directory target is the
// one implementation today; an object store (S3-compatible) fits the same five calls.
class ReplicaTarget {
 public:
  virtual ~ReplicaTarget() = default;
  // For messages: "directory /mnt/replica".
  virtual std::string describe() const = 0;
  // Stores `data` under `name`, atomically (a reader sees all or nothing) and durably (it
  // survives a crash once put() returns). Throws Error: IoError, DiskFull, CantOpen.
  virtual void put(const std::string& name, std::string_view data) = 0;
  // As put(), from a local file, which is consumed (moved or copied, then removed).
  virtual void put_file(const std::string& name, const std::string& local_path) = 0;
  // The object's bytes. Throws Error(CantOpen) naming it when missing, IoError.
  virtual std::string get(const std::string& name) const = 0;
  // Names of the objects and sub-prefixes directly under `prefix` (a "folder"), sorted.
  virtual std::vector<std::string> list(const std::string& prefix) const = 0;
  // The object's size in bytes, -1 when missing.
  virtual std::int64_t size(const std::string& name) const = 0;
};

// A replica in a local directory (also a mounted network share or a synced folder: it needs only
// rename() to be atomic). Created on first put(). Never throws.
std::unique_ptr<ReplicaTarget> directory_target(const std::string& dir);

// One generation of a replica, as listed.
struct GenerationInfo {
  std::string id;  // 16 hex digits: the snapshot's txid
  std::uint64_t snapshot_txid = 0;
  std::uint64_t last_txid = 0;  // newest commit shipped (== snapshot_txid when none)
  std::int64_t snapshot_unix_ms = 0;
  std::int64_t last_unix_ms = 0;  // when the newest segment was shipped
  std::uint64_t segments = 0;
  std::int64_t bytes = 0;  // snapshot + segments
};

// The generations, oldest first. Throws Error(Corrupt) naming a generation whose snapshot
// description cannot be read.
std::vector<GenerationInfo> list_generations(const ReplicaTarget& target);

struct RestoreOptions {
  // Restore the state right after this commit (txid); none = the newest.
  std::optional<std::uint64_t> txid;
  // Restore the newest state shipped at or before this time (Unix ms); none = the newest.
  std::optional<std::int64_t> at_unix_ms;
  // On a missing or damaged segment, restore up to the last transaction before it (and say so
  // in RestoreResult::problems) instead of failing.
  bool allow_partial = false;
  bool overwrite = false;  // replace `out` if it exists
};

struct RestoreResult {
  std::string generation;
  std::uint64_t txid = 0;      // the last commit in the restored file
  std::int64_t unix_ms = 0;    // when that commit was shipped
  std::uint64_t segments = 0;  // segments applied
  bool partial = false;        // stopped early at a damaged/missing segment (allow_partial)
  std::vector<std::string> problems;
};

// Rebuilds the database into `out` (via `out`.tmp-<pid>, fsync, rename): the generation's
// snapshot, verified against its recorded checksum, then every segment in order, each checked
// (header checksum, salts, every frame's cumulative checksum, chaining to the one before, txids
// consecutive, none missing up to the generation's recorded position), applied transaction by
// transaction; then PRAGMA integrity_check. Never returns a silently wrong database.
// Throws Error: InvalidArgument (`out` exists, nothing to restore for the txid/time asked),
// Corrupt (a damaged or missing snapshot or segment — the message names the object — unless
// allow_partial), IoError.
RestoreResult restore_replica(const ReplicaTarget& target, const std::string& out,
                              const RestoreOptions& options = {});

}  // namespace sluice
