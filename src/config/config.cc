// Config: defaults, enum names, validate() and to_json(). Parsing is in url.cc and env.cc; the
// knobs themselves are in knobs.cc.
#include "sluice/config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>
#include <type_traits>

#include "config/knobs.h"
#include "sluice/error.h"

namespace sluice {
namespace {

template <class E>
std::string_view enum_name(E e) noexcept {
  const auto i = static_cast<std::underlying_type_t<E>>(e);
  const auto& names = config::EnumNames<E>::kNames;
  return i >= 0 && static_cast<std::size_t>(i) < names.size() ? names[static_cast<std::size_t>(i)]
                                                              : "unknown";
}

}  // namespace

std::string_view to_string(Synchronous s) noexcept { return enum_name(s); }

std::string_view to_string(TempStore t) noexcept { return enum_name(t); }

int Config::default_pool_size() noexcept {
  return std::max(16, static_cast<int>(std::thread::hardware_concurrency()));
}

Config Config::production() { return Config{}; }

void Config::validate() const {
  if (path.empty()) {
    throw Error(ErrorCode::InvalidArgument,
                "path is empty; valid: a file path such as data/app.db");
  }
  for (const config::Knob& knob : config::knobs()) config::check_knob(*this, knob);
}

std::string Config::to_json() const {
  nlohmann::json j;
  j["path"] = path;
  for (const config::Knob& knob : config::knobs()) {
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(this->*member)>;
          if constexpr (std::is_enum_v<T>) {
            j[std::string(knob.name)] = config::knob_value(*this, knob);  // its lowercase name
          } else {
            j[std::string(knob.name)] = this->*member;
          }
        },
        knob.field);
  }
  // A path (or VFS name) may hold any bytes; JSON needs UTF-8, so invalid bytes print as U+FFFD.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice
