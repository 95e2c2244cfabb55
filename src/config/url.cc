// Config::from_url: "sqlite:///abs/path.db?busy_timeout=5000&pool_size=4", "sqlite://rel/path.db",
// "file:path?..." (RFC 8089 file URIs, as SQLite accepts them).
#include <algorithm>
#include <cctype>
#include <string>

#include "config/knobs.h"
#include "sluice/config.h"
#include "sluice/error.h"

namespace sluice {
namespace {

constexpr std::string_view kValidForms =
    "valid: sqlite:///abs/path.db, sqlite://rel/path.db, file:path, each with ?key=value&...";

[[noreturn]] void bad_url(const std::string& message) {
  throw Error(ErrorCode::InvalidArgument, message);
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::ranges::equal(
             s.substr(0, prefix.size()), prefix,
             [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `s` with each %XX replaced by its byte. `what` names the part ("path", "key", "value").
std::string percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    // A NUL byte would silently cut the path (or value) short in SQLite's C API.
    if (hi < 0 || lo < 0 || hi + lo == 0) {
      bad_url("bad percent-escape \"" + std::string(s.substr(i, 3)) + "\" in URL " +
              std::string(what) + " \"" + std::string(s) +
              "\"; valid: % followed by two hex digits, not %00");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The part of `url` after its scheme (and a file: URI's authority): the path, query, fragment.
std::string_view strip_scheme(std::string_view url) {
  if (starts_with_nocase(url, "sqlite://")) return url.substr(9);
  if (starts_with_nocase(url, "file:")) {
    std::string_view rest = url.substr(5);
    if (!rest.starts_with("//")) return rest;  // file:rel/path.db, file:/abs/path.db
    // file://AUTHORITY/path: like SQLite, accept only an empty authority or "localhost".
    rest.remove_prefix(2);
    const std::size_t slash = std::min(rest.find('/'), rest.find_first_of("?#"));
    const std::string_view authority = rest.substr(0, slash);
    if (!authority.empty() &&
        !(authority.size() == 9 && starts_with_nocase(authority, "localhost"))) {
      bad_url("file: URL authority \"" + std::string(authority) +
              "\" is not supported; valid: file:///abs/path.db, file://localhost/abs/path.db, "
              "file:rel/path.db");
    }
    return slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  // Name only the scheme: a URL meant for another database may carry a password.
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    bad_url("URL has no scheme (\"" + std::string(url.substr(0, 64)) + "\"); " +
            std::string(kValidForms));
  }
  const bool slashes = url.substr(colon + 1).starts_with("//");
  bad_url("unsupported URL scheme \"" + std::string(url.substr(0, colon + 1)) +
          (slashes ? "//" : "") + "\"; " + std::string(kValidForms));
}

std::string valid_keys() {
  std::string keys;
  for (const config::Knob& k : config::knobs()) {
    if (!keys.empty()) keys += ", ";
    keys += k.alias.empty() ? k.name : k.alias;
  }
  return keys + " (each also with its unit suffix, e.g. busy_timeout_ms)";
}

// Applies one "key=value" of the query to `c`.
void apply_pair(Config& c, std::string_view pair) {
  const std::size_t eq = pair.find('=');
  const std::string key = percent_decode(pair.substr(0, eq), "key");
  if (eq == std::string_view::npos) {
    bad_url("URL key \"" + key + "\" has no value; valid: " + key + "=VALUE");
  }
  const config::Knob* knob = config::find_knob(key);
  if (knob == nullptr) {
    if (key == "path") {
      bad_url("URL key \"path\" is not allowed; the database path is the URL's path, as in " +
              std::string("sqlite:///abs/path.db"));
    }
    bad_url("URL key \"" + key + "\" is unknown; valid keys: " + valid_keys());
  }
  config::set_knob(c, *knob, percent_decode(pair.substr(eq + 1), "value"),
                   "URL key \"" + key + "\"");
}

}  // namespace

Config Config::from_url(std::string_view url, const Config& base) {
  std::string_view rest = strip_scheme(url);
  rest = rest.substr(0, rest.find('#'));  // a fragment means nothing to a database URL
  const std::size_t q = rest.find('?');
  Config c = base;
  c.path = percent_decode(rest.substr(0, q), "path");
  if (c.path.empty()) bad_url("URL has no database path; " + std::string(kValidForms));
  if (q == std::string_view::npos) return c;
  std::string_view query = rest.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    if (amp != 0) apply_pair(c, query.substr(0, amp));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return c;
}

}  // namespace sluice
