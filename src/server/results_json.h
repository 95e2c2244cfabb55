// Renders request results in rqlite's JSON shapes (command/encoding/json.go), field for field:
//   execute result   {"last_insert_id":1,"rows_affected":1,"error":..,"time":..} (zeros omitted)
//   rows             {"columns":[..],"types":[..],"values":[[..]],"error":..,"time":..}
//                    (no "values" key when there are no rows)
//   ?associative     {"types":{col:type},"rows":[{col:value}]}, keys sorted as Go sorts map
//                    keys; an execute result gains "rows":null
// BLOBs are base64 (std alphabet, padded), byte arrays with ?blob_array, and plain strings in
// columns declared with TEXT affinity.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/sql_runner.h"

namespace sluice::server {

struct RenderOptions {
  bool pretty = false;
  bool timings = false;
  bool associative = false;
  bool blob_array = false;
};

struct Envelope {
  std::string error;                 // top-level "error" ("" = none)
  double seconds = 0;                // top-level "time" (with ?timings)
  std::int64_t sequence_number = 0;  // queued writes; 0 = omitted
};

// {"results":[...],"error":..,"time":..,"sequence_number":..}
std::string render_results(const std::vector<StatementResult>& results,
                           const RenderOptions& options, const Envelope& envelope);

// Base64, standard alphabet with padding (RFC 4648 section 4), as Go's encoding/json writes
// []byte.
std::string base64(const std::uint8_t* data, std::size_t size);

}  // namespace sluice::server
