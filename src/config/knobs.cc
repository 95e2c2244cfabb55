#include "config/knobs.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <type_traits>

#include "sluice/error.h"

namespace sluice::config {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kGiB = std::int64_t{1} << 30;
constexpr std::int64_t kTiB = std::int64_t{1} << 40;

// Ranges and their sources are documented on each field in include/sluice/config.h.
constexpr auto kKnobs = std::to_array<Knob>({
    {"create_if_missing", "", &Config::create_if_missing},
    {"vfs", "", &Config::vfs},
    {"wal", "", &Config::wal},
    {"synchronous", "", &Config::synchronous},
    {"busy_timeout_ms", "busy_timeout", &Config::busy_timeout_ms, 0, kHourMs},
    {"cache_size_kib", "cache_size", &Config::cache_size_kib, 0, 16 * kGiB / 1024},
    {"mmap_size_bytes", "mmap_size", &Config::mmap_size_bytes, 0, kTiB},
    {"temp_store", "", &Config::temp_store},
    {"foreign_keys", "", &Config::foreign_keys},
    {"journal_size_limit_bytes", "journal_size_limit", &Config::journal_size_limit_bytes, -1, kTiB},
    {"checkpoint_pages", "", &Config::checkpoint_pages, 1, 10'000'000},
    {"strict_pragmas", "", &Config::strict_pragmas},
    {"malloc_trim_threshold_bytes", "malloc_trim_threshold", &Config::malloc_trim_threshold_bytes,
     0, kGiB},
    {"pool_size", "", &Config::pool_size, 1, 1024},
    {"separate_read_write", "", &Config::separate_read_write},
    {"max_batch_jobs", "", &Config::max_batch_jobs, 1, 1'000'000},
    {"queue_capacity", "", &Config::queue_capacity, 1, 10'000'000},
    {"enqueue_timeout_ms", "enqueue_timeout", &Config::enqueue_timeout_ms, 0, kHourMs},
    {"write_deadline_ms", "write_deadline", &Config::write_deadline_ms, 1, 24 * kHourMs},
    {"read_timeout_ms", "read_timeout", &Config::read_timeout_ms, 0, kHourMs},
    {"commit_delay_us", "commit_delay", &Config::commit_delay_us, 0, 1'000'000},
    {"caller_commits", "", &Config::caller_commits},
    {"coordinate_processes", "", &Config::coordinate_processes},
    {"checkpoint_idle_ms", "checkpoint_idle", &Config::checkpoint_idle_ms, 10, kHourMs},
    {"commit_autocheckpoint_pages", "commit_autocheckpoint", &Config::commit_autocheckpoint_pages,
     0, 10'000'000},
    {"max_read_txn_ms", "max_read_txn", &Config::max_read_txn_ms, 0, 24 * kHourMs},
    {"max_staleness_ms", "max_staleness", &Config::max_staleness_ms, 0, 60'000},
    {"replica", "", &Config::replica},
    {"replica_interval_ms", "replica_interval", &Config::replica_interval_ms, 10, 60'000},
    {"replica_max_hold_pages", "", &Config::replica_max_hold_pages, 1000, 100'000'000},
});

// An int field's range must fit in int, or set_knob() would narrow.
static_assert(std::ranges::all_of(kKnobs, [](const Knob& k) {
  return !std::holds_alternative<int Config::*>(k.field) ||
         (k.min >= std::numeric_limits<int>::min() && k.max <= std::numeric_limits<int>::max() &&
          k.min <= k.max);
}));

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

[[noreturn]] void bad_text(const Knob& knob, std::string_view text, std::string_view source,
                           std::string_view why) {
  throw Error(ErrorCode::InvalidArgument,
              std::string(source) + "=\"" + std::string(text) + "\": " + std::string(why) +
                  "; valid: " + std::string(knob.name) + " " + valid_values(knob));
}

std::int64_t parse_int(const Knob& knob, std::string_view text, std::string_view source) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range) bad_text(knob, text, source, "out of range");
  if (ec != std::errc() || ptr != end) bad_text(knob, text, source, "not an integer");
  if (v < knob.min || v > knob.max) bad_text(knob, text, source, "out of range");
  return v;
}

bool parse_bool(const Knob& knob, std::string_view text, std::string_view source) {
  const std::string t = lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  bad_text(knob, text, source, "not a boolean");
}

template <class E>
E parse_enum(const Knob& knob, std::string_view text, std::string_view source) {
  const std::string t = lower(text);
  const auto& names = EnumNames<E>::kNames;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (t == names[i] || t == std::to_string(i)) return static_cast<E>(i);
  }
  bad_text(knob, text, source, "unknown value");
}

