// The invariants every config-parser fuzz target checks (config_url_fuzz.cc, config_env_fuzz.cc):
//  - the parser returns a Config or throws sluice::Error with code InvalidArgument and a non-empty
//    message; any other exception type or code is a bug;
//  - a returned Config passes validate() without throwing, and to_json() returns valid JSON (an
//    object), as parsed by nlohmann::json.
// A broken one prints "INVARIANT BROKEN" and traps, so libFuzzer keeps the input.
#pragma once

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <typeinfo>

#include "sluice/config.h"
#include "sluice/error.h"

namespace sluice_fuzz {

[[noreturn]] inline void broken(const char* invariant, const std::string& detail) {
  std::fprintf(stderr, "INVARIANT BROKEN: %s: %s\n", invariant, detail.c_str());
  __builtin_trap();
}

// "<demangled type>: <what()>" of the exception being handled.
inline std::string describe(const std::exception& e) {
  int status = 0;
  char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string out = std::string(status == 0 && name ? name : typeid(e).name()) + ": " + e.what();
  std::free(name);
  return out;
}

// Runs `parse` and checks the invariants above on its outcome.
template <class Parse>
void check(const Parse& parse) {
  std::optional<sluice::Config> config;
  try {
    config.emplace(parse());
  } catch (const sluice::Error& e) {
    if (e.code() != sluice::ErrorCode::InvalidArgument) {
      broken("parser threw sluice::Error with a code other than InvalidArgument",
             std::string(sluice::to_string(e.code())) + ": " + e.what());
    }
    if (*e.what() == '\0') broken("parser threw sluice::Error with an empty message", "");
    return;
  } catch (const std::exception& e) {
    broken("parser threw something other than sluice::Error", describe(e));
  } catch (...) {
    broken("parser threw something other than sluice::Error", "not a std::exception");
  }
  try {
    config->validate();
  } catch (const std::exception& e) {
    broken("the parser returned a Config that fails validate()", describe(e));
  }
  std::string json;
  try {
    json = config->to_json();
  } catch (const std::exception& e) {
    broken("to_json() threw on a parsed Config", describe(e));
  }
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) broken("to_json() is not valid JSON", json);
  if (!parsed.is_object()) broken("to_json() is not a JSON object", json);
}

}  // namespace sluice_fuzz
