#include "server/request_parser.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace sluice::server {
namespace {

using Json = nlohmann::json;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[noreturn]] void unsupported(const Json& v) {
  throw BadRequest(std::string("unsupported type: ") + v.type_name());
}

// A scalar or byte-array parameter value (objects are handled by the caller).
Value to_value(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return nullptr;
    case Json::value_t::boolean:
      return std::int64_t{v.get<bool>() ? 1 : 0};
    case Json::value_t::number_integer:
      return v.get<std::int64_t>();
    case Json::value_t::number_unsigned: {
      const auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(u);
      }
      return static_cast<double>(u);
    }
    case Json::value_t::number_float:
      return v.get<double>();
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      Blob blob;
      if (parse_hex_blob(s, blob)) return blob;
      return s;
    }
    case Json::value_t::array: {
      Blob blob;
      blob.reserve(v.size());
      for (const auto& e : v) {
        if (!e.is_number_integer() || e.get<std::int64_t>() < 0 || e.get<std::int64_t>() > 255) {
          throw BadRequest("unsupported type: array parameters must hold byte values 0..255");
        }
        blob.push_back(static_cast<std::uint8_t>(e.get<std::int64_t>()));
      }
      return blob;
    }
    default:
      unsupported(v);
  }
}

SqlStatement to_statement(const Json& element) {
  SqlStatement s;
  if (element.is_string()) {
    s.sql = element.get<std::string>();
    return s;
  }
  if (!element.is_array() || element.empty() || !element[0].is_string()) {
    throw BadRequest("invalid request");
  }
  s.sql = element[0].get<std::string>();
  for (std::size_t i = 1; i < element.size(); ++i) {
    const Json& p = element[i];
    if (p.is_object()) {
      for (const auto& [name, value] : p.items()) {
        if (value.is_object()) unsupported(value);
        s.named.emplace_back(name, to_value(value));
      }
    } else {
      s.positional.push_back(to_value(p));
    }
  }
  return s;
}

}  // namespace

bool parse_hex_blob(std::string_view text, Blob& out) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  if (text.size() < 3 || (text[0] != 'x' && text[0] != 'X') || text[1] != '\'' ||
      text.back() != '\'') {
    return false;
  }
  const std::string_view hex = text.substr(2, text.size() - 3);
  if (hex.size() % 2 != 0) return false;
  Blob blob;
  blob.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    blob.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  out = std::move(blob);
  return true;
}

std::vector<SqlStatement> parse_statements(std::string_view body, bool text_plain,
                                           const ParseLimits& limits, bool allow_empty) {
  std::vector<SqlStatement> out;
  if (text_plain) {
    if (!body.empty()) out.push_back(SqlStatement{std::string(body), {}, {}});
    return out;
  }
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw BadRequest("invalid JSON body");
  if (!doc.is_array()) throw BadRequest("invalid request");
  if (doc.empty() && !allow_empty) throw BadRequest("no statements");
  if (doc.size() > limits.max_statements) {
    throw BadRequest("too many statements: " + std::to_string(doc.size()) + " (the limit is " +
                     std::to_string(limits.max_statements) + ", --max-statements)");
  }
  out.reserve(doc.size());
  for (const Json& element : doc) {
    SqlStatement s = to_statement(element);
    if (!s.sql.empty()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sluice::server
