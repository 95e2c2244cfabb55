#include "sluice/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/knobs.h"
#include "sluice/error.h"

namespace sluice {
namespace {

using config::Kind;
using config::Knob;

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw Error(ErrorCode::InvalidArgument, "bad percent-escape in URL " + std::string(what) +
                                                  " \"" + std::string(s) +
                                                  "\"; valid: %XX with two hex digits");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string valid_keys() {
  std::string keys;
  for (const Knob& k : config::knobs()) {
    if (!keys.empty()) keys += ", ";
    keys += k.alias.empty() ? k.name : k.alias;
  }
  return keys;
}

}  // namespace

std::string_view to_string(Synchronous s) noexcept {
  switch (s) {
    case Synchronous::Off:
      return "off";
    case Synchronous::Normal:
      return "normal";
    case Synchronous::Full:
      return "full";
    case Synchronous::Extra:
      return "extra";
  }
  return "unknown";
}

std::string_view to_string(TempStore t) noexcept {
  switch (t) {
    case TempStore::Default:
      return "default";
    case TempStore::File:
      return "file";
    case TempStore::Memory:
      return "memory";
  }
  return "unknown";
}

int Config::default_pool_size() noexcept {
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

Config Config::production() { return Config{}; }

Config Config::from_url(std::string_view url, const Config& base) {
  std::string_view rest;
  if (url.starts_with("sqlite://")) {
    rest = url.substr(9);
  } else if (url.starts_with("file://")) {
    rest = url.substr(7);
  } else if (url.starts_with("file:")) {
    rest = url.substr(5);
  } else {
    std::string scheme(url.substr(0, std::min(url.find(':'), url.size())));
    throw Error(ErrorCode::InvalidArgument, "unsupported URL scheme \"" + scheme + "\" in \"" +
                                                std::string(url) +
                                                "\"; valid: sqlite:///abs/path.db, "
                                                "sqlite://rel/path.db, file:path");
  }
  Config c = base;
  std::size_t q = rest.find('?');
  c.path = percent_decode(rest.substr(0, q), "path");
  if (c.path.empty()) {
    throw Error(ErrorCode::InvalidArgument, "URL \"" + std::string(url) +
                                                "\" has no database path; valid: "
                                                "sqlite:///abs/path.db or sqlite://rel/path.db");
  }
  if (q == std::string_view::npos) return c;
  std::string_view query = rest.substr(q + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), "key");
    if (eq == std::string_view::npos) {
      throw Error(ErrorCode::InvalidArgument,
                  "URL key \"" + key + "\" has no value; write " + key + "=VALUE");
    }
    const Knob* knob = config::find_knob(key);
    if (knob == nullptr) {
      throw Error(ErrorCode::InvalidArgument,
                  "URL key \"" + key + "\" is unknown; valid keys: " + valid_keys());
    }
    config::set_knob(c, *knob, percent_decode(pair.substr(eq + 1), "value"),
                     "URL key \"" + key + "\"");
  }
  return c;
}

Config Config::from_env(const Config& base, const std::function<const char*(const char*)>& getenv) {
  auto get = [&](const std::string& name) -> const char* {
    return getenv ? getenv(name.c_str()) : std::getenv(name.c_str());
  };
  Config c = base;
  auto apply = [&](const std::string& var, std::string_view knob_name) {
    if (const char* v = get(var)) config::set_knob(c, *config::find_knob(knob_name), v, var);
  };
  // The seeds' names first, then Sluice's own (more specific) names.
  if (const char* url = get("DATABASE_URL")) c = from_url(url, c);
  apply("DB_POOL_SIZE", "pool_size");
  apply("DB_ENABLE_WAL", "wal");
  apply("DB_SEPARATE_READ_WRITE", "separate_read_write");
  if (const char* url = get("SLUICE_URL")) c = from_url(url, c);
  if (const char* path = get("SLUICE_PATH")) c.path = path;
  for (const Knob& knob : config::knobs()) apply("SLUICE_" + upper(knob.name), knob.name);
  return c;
}

void Config::validate() const {
  if (path.empty()) {
    throw Error(ErrorCode::InvalidArgument,
                "path is empty; valid: a file path such as data/app.db");
  }
  for (const Knob& knob : config::knobs()) {
    std::int64_t v = 0;
    if (knob.kind == Kind::Int) {
      v = this->*knob.int_field;
    } else if (knob.kind == Kind::Int64) {
      v = this->*knob.int64_field;
    } else {
      continue;
    }
    if (v < knob.min || v > knob.max) {
      throw Error(ErrorCode::InvalidArgument,
                  std::string(knob.name) + "=" + std::to_string(v) + " is out of range; valid: " +
                      std::string(knob.name) + " " + config::valid_values(knob));
    }
  }
}

std::string Config::to_json() const {
  nlohmann::json j;
  j["path"] = path;
  for (const Knob& knob : config::knobs()) {
    switch (knob.kind) {
      case Kind::Int:
        j[std::string(knob.name)] = this->*knob.int_field;
        break;
      case Kind::Int64:
        j[std::string(knob.name)] = this->*knob.int64_field;
        break;
      case Kind::Bool:
        j[std::string(knob.name)] = this->*knob.bool_field;
        break;
      default:
        j[std::string(knob.name)] = config::knob_value(*this, knob);
        break;
    }
  }
  return j.dump();
}

}  // namespace sluice
