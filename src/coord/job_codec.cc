#include "coord/job_codec.h"

#include <cstring>
#include <string>
#include <type_traits>

#include "sluice/error.h"

namespace sluice::coord {
namespace {

enum Tag : std::uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

std::size_t value_bytes(const Value& v) noexcept {
  return std::visit(
      [](const auto& x) -> std::size_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return 1;
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          return 1 + 8;
        } else {
          return 1 + 4 + x.size();
        }
      },
      v);
}

// Appends to a buffer already known to be large enough.
struct Writer {
  std::uint8_t* at;
  void bytes(const void* p, std::size_t n) {
    if (n != 0) std::memcpy(at, p, n);
    at += n;
  }
  template <class T>
  void pod(T v) {
    bytes(&v, sizeof v);
  }
};

// Reads from an untrusted buffer; every read is bounds-checked.
struct Reader {
  std::span<const std::uint8_t> in;
  std::size_t pos = 0;

  [[noreturn]] void malformed(const std::string& what) const {
    throw Error(ErrorCode::Internal, "malformed job-ring slot at byte " + std::to_string(pos) +
                                         " of " + std::to_string(in.size()) + ": " + what);
  }
  const std::uint8_t* take(std::size_t n, const char* what) {
    if (n > in.size() - pos) malformed(std::string(what) + " runs past the end");
    const std::uint8_t* p = in.data() + pos;
    pos += n;
    return p;
  }
  template <class T>
  T pod(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }
};

}  // namespace

std::size_t encoded_job_bytes(std::string_view sql, const std::vector<Value>& params) noexcept {
  std::size_t n = 4 + sql.size() + 4;
  for (const Value& v : params) n += value_bytes(v);
  return n;
}

std::size_t checked_job_bytes(std::string_view sql, const std::vector<Value>& params,
                              std::size_t limit) {
  const std::size_t need = encoded_job_bytes(sql, params);
  // Lengths are stored as u32: a limit above 4 GiB still refuses larger strings.
  if (need > limit || need > UINT32_MAX) {
    throw Error(ErrorCode::InvalidArgument,
                "statement and parameters take " + std::to_string(need) +
                    " bytes; a job-ring slot holds at most " + std::to_string(limit) +
                    " bytes (kJobBytes): the job runs in this process's own writer-lock turn");
  }
  return need;
}

std::size_t encode_job(std::string_view sql, const std::vector<Value>& params,
                       std::span<std::uint8_t> out) {
  const std::size_t need = checked_job_bytes(sql, params, out.size());
  Writer w{out.data()};
  w.pod(static_cast<std::uint32_t>(sql.size()));
  w.bytes(sql.data(), sql.size());
  w.pod(static_cast<std::uint32_t>(params.size()));
  for (const Value& v : params) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            w.pod(kNull);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            w.pod(kInteger);
            w.pod(x);
          } else if constexpr (std::is_same_v<T, double>) {
            w.pod(kReal);
            w.pod(x);
          } else {
            w.pod(std::is_same_v<T, std::string> ? kText : kBlob);
            w.pod(static_cast<std::uint32_t>(x.size()));
            w.bytes(x.data(), x.size());
          }
        },
        v);
  }
  return need;
}

DecodedJob decode_job(std::span<const std::uint8_t> in) {
  Reader r{in};
  DecodedJob out;
  const auto sql_bytes = r.pod<std::uint32_t>("the SQL length");
  out.sql =
      std::string_view(reinterpret_cast<const char*>(r.take(sql_bytes, "the SQL text")), sql_bytes);
  const auto count = r.pod<std::uint32_t>("the parameter count");
  // Each parameter takes at least its tag byte: a count beyond the bytes left is malformed
  // (and must not reserve gigabytes).
  if (count > in.size() - r.pos) r.malformed("parameter count " + std::to_string(count));
  out.params.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    switch (r.pod<std::uint8_t>("a parameter tag")) {
      case kNull:
        out.params.emplace_back(nullptr);
        break;
      case kInteger:
        out.params.emplace_back(r.pod<std::int64_t>("an integer"));
        break;
      case kReal:
        out.params.emplace_back(r.pod<double>("a real"));
        break;
      case kText: {
        const auto n = r.pod<std::uint32_t>("a text length");
        const auto* p = reinterpret_cast<const char*>(r.take(n, "a text"));
        out.params.emplace_back(std::string(p, n));
        break;
      }
      case kBlob: {
        const auto n = r.pod<std::uint32_t>("a blob length");
        const std::uint8_t* p = r.take(n, "a blob");
        out.params.emplace_back(Blob(p, p + n));
        break;
      }
      default:
        r.malformed("unknown parameter tag");
    }
  }
  if (r.pos != in.size()) r.malformed("bytes left after the last parameter");
  return out;
}

}  // namespace sluice::coord
