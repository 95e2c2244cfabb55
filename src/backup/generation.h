// Names and descriptions of a replica's objects (docs/backup.md, "The replica format"):
//
//   generations/<id>/snapshot.db      the snapshot (a self-contained SQLite file)
//   generations/<id>/snapshot.json    its txid, time, size, checksum and WAL position
//   generations/<id>/segments/<seq>.seg   WAL segments (backup/segment.h), seq 1, 2, …
//   generations/<id>/position.json    the newest segment shipped (seq, txid, WAL position)
//
// <id> and <seq> are 16 lowercase hex digits, so names sort in order; <id> is the snapshot's txid.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backup/wal_format.h"
#include "sluice/replica.h"

namespace sluice::backup {

std::string hex16(std::uint64_t v);
// The generations' ids (16 hex digits) in `target`, oldest first.
std::vector<std::string> generation_ids(const ReplicaTarget& target);
std::string generation_prefix(std::uint64_t snapshot_txid);  // "generations/<id>"
std::string snapshot_name(const std::string& gen);
std::string snapshot_meta_name(const std::string& gen);
std::string segments_prefix(const std::string& gen);
std::string segment_name(const std::string& gen, std::uint64_t seq);
std::string position_name(const std::string& gen);

// A point in the WAL: after frame `frame` of the epoch with these salts, whose cumulative
// checksum there is `chain` (frame 0: nothing of the epoch yet).
struct WalPosition {
  std::uint32_t salt1 = 0;
  std::uint32_t salt2 = 0;
  std::uint64_t frame = 0;
  Checksum chain;
};

struct SnapshotMeta {
  std::uint64_t txid = 0;
  std::int64_t unix_ms = 0;
  std::uint32_t page_size = 0;
  std::int64_t bytes = 0;
  Checksum checksum;  // file_checksum() of snapshot.db
  WalPosition wal;    // the snapshot is the database as of this WAL position
};

struct ReplicaPosition {
  std::uint64_t seq = 0;  // newest segment (0: none yet)
  std::uint64_t last_txid = 0;
  std::int64_t unix_ms = 0;
  WalPosition wal;
};

// The WAL checksum (big-endian words) of a file's bytes, zero-padded to a multiple of 8.
Checksum file_checksum(std::string_view bytes);

// The streamed file_checksum() of the file at `path` and its size. Throws IoError.
Checksum checksum_of_file(const std::string& path, std::int64_t* bytes);

std::string to_json(const SnapshotMeta& m);
std::string to_json(const ReplicaPosition& p);
// Throw Error(Corrupt) naming `name` when the text is not a valid description.
SnapshotMeta parse_snapshot_meta(const std::string& text, const std::string& name);
ReplicaPosition parse_position(const std::string& text, const std::string& name);

}  // namespace sluice::backup
