// Config::from_env: the seeds' variable names, then SLUICE_URL and SLUICE_<FIELD>.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "config/knobs.h"
#include "sluice/config.h"
#include "sluice/error.h"

namespace sluice {
namespace {

// The seeds' variables (shared/seeds), each setting one knob.
struct SeedVariable {
  const char* variable;
  std::string_view knob;
};
constexpr SeedVariable kSeedVariables[] = {
    {"DB_POOL_SIZE", "pool_size"},
    {"DB_ENABLE_WAL", "wal"},
    {"DB_SEPARATE_READ_WRITE", "separate_read_write"},
};

std::string upper(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

Config Config::from_env(const Config& base, const std::function<const char*(const char*)>& getenv) {
  auto get = [&](const std::string& name) -> const char* {
    return getenv ? getenv(name.c_str()) : std::getenv(name.c_str());
  };
  Config c = base;
  auto apply_url = [&](const std::string& variable) {
    const char* url = get(variable);
    if (url == nullptr) return;
    try {
      c = from_url(url, c);
    } catch (const Error& e) {
      throw Error(e.code(), variable + ": " + e.what());
    }
  };
  auto apply_knob = [&](const std::string& variable, const config::Knob& knob) {
    if (const char* value = get(variable)) config::set_knob(c, knob, value, variable);
  };

  // Later wins: the seeds' names first, then Sluice's own.
  apply_url("DATABASE_URL");
  for (const SeedVariable& seed : kSeedVariables) {
    apply_knob(seed.variable, *config::find_knob(seed.knob));
  }
  apply_url("SLUICE_URL");
  if (const char* path = get("SLUICE_PATH")) {
    if (*path == '\0') {
      throw Error(ErrorCode::InvalidArgument,
                  "SLUICE_PATH is set but empty; valid: a file path such as data/app.db");
    }
    c.path = path;
  }
  for (const config::Knob& knob : config::knobs()) {
    apply_knob("SLUICE_" + upper(knob.name), knob);
  }
  return c;
}

}  // namespace sluice
