// JobCodec: a declarative job survives the trip through a ring slot's bytes; oversized jobs are
// refused naming the limit without touching the slot; malformed bytes never decode.
#include "coord/job_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "sluice/error.h"

namespace sluice::coord {
namespace {

std::vector<Value> every_type() {
  return {nullptr,
          std::int64_t{-7},
          std::numeric_limits<std::int64_t>::max(),
          3.25,
          std::string("héllo\0x", 8),
          std::string(),
          Blob{0, 1, 255},
          Blob{}};
}

TEST(JobCodec, EveryParameterTypeRoundTrips) {
  const std::string sql = "INSERT INTO t(a,b,c,d,e,f,g,h) VALUES(?,?,?,?,?,?,?,?)";
  std::vector<std::uint8_t> buf(4096, 0xAA);
  const std::size_t n = encode_job(sql, every_type(), buf);
  EXPECT_EQ(n, encoded_job_bytes(sql, every_type()));
  const DecodedJob d = decode_job(std::span<const std::uint8_t>(buf.data(), n));
  EXPECT_EQ(d.sql, sql);
  EXPECT_EQ(d.params, every_type());
}

TEST(JobCodec, NoParametersAndEmptySqlRoundTrip) {
  std::vector<std::uint8_t> buf(16);
  const std::size_t n = encode_job("", {}, buf);
  EXPECT_EQ(n, 8u);
  const DecodedJob d = decode_job(std::span<const std::uint8_t>(buf.data(), n));
  EXPECT_EQ(d.sql, "");
  EXPECT_TRUE(d.params.empty());
}

TEST(JobCodec, OversizedJobIsRefusedNamingTheLimitAndTheBufferIsUntouched) {
  std::vector<std::uint8_t> buf(64, 0xAA);
  const std::vector<Value> params{std::string(100, 'x')};
  try {
    encode_job("INSERT INTO t VALUES(?)", params, buf);
    FAIL() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    const std::string what = e.what();
    EXPECT_NE(what.find("at most 64 bytes"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(encoded_job_bytes("INSERT INTO t VALUES(?)", params))),
              std::string::npos)
        << what;
  }
  for (std::uint8_t b : buf) ASSERT_EQ(b, 0xAA);
}

TEST(JobCodec, EveryTruncationOfAValidJobIsRefused) {
  std::vector<std::uint8_t> buf(4096);
  const std::size_t n = encode_job("UPDATE t SET a=?", every_type(), buf);
  for (std::size_t cut = 0; cut < n; ++cut) {
    try {
      (void)decode_job(std::span<const std::uint8_t>(buf.data(), cut));
      FAIL() << "a job cut to " << cut << " of " << n << " bytes decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Internal);
    }
  }
}

TEST(JobCodec, TrailingBytesUnknownTagsAndHugeCountsAreRefused) {
  std::vector<std::uint8_t> buf(64);
  std::size_t n = encode_job("x", {std::int64_t{1}}, buf);
  EXPECT_THROW((void)decode_job(std::span<const std::uint8_t>(buf.data(), n + 1)), Error);
  buf[4 + 1 + 4] = 9;  // the first parameter's tag
  EXPECT_THROW((void)decode_job(std::span<const std::uint8_t>(buf.data(), n)), Error);
  n = encode_job("x", {}, buf);
  const std::uint32_t huge = 0xFFFFFFFF;
  std::memcpy(&buf[5], &huge, 4);  // parameter count
  EXPECT_THROW((void)decode_job(std::span<const std::uint8_t>(buf.data(), n)), Error);
}

}  // namespace
}  // namespace sluice::coord
