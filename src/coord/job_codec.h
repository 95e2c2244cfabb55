// JobCodec: a declarative write job (SQL text and typed parameters) as the bytes of a job-ring
// slot (job_ring.h), and back. The bytes cross process boundaries, so decoding trusts nothing:
// every length is checked against the buffer, and a malformed buffer is an error, never a read
// past its end (tests/fuzz/job_codec_fuzz.cc).
//
// Format (host byte order: every process sharing a side file runs on this machine):
//   u32 sql_bytes, sql_bytes of SQL text,
//   u32 param_count, then per parameter a u8 tag and its value:
//     0 NULL | 1 INTEGER i64 | 2 REAL f64 | 3 TEXT u32 bytes + bytes | 4 BLOB u32 bytes + bytes
//
// Thread-safety: free functions over caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/value.h"

namespace sluice::coord {

// The bytes (sql, params) take when encoded.
std::size_t encoded_job_bytes(std::string_view sql, const std::vector<Value>& params) noexcept;

// encoded_job_bytes, or Error(InvalidArgument) naming the size and `limit` when it is larger.
std::size_t checked_job_bytes(std::string_view sql, const std::vector<Value>& params,
                              std::size_t limit);

// Encodes into `out` and returns the bytes written. Throws Error(InvalidArgument) naming the
// size and the limit (out.size()) when it does not fit; `out` is then left untouched, so a slot
// is never half written.
std::size_t encode_job(std::string_view sql, const std::vector<Value>& params,
                       std::span<std::uint8_t> out);

// A decoded job: the SQL text points into the buffer it was decoded from.
struct DecodedJob {
  std::string_view sql;
  std::vector<Value> params;
};

// Decodes `in`. Throws Error(Internal) naming the first inconsistency (a length past the end, an
// unknown tag, bytes left over) for a buffer that encode_job did not write.
DecodedJob decode_job(std::span<const std::uint8_t> in);

}  // namespace sluice::coord
