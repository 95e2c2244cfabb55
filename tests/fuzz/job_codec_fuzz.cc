// libFuzzer target for the job ring's slot (de)serialisation (src/coord/job_codec.h): the input
// bytes are a slot's job bytes as another process may have left them.
// Invariants: decode_job either throws sluice::Error(Internal) or returns a job that encodes back
// to exactly the same bytes (the format has one encoding per job), and never reads outside the
// input (AddressSanitizer).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "coord/job_codec.h"
#include "sluice/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes, so that ASan sees any read past the end.
  std::vector<std::uint8_t> in(data, data + size);
  sluice::coord::DecodedJob job;
  try {
    job = sluice::coord::decode_job(std::span<const std::uint8_t>(in.data(), in.size()));
  } catch (const sluice::Error& e) {
    if (e.code() != sluice::ErrorCode::Internal) std::abort();
    return 0;
  }
  std::vector<std::uint8_t> out(size);
  const std::size_t n = sluice::coord::encode_job(job.sql, job.params, out);
  if (n != size || std::memcmp(out.data(), in.data(), size) != 0) std::abort();
  return 0;
}
