// The table of Config knobs: one row per field, used by URL parsing, environment parsing,
// validate() and to_json(), so each field's name, unit and range is written once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config.h"

namespace sluice::config {

enum class Kind { Int, Int64, Bool, Synchronous, TempStore, String };

struct Knob {
  std::string_view name;   // field name, e.g. "busy_timeout_ms"
  std::string_view alias;  // the name without its unit suffix ("busy_timeout"), or empty
  Kind kind;
  std::int64_t min = 0;  // valid range for Int / Int64
  std::int64_t max = 0;
  // Exactly one of these is set, matching kind.
  int Config::*int_field = nullptr;
  std::int64_t Config::*int64_field = nullptr;
  bool Config::*bool_field = nullptr;
  Synchronous Config::*sync_field = nullptr;
  TempStore Config::*temp_field = nullptr;
  std::string Config::*string_field = nullptr;
};

// Every knob except `path` (which a URL carries in its path part).
const std::vector<Knob>& knobs();

// The knob called `key` (its name or alias), or nullptr.
const Knob* find_knob(std::string_view key);

// "1..1024", "true|false", "off|normal|full|extra" — what is valid for a knob.
std::string valid_values(const Knob& knob);

// Parses `text` into the knob's field of `config`. `source` names where the text came from
// (e.g. `URL key "pool_size"` or `SLUICE_POOL_SIZE`) for the error message.
// Throws Error(InvalidArgument) naming the source, the text and the valid values.
void set_knob(Config& config, const Knob& knob, std::string_view text, std::string_view source);

// The knob's current value in `config` as text (as a URL or environment variable would carry it).
std::string knob_value(const Config& config, const Knob& knob);

}  // namespace sluice::config