template <class E>
bool enum_in_range(E e) {
  const auto i = static_cast<std::underlying_type_t<E>>(e);
  return i >= 0 && static_cast<std::size_t>(i) < EnumNames<E>::kNames.size();
}

// The field's type, through a member pointer.
template <class Member>
using FieldType = std::remove_cvref_t<decltype(std::declval<Config&>().*std::declval<Member>())>;

}  // namespace

std::span<const Knob> knobs() noexcept { return kKnobs; }

const Knob* find_knob(std::string_view key) noexcept {
  auto same = [](std::string_view a, std::string_view b) {
    return std::ranges::equal(
        a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
  };
  for (const Knob& knob : kKnobs) {
    if (same(key, knob.name) || (!knob.alias.empty() && same(key, knob.alias))) return &knob;
  }
  return nullptr;
}

std::string valid_values(const Knob& knob) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = FieldType<decltype(member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return "true|false (also 1|0, yes|no, on|off)";
        } else if constexpr (std::is_enum_v<T>) {
          std::string out;
          for (std::string_view n : EnumNames<T>::kNames) {
            if (!out.empty()) out += '|';
            out += n;
          }
          return out + " (or 0.." + std::to_string(EnumNames<T>::kNames.size() - 1) + ")";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "any text";
        } else {
          return std::to_string(knob.min) + ".." + std::to_string(knob.max);
        }
      },
      knob.field);
}

void set_knob(Config& config, const Knob& knob, std::string_view text, std::string_view source) {
  std::visit(
      [&](auto member) {
        using T = FieldType<decltype(member)>;
        if constexpr (std::is_same_v<T, bool>) {
          config.*member = parse_bool(knob, text, source);
        } else if constexpr (std::is_enum_v<T>) {
          config.*member = parse_enum<T>(knob, text, source);
        } else if constexpr (std::is_same_v<T, std::string>) {
          config.*member = std::string(text);
        } else {
          config.*member = static_cast<T>(parse_int(knob, text, source));  // in T's range
        }
      },
      knob.field);
}

std::string knob_value(const Config& config, const Knob& knob) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = FieldType<decltype(member)>;
        const T& v = config.*member;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_enum_v<T>) {
          if (!enum_in_range(v)) return std::to_string(static_cast<std::underlying_type_t<T>>(v));
          return std::string(EnumNames<T>::kNames[static_cast<std::size_t>(v)]);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return std::to_string(v);
        }
      },
      knob.field);
}

void check_knob(const Config& config, const Knob& knob) {
  const bool ok = std::visit(
      [&](auto member) {
        using T = FieldType<decltype(member)>;
        const T& v = config.*member;
        if constexpr (std::is_enum_v<T>) {
          return enum_in_range(v);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return v >= knob.min && v <= knob.max;
        } else {
          return true;
        }
      },
      knob.field);
  if (!ok) {
    throw Error(ErrorCode::InvalidArgument,
                std::string(knob.name) + "=" + knob_value(config, knob) +
                    " is out of range; valid: " + std::string(knob.name) + " " +
                    valid_values(knob));
  }
}

}  // namespace sluice::config
