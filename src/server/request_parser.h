// Request bodies of /db/execute, /db/query and /db/request, parsed into statements (rqlite's
// forms, ../docs/server.md "Request bodies"):
//   JSON:       ["sql", ["sql with ?", 1, "two"], ["sql with :name", {"name": "x"}], ...]
//   text/plain: the whole body is one SQL string (which may hold several ';'-separated
//               statements).
// Parameter values map as rqlite maps them: integers that fit int64 → INTEGER, other numbers →
// REAL, true/false → 1/0, "x'hex'" strings → BLOB, other strings → TEXT, arrays of byte values
// → BLOB, null → NULL, an object → named parameters (bound to :name, @name and $name).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/value.h"

namespace sluice::server {

// One element of a request: SQL text and its parameters.
struct SqlStatement {
  std::string sql;
  std::vector<Value> positional;                     // bound to ?1..?N in order
  std::vector<std::pair<std::string, Value>> named;  // names without their prefix
};

// The request cannot be parsed; the message is rqlite's ("invalid JSON body", "invalid
// request", "no statements", "unsupported type ...") and answers 400.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ParseLimits {
  std::size_t max_statements = 10000;  // elements of the JSON array
};

// Parses a body. `text_plain`: Content-Type starts with text/plain (then the whole body is one
// statement; an empty body yields none). Statements whose SQL is "" are dropped, as rqlite drops
// them. An empty JSON array throws BadRequest("no statements") unless `allow_empty`.
// Throws BadRequest.
std::vector<SqlStatement> parse_statements(std::string_view body, bool text_plain,
                                           const ParseLimits& limits, bool allow_empty = false);

// rqlite's BLOB literal parameter: a string of the form x'0A1b' (trimmed, either case of x, an
// even number of hex digits). Returns false, leaving `out` alone, for anything else.
bool parse_hex_blob(std::string_view text, Blob& out);

}  // namespace sluice::server
