#include "config/knobs.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sluice/error.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kTiB = std::int64_t{1} << 40;

Knob int_knob(std::string_view name, std::string_view alias, int Config::*field, std::int64_t min,
              std::int64_t max) {
  Knob k{name, alias, Kind::Int, min, max};
  k.int_field = field;
  return k;
}
Knob int64_knob(std::string_view name, std::string_view alias, std::int64_t Config::*field,
                std::int64_t min, std::int64_t max) {
  Knob k{name, alias, Kind::Int64, min, max};
  k.int64_field = field;
  return k;
}
Knob bool_knob(std::string_view name, bool Config::*field) {
  Knob k{name, "", Kind::Bool};
  k.bool_field = field;
  return k;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

[[noreturn]] void bad(const Knob& knob, std::string_view text, std::string_view source,
                      std::string_view why) {
  throw Error(ErrorCode::InvalidArgument,
              std::string(source) + "=\"" + std::string(text) + "\": " + std::string(why) +
                  "; valid: " + std::string(knob.name) + " " + valid_values(knob));
}

std::int64_t parse_int(const Knob& knob, std::string_view text, std::string_view source) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) bad(knob, text, source, "out of range");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    bad(knob, text, source, "not an integer");
  }
  if (v < knob.min || v > knob.max) bad(knob, text, source, "out of range");
  return v;
}

bool parse_bool(const Knob& knob, std::string_view text, std::string_view source) {
  std::string t = lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  bad(knob, text, source, "not a boolean");
}

template <class E>
E parse_enum(const Knob& knob, std::string_view text, std::string_view source,
             std::initializer_list<std::string_view> names) {
  std::string t = lower(text);
  int i = 0;
  for (std::string_view n : names) {
    if (t == n || t == std::to_string(i)) return static_cast<E>(i);
    ++i;
  }
  bad(knob, text, source, "unknown value");
}

}  // namespace

const std::vector<Knob>& knobs() {
  static const std::vector<Knob> table = [] {
    std::vector<Knob> t;
    t.push_back(bool_knob("create_if_missing", &Config::create_if_missing));
    Knob vfs{"vfs", "", Kind::String};
    vfs.string_field = &Config::vfs;
    t.push_back(vfs);
    t.push_back(bool_knob("wal", &Config::wal));
    Knob sync{"synchronous", "", Kind::Synchronous};
    sync.sync_field = &Config::synchronous;
    t.push_back(sync);
    t.push_back(int_knob("busy_timeout_ms", "busy_timeout", &Config::busy_timeout_ms, 0, kHourMs));
    t.push_back(int64_knob("cache_size_kib", "cache_size", &Config::cache_size_kib, 0,
                           std::int64_t{16} << 20));
    t.push_back(int64_knob("mmap_size_bytes", "mmap_size", &Config::mmap_size_bytes, 0, kTiB));
    Knob temp{"temp_store", "", Kind::TempStore};
    temp.temp_field = &Config::temp_store;
    t.push_back(temp);
    t.push_back(bool_knob("foreign_keys", &Config::foreign_keys));
    t.push_back(int64_knob("journal_size_limit_bytes", "journal_size_limit",
                           &Config::journal_size_limit_bytes, -1, kTiB));
    t.push_back(int_knob("checkpoint_pages", "", &Config::checkpoint_pages, 1, 10'000'000));
    t.push_back(bool_knob("strict_pragmas", &Config::strict_pragmas));
    t.push_back(int64_knob("malloc_trim_threshold_bytes", "malloc_trim_threshold",
                           &Config::malloc_trim_threshold_bytes, 0, std::int64_t{1} << 30));
    t.push_back(int_knob("pool_size", "", &Config::pool_size, 1, 1024));
    t.push_back(bool_knob("separate_read_write", &Config::separate_read_write));
    t.push_back(int_knob("max_batch_jobs", "", &Config::max_batch_jobs, 1, 1'000'000));
    t.push_back(int_knob("queue_capacity", "", &Config::queue_capacity, 1, 10'000'000));
    t.push_back(
        int_knob("enqueue_timeout_ms", "enqueue_timeout", &Config::enqueue_timeout_ms, 0, kHourMs));
    t.push_back(int_knob("write_deadline_ms", "write_deadline", &Config::write_deadline_ms, 1,
                         24 * kHourMs));
    t.push_back(int_knob("read_timeout_ms", "read_timeout", &Config::read_timeout_ms, 0, kHourMs));
    t.push_back(
        int_knob("commit_delay_us", "commit_delay", &Config::commit_delay_us, 0, 1'000'000));
    return t;
  }();
  return table;
}

const Knob* find_knob(std::string_view key) {
  std::string k = lower(key);
  for (const Knob& knob : knobs()) {
    if (k == knob.name || (!knob.alias.empty() && k == knob.alias)) return &knob;
  }
  return nullptr;
}

std::string valid_values(const Knob& knob) {
  switch (knob.kind) {
    case Kind::Int:
    case Kind::Int64:
      return std::to_string(knob.min) + ".." + std::to_string(knob.max);
    case Kind::Bool:
      return "true|false (also 1|0, yes|no, on|off)";
    case Kind::Synchronous:
      return "off|normal|full|extra (or 0..3)";
    case Kind::TempStore:
      return "default|file|memory (or 0..2)";
    case Kind::String:
      return "any text";
  }
  return "";
}

void set_knob(Config& c, const Knob& knob, std::string_view text, std::string_view source) {
  switch (knob.kind) {
    case Kind::Int:
      c.*knob.int_field = static_cast<int>(parse_int(knob, text, source));
      break;
    case Kind::Int64:
      c.*knob.int64_field = parse_int(knob, text, source);
      break;
    case Kind::Bool:
      c.*knob.bool_field = parse_bool(knob, text, source);
      break;
    case Kind::Synchronous:
      c.*knob.sync_field =
          parse_enum<Synchronous>(knob, text, source, {"off", "normal", "full", "extra"});
      break;
    case Kind::TempStore:
      c.*knob.temp_field = parse_enum<TempStore>(knob, text, source, {"default", "file", "memory"});
      break;
    case Kind::String:
      c.*knob.string_field = std::string(text);
      break;
  }
}

std::string knob_value(const Config& c, const Knob& knob) {
  switch (knob.kind) {
    case Kind::Int:
      return std::to_string(c.*knob.int_field);
    case Kind::Int64:
      return std::to_string(c.*knob.int64_field);
    case Kind::Bool:
      return c.*knob.bool_field ? "true" : "false";
    case Kind::Synchronous:
      return std::string(to_string(c.*knob.sync_field));
    case Kind::TempStore:
      return std::string(to_string(c.*knob.temp_field));
    case Kind::String:
      return c.*knob.string_field;
  }
  return "";
}

}  // namespace sluice::config
