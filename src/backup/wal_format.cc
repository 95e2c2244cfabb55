#include "backup/wal_format.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backup/file_io.h"

namespace sluice::backup {
namespace {

constexpr std::uint32_t kMagicLittle = 0x377f0682;
constexpr std::uint32_t kMagicBig = 0x377f0683;
constexpr std::uint32_t kWalVersion = 3007000;

std::uint32_t get_word(bool big_endian, const unsigned char* p) noexcept {
  if (big_endian) return get_be32(p);
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

std::uint32_t get_be32(const unsigned char* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

void put_be32(unsigned char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

Checksum wal_checksum(bool big_endian, const unsigned char* data, std::size_t n,
                      Checksum seed) noexcept {
  std::uint32_t s0 = seed.s0, s1 = seed.s1;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    s0 += get_word(big_endian, data + i) + s1;
    s1 += get_word(big_endian, data + i + 4) + s0;
  }
  return {s0, s1};
}

std::optional<WalHeader> parse_wal_header(const unsigned char* p) noexcept {
  const std::uint32_t magic = get_be32(p);
  if (magic != kMagicLittle && magic != kMagicBig) return std::nullopt;
  if (get_be32(p + 4) != kWalVersion) return std::nullopt;
  WalHeader h;
  h.big_endian_checksums = magic == kMagicBig;
  h.page_size = get_be32(p + 8);
  h.checkpoint_seq = get_be32(p + 12);
  h.salt1 = get_be32(p + 16);
  h.salt2 = get_be32(p + 20);
  h.checksum = {get_be32(p + 24), get_be32(p + 28)};
  if (h.page_size < 512 || h.page_size > 65536 || (h.page_size & (h.page_size - 1)) != 0) {
    return std::nullopt;
  }
  if (wal_checksum(h.big_endian_checksums, p, 24, {}) != h.checksum) return std::nullopt;
  return h;
}

FrameHeader parse_frame_header(const unsigned char* p) noexcept {
  FrameHeader f;
  f.pgno = get_be32(p);
  f.db_pages_after_commit = get_be32(p + 4);
  f.salt1 = get_be32(p + 8);
  f.salt2 = get_be32(p + 12);
  f.checksum = {get_be32(p + 16), get_be32(p + 20)};
  return f;
}

std::optional<Checksum> check_frame(const WalHeader& wal, const unsigned char* frame,
                                    Checksum seed) noexcept {
  const FrameHeader f = parse_frame_header(frame);
  if (f.pgno == 0 || f.salt1 != wal.salt1 || f.salt2 != wal.salt2) return std::nullopt;
  Checksum c = wal_checksum(wal.big_endian_checksums, frame, 8, seed);
  c = wal_checksum(wal.big_endian_checksums, frame + kFrameHeaderBytes, wal.page_size, c);
  if (c != f.checksum) return std::nullopt;
  return c;
}

WalRun read_committed(int fd, const std::string& path, const WalHeader& wal, std::uint64_t from,
                      Checksum seed, std::size_t max_bytes, std::uint64_t last_frame) {
  const std::size_t frame_bytes = kFrameHeaderBytes + wal.page_size;
  WalRun run;
  run.first_frame = from;
  run.end = seed;
  std::string frame(frame_bytes, '\0');
  auto* f = reinterpret_cast<unsigned char*>(frame.data());
  std::uint64_t n = from;
  std::string pending;  // frames after the last commit frame
  std::uint64_t pending_frames = 0;
  Checksum chain = seed;
  // Stops at a commit boundary once max_bytes are taken: a larger transaction is read whole.
  while (run.bytes.size() < max_bytes && n <= last_frame) {
    const auto offset = static_cast<off_t>(kWalHeaderBytes + (n - 1) * frame_bytes);
    const ssize_t got = ::pread(fd, f, frame_bytes, offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path);
    }
    if (static_cast<std::size_t>(got) < frame_bytes) break;
    const std::optional<Checksum> next = check_frame(wal, f, chain);
    if (!next) break;
    chain = *next;
    pending.append(frame);
    ++pending_frames;
    ++n;
    if (parse_frame_header(f).db_pages_after_commit != 0) {
      run.bytes.append(pending);
      run.frames += pending_frames;
      run.commits += 1;
      run.end = chain;
      pending.clear();
      pending_frames = 0;
    }
  }
  return run;
}

}  // namespace sluice::backup
