// libFuzzer target for sluice::Config::from_env(const Config&, getenv): the input is split into
// NAME=VALUE lines ('\n'-separated; a line without '=' is skipped; a later line for the same
// name wins) served by an injected getenv, over Config::production(). A NAME that is not one of
// the variables from_env reads (DATABASE_URL, DB_POOL_SIZE, DB_ENABLE_WAL,
// DB_SEPARATE_READ_WRITE, SLUICE_URL, SLUICE_<FIELD> for every field of to_json(), SLUICE_PATH
// included) is mapped to one of them by a hash of its bytes, so mutated names still reach a
// value parser. Values are C strings, as in a real environment: a NUL byte ends one.
// Invariants: config_invariants.h.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "config_invariants.h"
#include "sluice/config.h"

namespace {

// The variables from_env reads: the seeds' names, SLUICE_URL, and SLUICE_<FIELD> for every key
// of Config::to_json() (the fields, path included), as tests/unit/config_test.cc derives them.
std::vector<std::string> variable_names() {
  std::vector<std::string> names = {"DATABASE_URL", "DB_POOL_SIZE", "DB_ENABLE_WAL",
                                    "DB_SEPARATE_READ_WRITE", "SLUICE_URL"};
  const auto fields = nlohmann::json::parse(sluice::Config().to_json());
  for (const auto& [key, value] : fields.items()) {
    std::string name = "SLUICE_" + key;
    for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    names.push_back(name);
  }
  return names;
}

// `name` if from_env reads it, else the variable its bytes hash to (FNV-1a).
const std::string& resolve(std::string_view name) {
  static const std::vector<std::string> names = variable_names();
  for (const std::string& known : names) {
    if (known == name) return known;
  }
  std::uint32_t h = 2166136261u;
  for (unsigned char ch : name) h = (h ^ ch) * 16777619u;
  return names[h % names.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::map<std::string, std::string, std::less<>> env;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    const std::size_t nl = in.find('\n');
    const std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    env[resolve(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  const auto getenv = [&env](const char* name) -> const char* {
    const auto it = env.find(std::string_view(name));
    return it == env.end() ? nullptr : it->second.c_str();
  };
  static const sluice::Config base = sluice::Config::production();
  sluice_fuzz::check([&] { return sluice::Config::from_env(base, getenv); });
  return 0;
}
