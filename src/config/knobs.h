// The table of Config knobs: one row per field (except `path`), used by URL parsing, environment
// parsing, validate() and to_json(), so each field's name, unit alias and valid range is written
// once. A row's field pointer's type says how its text is parsed and printed.
//
// Thread-safety: the table is a constant; every function here is safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "sluice/config.h"

namespace sluice::config {

// The field a knob sets. int and int64 fields have a range; enum fields have names (below).
using Field = std::variant<int Config::*, std::int64_t Config::*, bool Config::*,
                           Synchronous Config::*, TempStore Config::*, std::string Config::*>;

struct Knob {
  std::string_view name;   // the field's name, e.g. "busy_timeout_ms"
  std::string_view alias;  // the name without its unit suffix ("busy_timeout"), or empty
  Field field;
  std::int64_t min = 0;  // valid range of int and int64 fields, inclusive
  std::int64_t max = 0;
};

// The lowercase names of an enum's values, indexed by the value (also its SQLite pragma number).
template <class E>
struct EnumNames;
template <>
struct EnumNames<Synchronous> {
  static constexpr std::array<std::string_view, 4> kNames = {"off", "normal", "full", "extra"};
};
template <>
struct EnumNames<TempStore> {
  static constexpr std::array<std::string_view, 3> kNames = {"default", "file", "memory"};
};

// Every knob except `path` (which a URL carries in its path part), in Config's order.
std::span<const Knob> knobs() noexcept;

// The knob called `key` (its name or alias, case-insensitive), or nullptr.
const Knob* find_knob(std::string_view key) noexcept;

// What is valid for a knob: "1..1024", "true|false (...)", "off|normal|full|extra (or 0..3)".
std::string valid_values(const Knob& knob);

// Parses `text` into the knob's field of `config`. `source` names where the text came from
// (`URL key "pool_size"`, `SLUICE_POOL_SIZE`) for the message. Integers must be whole decimal
// numbers in range; booleans true/false/1/0/yes/no/on/off; enums a name or its number (both
// case-insensitive). Throws Error(InvalidArgument) naming the source, the text and what is valid;
// `config` is unchanged then.
void set_knob(Config& config, const Knob& knob, std::string_view text, std::string_view source);

// The knob's value in `config` as text, in a form set_knob() accepts.
std::string knob_value(const Config& config, const Knob& knob);

// Throws Error(InvalidArgument) if the knob's value in `config` is outside its range (or not a
// named enum value), naming the field, the value and the valid range.
void check_knob(const Config& config, const Knob& knob);

}  // namespace sluice::config
