// restore_replica() and list_generations() (sluice/replica.h).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "backup/file_io.h"
#include "backup/generation.h"
#include "backup/segment.h"
#include "sluice/connection.h"
#include "sluice/error.h"
#include "sluice/replica.h"

namespace sluice {
namespace {

using backup::generation_ids;
using backup::ReplicaPosition;
using backup::Segment;
using backup::SnapshotMeta;

std::uint64_t parse_hex(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 16); }

std::optional<ReplicaPosition> read_position(const ReplicaTarget& target, const std::string& gen) {
  const std::string name = backup::position_name(gen);
  if (target.size(name) < 0) return std::nullopt;
  return backup::parse_position(target.get(name), name);
}

SnapshotMeta read_meta(const ReplicaTarget& target, const std::string& gen) {
  const std::string name = backup::snapshot_meta_name(gen);
  if (target.size(name) < 0) {
    throw Error(ErrorCode::Corrupt,
                "replica object '" + name + "' is missing (" + target.describe() + ")");
  }
  return backup::parse_snapshot_meta(target.get(name), name);
}

// Applies whole transactions of WAL frames to the file at `fd`, as a checkpoint would: each
// page at (pgno - 1) * page_size; at a commit frame the file takes the transaction's size.
class FrameApplier {
 public:
  FrameApplier(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  // Applies the segment's transactions, stopping after txid `last` (inclusive).
  // Returns the last txid applied.
  std::uint64_t apply(const Segment& s, std::uint64_t last) {
    const std::size_t ps = s.header.page_size;
    const std::size_t frame_bytes = backup::kFrameHeaderBytes + ps;
    std::uint64_t txid = s.header.first_txid;
    std::map<std::uint32_t, const char*> pages;  // the transaction's newest image of each page
    std::uint64_t applied = s.header.first_txid - 1;
    for (std::size_t i = 0; i < s.header.frames && txid <= last; ++i) {
      const char* f = s.frames.data() + i * frame_bytes;
      const backup::FrameHeader h =
          backup::parse_frame_header(reinterpret_cast<const unsigned char*>(f));
      pages[h.pgno] = f + backup::kFrameHeaderBytes;
      if (h.db_pages_after_commit == 0) continue;
      for (const auto& [pgno, data] : pages) {
        write_at(data, ps, static_cast<off_t>(pgno - 1) * static_cast<off_t>(ps));
      }
      pages.clear();
      if (::ftruncate(fd_, static_cast<off_t>(h.db_pages_after_commit) * static_cast<off_t>(ps)) !=
          0) {
        backup::throw_errno("truncate", path_);
      }
      applied = txid++;
    }
    return applied;
  }

 private:
  void write_at(const char* data, std::size_t n, off_t offset) {
    std::size_t done = 0;
    while (done < n) {
      const ssize_t w = ::pwrite(fd_, data + done, n - done, offset + static_cast<off_t>(done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) backup::throw_errno("write", path_);
      done += static_cast<std::size_t>(w);
    }
  }
  int fd_;
  std::string path_;
};

// Picks the generation that holds the state asked for.
std::string choose_generation(const ReplicaTarget& target, const RestoreOptions& o) {
  const std::vector<std::string> ids = generation_ids(target);
  if (ids.empty()) {
    throw Error(ErrorCode::InvalidArgument, "no generation to restore in " + target.describe());
  }
  if (!o.txid && !o.at_unix_ms) return ids.back();
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    const std::string gen = "generations/" + *it;
    if (o.txid && parse_hex(*it) <= *o.txid) return *it;
    if (!o.txid && read_meta(target, gen).unix_ms <= *o.at_unix_ms) return *it;
  }
  throw Error(ErrorCode::InvalidArgument,
              "nothing to restore in " + target.describe() + " at or before the " +
                  (o.txid ? "txid " + std::to_string(*o.txid)
                          : "time " + std::to_string(*o.at_unix_ms) + " (Unix ms)") +
                  ": the oldest generation begins later");
}

void check_integrity(Connection& c, const std::string& out) {
  const std::string r = c.query("PRAGMA integrity_check(20)").scalar<std::string>();
  if (r != "ok") {
    throw Error(ErrorCode::Corrupt,
                "the restored database for '" + out + "' failed PRAGMA integrity_check: " + r);
  }
}

}  // namespace

std::vector<GenerationInfo> list_generations(const ReplicaTarget& target) {
  std::vector<GenerationInfo> out;
  for (const std::string& id : generation_ids(target)) {
    const std::string gen = "generations/" + id;
    const SnapshotMeta meta = read_meta(target, gen);
    GenerationInfo g;
    g.id = id;
    g.snapshot_txid = meta.txid;
    g.snapshot_unix_ms = meta.unix_ms;
    g.last_txid = meta.txid;
    g.last_unix_ms = meta.unix_ms;
    g.bytes = std::max<std::int64_t>(target.size(backup::snapshot_name(gen)), 0);
    for (const std::string& n : target.list(backup::segments_prefix(gen))) {
      ++g.segments;
      g.bytes += std::max<std::int64_t>(target.size(backup::segments_prefix(gen) + "/" + n), 0);
    }
    if (const auto pos = read_position(target, gen)) {
      g.last_txid = pos->last_txid;
      g.last_unix_ms = pos->unix_ms;
    }
    out.push_back(g);
  }
  return out;
}

RestoreResult restore_replica(const ReplicaTarget& target, const std::string& out,
                              const RestoreOptions& options) {
  if (backup::file_exists(out) && !options.overwrite) {
    throw Error(ErrorCode::InvalidArgument,
                "restore target '" + out + "' exists (pass overwrite to replace it)");
  }
  RestoreResult result;
  result.generation = choose_generation(target, options);
  const std::string gen = "generations/" + result.generation;
  const SnapshotMeta meta = read_meta(target, gen);
  const std::string tmp = out + ".tmp-" + std::to_string(::getpid());
  struct Cleanup {
    const std::string& path;
    bool armed = true;
    ~Cleanup() {
      if (armed) ::unlink(path.c_str());
    }
  } cleanup{tmp};
  {
    const std::string name = backup::snapshot_name(gen);
    if (target.size(name) < 0) {
      throw Error(ErrorCode::Corrupt,
                  "replica snapshot '" + name + "' is missing (" + target.describe() + ")");
    }
    const std::string snap = target.get(name);
    if (static_cast<std::int64_t>(snap.size()) != meta.bytes ||
        backup::file_checksum(snap) != meta.checksum) {
      throw Error(ErrorCode::Corrupt, "replica snapshot '" + name +
                                          "' is damaged: its size or checksum differs from " +
                                          backup::snapshot_meta_name(gen));
    }
    backup::write_file_durably(tmp, snap);
  }
  const std::uint64_t last_wanted = options.txid.value_or(UINT64_MAX);
  result.txid = meta.txid;
  result.unix_ms = meta.unix_ms;
  const std::optional<ReplicaPosition> position = read_position(target, gen);
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) backup::throw_errno("open", tmp);
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } close_fd{fd};
  FrameApplier applier(fd, tmp);
  backup::WalPosition at = meta.wal;
  auto give_up = [&](const std::string& problem) {
    const std::string why = problem + " in " + target.describe();
    if (!options.allow_partial) throw Error(ErrorCode::Corrupt, why);
    result.partial = true;
    result.problems.push_back(why);
  };
  const std::uint64_t expected_segments = position ? position->seq : 0;
  for (std::uint64_t seq = 1; result.txid < last_wanted; ++seq) {
    const std::string name = backup::segment_name(gen, seq);
    if (target.size(name) < 0) {
      if (seq <= expected_segments) {
        give_up("replica segment '" + name + "' is missing (" + backup::position_name(gen) +
                " records " + std::to_string(expected_segments) + " segments)");
      }
      break;
    }
    Segment s;
    std::string bytes;
    try {
      bytes = target.get(name);
      s = backup::decode_segment(bytes, name);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Corrupt) throw;
      give_up(e.what());
      break;
    }
    const auto& h = s.header;
    const bool continues = h.salt1 == at.salt1 && h.salt2 == at.salt2 &&
                           h.first_frame == at.frame + 1 && h.seed == at.chain;
    const bool new_epoch = h.first_frame == 1 && !(h.salt1 == at.salt1 && h.salt2 == at.salt2);
    if (h.seq != seq || h.first_txid != result.txid + 1 || (!continues && !new_epoch)) {
      give_up("replica segment '" + name + "' does not follow the one before it (txid " +
              std::to_string(h.first_txid) + " after " + std::to_string(result.txid) +
              "): a segment is missing or foreign");
      break;
    }
    if (options.at_unix_ms && h.shipped_unix_ms > *options.at_unix_ms) break;
    result.txid = applier.apply(s, last_wanted);
    result.unix_ms = h.shipped_unix_ms;
    ++result.segments;
    at = {h.salt1, h.salt2, h.first_frame + h.frames - 1, s.end};
  }
  if (options.txid && result.txid < *options.txid && !result.partial) {
    throw Error(ErrorCode::InvalidArgument,
                "txid " + std::to_string(*options.txid) + " is past the newest shipped (" +
                    std::to_string(result.txid) + ") of generation " + result.generation);
  }
  if (::fsync(fd) != 0) backup::throw_errno("fsync", tmp);
  {
    // Page 1 from a WAL frame says "WAL mode": make the file self-contained again.
    Connection c = Connection::open(tmp);
    c.pragma("journal_mode=DELETE");
    check_integrity(c, out);
  }
  backup::fsync_path(tmp);
  backup::durable_rename(tmp, out);
  cleanup.armed = false;
  return result;
}

}  // namespace sluice
