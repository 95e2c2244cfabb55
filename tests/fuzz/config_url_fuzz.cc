// libFuzzer target for sluice::Config::from_url(std::string_view, const Config&): the input bytes
// are the URL (NUL bytes included), parsed over Config::production().
// Invariants: config_invariants.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config_invariants.h"
#include "sluice/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  static const sluice::Config base = sluice::Config::production();
  sluice_fuzz::check([&] { return sluice::Config::from_url(url, base); });
  return 0;
}
