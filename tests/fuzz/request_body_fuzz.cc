// libFuzzer target for the HTTP server's parsers of outside input (src/server): request bodies
// (JSON arrays of statements and parameters, text/plain) and URL query strings with rqlite's
// validation (Go durations, integers, levels). Input: one selector byte, then the text.
// Properties: no crash, no UB, no leak; only BadRequest escapes; what parses is well formed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/query_params.h"
#include "server/request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace sluice::server;
  try {
    switch (data[0] % 3) {
      case 0: {
        const auto statements = parse_statements(text, false, ParseLimits{1000}, data[0] & 4);
        for (const auto& s : statements) {
          if (s.sql.empty()) __builtin_trap();  // empty SQL is dropped, never returned
        }
        break;
      }
      case 1:
        if (parse_statements(text, true, ParseLimits{}, true).size() > 1) __builtin_trap();
        break;
      default: {
        const QueryParams params = QueryParams::parse(text);
        params.validate();
        (void)params.duration("timeout", std::chrono::seconds(1));
        break;
      }
    }
  } catch (const BadRequest&) {
  }
  return 0;
}
