// A replica segment: whole transactions of WAL frames, byte for byte as in the -wal file, behind
// a 128-byte header (big-endian) that says where they come from and chains them to the segment
// before (docs/backup.md, "The replica format"):
//
//   0  "SLUICSEG"            8 bytes magic
//   8  u32 version (1)       12 u32 page_size
//   16 u64 seq (1, 2, … in the generation)
//   24 u64 first_frame (its index in the WAL, 1-based)
//   32 u32 frames            36 u32 commits
//   40 u64 first_txid        48 u64 last_txid
//   56 u64 shipped_unix_ms
//   64 u32 salt1  68 u32 salt2   (the WAL epoch's salts; every frame carries them too)
//   72 u32 seed0  76 u32 seed1   (the checksum chain before the first frame)
//   80 32 bytes: the WAL header of the epoch (its checksum seeds frame 1)
//   112 u32 big_endian_checksums   116 u32 0
//   120 u32 chk0 124 u32 chk1      (WAL checksum, big-endian words, of bytes 0..119)
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backup/wal_format.h"

namespace sluice::backup {

constexpr std::size_t kSegmentHeaderBytes = 128;

struct SegmentHeader {
  std::uint32_t page_size = 0;
  std::uint64_t seq = 0;
  std::uint64_t first_frame = 0;
  std::uint32_t frames = 0;
  std::uint32_t commits = 0;
  std::uint64_t first_txid = 0;
  std::uint64_t last_txid = 0;
  std::int64_t shipped_unix_ms = 0;
  std::uint32_t salt1 = 0;
  std::uint32_t salt2 = 0;
  Checksum seed;
  unsigned char wal_header[kWalHeaderBytes] = {};
  bool big_endian_checksums = false;
};

// Header + frames.
std::string encode_segment(const SegmentHeader& h, std::string_view frames);

// A segment whose header and every frame checked out: `frames` points into the input.
struct Segment {
  SegmentHeader header;
  WalHeader wal;  // from header.wal_header
  Checksum end;   // chain through the last frame
  std::string_view frames;
};

// Parses and verifies `bytes` (named `name` in errors): magic, header checksum, size, the WAL
// header, the seed (== the WAL header's checksum when first_frame is 1), every frame's salts and
// cumulative checksum, the commit count, and that the last frame commits.
// Throws Error(Corrupt) naming `name` and what is wrong.
Segment decode_segment(std::string_view bytes, const std::string& name);

}  // namespace sluice::backup
