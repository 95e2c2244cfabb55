#include "backup/segment.h"

#include <cstring>

#include "sluice/error.h"

namespace sluice::backup {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'S', 'E', 'G'};
constexpr std::uint32_t kVersion = 1;

void put_be64(unsigned char* p, std::uint64_t v) {
  put_be32(p, static_cast<std::uint32_t>(v >> 32));
  put_be32(p + 4, static_cast<std::uint32_t>(v));
}
std::uint64_t get_be64(const unsigned char* p) {
  return std::uint64_t{get_be32(p)} << 32 | get_be32(p + 4);
}

[[noreturn]] void corrupt(const std::string& name, const std::string& why) {
  throw Error(ErrorCode::Corrupt, "replica segment '" + name + "' is damaged: " + why);
}

}  // namespace

std::string encode_segment(const SegmentHeader& h, std::string_view frames) {
  std::string out(kSegmentHeaderBytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  std::memcpy(p, kMagic, 8);
  put_be32(p + 8, kVersion);
  put_be32(p + 12, h.page_size);
  put_be64(p + 16, h.seq);
  put_be64(p + 24, h.first_frame);
  put_be32(p + 32, h.frames);
  put_be32(p + 36, h.commits);
  put_be64(p + 40, h.first_txid);
  put_be64(p + 48, h.last_txid);
  put_be64(p + 56, static_cast<std::uint64_t>(h.shipped_unix_ms));
  put_be32(p + 64, h.salt1);
  put_be32(p + 68, h.salt2);
  put_be32(p + 72, h.seed.s0);
  put_be32(p + 76, h.seed.s1);
  std::memcpy(p + 80, h.wal_header, kWalHeaderBytes);
  put_be32(p + 112, h.big_endian_checksums ? 1 : 0);
  const Checksum c = wal_checksum(true, p, 120, {});
  put_be32(p + 120, c.s0);
  put_be32(p + 124, c.s1);
  out.append(frames);
  return out;
}

Segment decode_segment(std::string_view bytes, const std::string& name) {
  if (bytes.size() < kSegmentHeaderBytes) corrupt(name, "shorter than its header");
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (std::memcmp(p, kMagic, 8) != 0) corrupt(name, "bad magic");
  const Checksum stored{get_be32(p + 120), get_be32(p + 124)};
  if (wal_checksum(true, p, 120, {}) != stored) corrupt(name, "header checksum mismatch");
  if (get_be32(p + 8) != kVersion) corrupt(name, "unknown version");
  Segment s;
  SegmentHeader& h = s.header;
  h.page_size = get_be32(p + 12);
  h.seq = get_be64(p + 16);
  h.first_frame = get_be64(p + 24);
  h.frames = get_be32(p + 32);
  h.commits = get_be32(p + 36);
  h.first_txid = get_be64(p + 40);
  h.last_txid = get_be64(p + 48);
  h.shipped_unix_ms = static_cast<std::int64_t>(get_be64(p + 56));
  h.salt1 = get_be32(p + 64);
  h.salt2 = get_be32(p + 68);
  h.seed = {get_be32(p + 72), get_be32(p + 76)};
  std::memcpy(h.wal_header, p + 80, kWalHeaderBytes);
  h.big_endian_checksums = get_be32(p + 112) != 0;
  const std::optional<WalHeader> wal = parse_wal_header(h.wal_header);
  if (!wal || wal->page_size != h.page_size || wal->salt1 != h.salt1 || wal->salt2 != h.salt2) {
    corrupt(name, "its WAL header is invalid or does not match");
  }
  s.wal = *wal;
  const std::size_t frame_bytes = kFrameHeaderBytes + h.page_size;
  if (bytes.size() != kSegmentHeaderBytes + std::size_t{h.frames} * frame_bytes) {
    corrupt(name, "size " + std::to_string(bytes.size()) + " B, expected " +
                      std::to_string(kSegmentHeaderBytes + std::size_t{h.frames} * frame_bytes) +
                      " B for " + std::to_string(h.frames) + " frames (truncated?)");
  }
  if (h.frames == 0 || h.commits == 0 || h.last_txid != h.first_txid + h.commits - 1) {
    corrupt(name, "inconsistent frame/commit/txid counts");
  }
  if (h.first_frame == 1 && h.seed != wal->checksum) corrupt(name, "bad checksum seed");
  s.frames = bytes.substr(kSegmentHeaderBytes);
  Checksum chain = h.seed;
  std::uint32_t commits = 0;
  bool last_commits = false;
  for (std::uint32_t i = 0; i < h.frames; ++i) {
    const auto* f = p + kSegmentHeaderBytes + std::size_t{i} * frame_bytes;
    const std::optional<Checksum> next = check_frame(s.wal, f, chain);
    if (!next) {
      corrupt(name, "frame " + std::to_string(i + 1) + " of " + std::to_string(h.frames) +
                        " (WAL frame " + std::to_string(h.first_frame + i) +
                        ") fails its checksum or salts");
    }
    chain = *next;
    last_commits = parse_frame_header(f).db_pages_after_commit != 0;
    if (last_commits) ++commits;
  }
  if (commits != h.commits || !last_commits) corrupt(name, "commit frames do not match header");
  s.end = chain;
  return s;
}

}  // namespace sluice::backup
