#include "server/query_params.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "server/request_parser.h"

namespace sluice::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_integer(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "0") return std::chrono::nanoseconds{0};
  if (s.empty()) return std::nullopt;
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1.0}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
      {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
  double total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    double whole = 0, frac = 0, scale = 1;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      whole = whole * 10 + (s[i++] - '0');
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        scale /= 10;
        frac += (s[i++] - '0') * scale;
        digits = true;
      }
    }
    if (!digits) return std::nullopt;
    s.remove_prefix(i);
    double unit = 0;
    std::size_t unit_len = 0;
    for (const auto& [name, ns] : kUnits) {
      // Longest match first matters only for "ms" vs "m": "ms" is listed before "m".
      if (s.substr(0, name.size()) == name) {
        unit = ns;
        unit_len = name.size();
        break;
      }
    }
    if (unit_len == 0) return std::nullopt;
    s.remove_prefix(unit_len);
    total += (whole + frac) * unit;
    if (total > 9.2e18) return std::nullopt;  // Go: "invalid duration" on int64 overflow
  }
  return std::chrono::nanoseconds{static_cast<std::int64_t>(total)};
}

QueryParams QueryParams::parse(std::string_view query) {
  QueryParams p;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq), true);
    auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) throw BadRequest("invalid URL escape in the query string");
    if (p.find(*key) == nullptr) p.items_.emplace_back(std::move(*key), std::move(*value));
  }
  return p;
}

const std::string* QueryParams::find(std::string_view key) const {
  for (const auto& [k, v] : items_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::chrono::nanoseconds QueryParams::duration(std::string_view key,
                                               std::chrono::nanoseconds fallback) const {
  const std::string* v = find(key);
  if (v == nullptr) return fallback;
  return parse_go_duration(*v).value_or(fallback);
}

std::chrono::milliseconds QueryParams::read_staleness(std::chrono::milliseconds cap) const {
  const std::string* level = find("level");
  if (level == nullptr || !iequals(*level, "none")) return std::chrono::milliseconds(0);
  const auto freshness = std::chrono::floor<std::chrono::milliseconds>(
      duration("freshness", std::chrono::nanoseconds(0)));
  return std::clamp(freshness, std::chrono::milliseconds(0), cap);
}

void QueryParams::validate() const {
  for (const char* key : {"timeout", "freshness", "db_timeout", "linearizable_timeout"}) {
    const std::string* v = find(key);
    if (v != nullptr && !parse_go_duration(*v)) {
      throw BadRequest(std::string(key) + " is not a valid duration");
    }
  }
  for (const char* key : {"retries", "trailing_logs"}) {
    const std::string* v = find(key);
    if (v != nullptr && !is_integer(*v)) {
      throw BadRequest(std::string(key) + " is not a valid integer");
    }
  }
  if (const std::string* q = find("q"); q != nullptr && q->empty()) {
    throw BadRequest("query parameter not set");
  }
  if (has("freshness_strict") && !has("freshness")) {
    throw BadRequest("freshness_strict requires freshness");
  }
  if (const std::string* level = find("level"); level != nullptr) {
    bool known = false;
    for (const char* name : {"none", "weak", "strong", "linearizable", "auto"}) {
      known = known || iequals(*level, name);
    }
    if (!known) {
      throw BadRequest("level must be none, weak, strong, linearizable or auto, not '" + *level +
                       "'");
    }
  }
}

}  // namespace sluice::server
