// SQLite's WAL file format (sqlite.org/fileformat2.html#walformat): the 32-byte header, the
// 24-byte frame headers and the cumulative Fibonacci-weighted checksum that chains every frame
// to the one before it (seeded by the header's). The replicator reads committed frames from the
// -wal file with these; restore verifies shipped frames with the same checksums.
//
// Thread-safety: pure functions; WalScan reads a file descriptor it does not own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sluice::backup {

constexpr std::size_t kWalHeaderBytes = 32;
constexpr std::size_t kFrameHeaderBytes = 24;

struct Checksum {
  std::uint32_t s0 = 0;
  std::uint32_t s1 = 0;
  bool operator==(const Checksum&) const = default;
};

struct WalHeader {
  bool big_endian_checksums = false;  // magic 0x377f0683 (else 0x377f0682)
  std::uint32_t page_size = 0;
  std::uint32_t checkpoint_seq = 0;
  std::uint32_t salt1 = 0;
  std::uint32_t salt2 = 0;
  Checksum checksum;  // of the header's first 24 bytes
};

struct FrameHeader {
  std::uint32_t pgno = 0;
  std::uint32_t db_pages_after_commit = 0;  // non-zero on the last frame of a transaction
  std::uint32_t salt1 = 0;
  std::uint32_t salt2 = 0;
  Checksum checksum;  // cumulative, through this frame
};

std::uint32_t get_be32(const unsigned char* p) noexcept;
void put_be32(unsigned char* p, std::uint32_t v) noexcept;

// The checksum of `n` bytes (a multiple of 8) continuing from `seed`.
Checksum wal_checksum(bool big_endian, const unsigned char* data, std::size_t n,
                      Checksum seed) noexcept;

// The header at `p` (32 bytes) when its magic, version and checksum are valid.
std::optional<WalHeader> parse_wal_header(const unsigned char* p) noexcept;
FrameHeader parse_frame_header(const unsigned char* p) noexcept;

// A frame (header + page) is valid after `seed` in an epoch with these salts when its salts
// match and its stored checksum equals the chain's. Returns the new chain value, or nullopt.
std::optional<Checksum> check_frame(const WalHeader& wal, const unsigned char* frame,
                                    Checksum seed) noexcept;

// Committed frames read from a -wal file: frames first_frame..last_frame (1-based) in `bytes`,
// ending at a commit frame. Empty (frames == 0) when nothing committed follows.
struct WalRun {
  std::uint64_t first_frame = 0;
  std::uint64_t frames = 0;
  std::uint64_t commits = 0;
  Checksum end;  // chain through the last frame
  std::string bytes;
};

// Reads valid frames of the epoch `wal` from frame `from` (1-based) with chain `seed`, stopping
// at the first invalid frame, at end of file, or at the first commit frame once `max_bytes` are
// read (a larger transaction is read whole); keeps only what ends at the last commit frame. Throws
// IoError naming `path`. Reading also stops after frame `last_frame`.
WalRun read_committed(int fd, const std::string& path, const WalHeader& wal, std::uint64_t from,
                      Checksum seed, std::size_t max_bytes, std::uint64_t last_frame = UINT64_MAX);

}  // namespace sluice::backup
