// The URL query string of a request, as rqlite reads it (Go's url.ParseQuery, first value of
// each key, keys case-sensitive), with rqlite's validation: flags count by presence
// (`?transaction`, `?transaction=false` alike), durations in Go's syntax (500ms, 2s, 1m30s).
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::server {

// Percent-decodes `text` ('+' as a space when `plus_is_space`); std::nullopt when an escape is
// malformed (Go's url.QueryUnescape rejects those too).
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space);

// Parses a Go duration ("300ms", "1.5h", "2h45m", "0"; units ns, us, µs, ms, s, m, h).
// std::nullopt when it is not one (a bare number other than 0, a missing unit, garbage).
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

class QueryParams {
 public:
  // `query` is the part after '?'. Throws BadRequest when an escape is malformed.
  static QueryParams parse(std::string_view query);

  bool has(std::string_view key) const { return find(key) != nullptr; }
  // The first value of `key`, "" for a flag given without '='; nullptr when absent.
  const std::string* find(std::string_view key) const;
  // A duration parameter, or `fallback` when absent. Call after validate().
  std::chrono::nanoseconds duration(std::string_view key, std::chrono::nanoseconds fallback) const;

  // rqlite's checks (http/query_params.go): timeout, freshness, db_timeout and
  // linearizable_timeout must be durations; retries and trailing_logs integers; q must not be
  // empty when present; freshness_strict needs freshness; level must be none, weak, strong,
  // linearizable or auto (any case; rqlite falls back to weak for other values — Sluice says so
  // instead: a misspelt level is a 400). Throws BadRequest with rqlite's message.
  void validate() const;

  // How old a snapshot a read of this request may use: `level=none` with `freshness=D` → D
  // (rounded down to ms) capped at `cap`, so the read never sees a snapshot older than D; any
  // other level, or no freshness → 0, a new snapshot that sees every write acknowledged before
  // the request arrived (read-your-writes across requests and clients). Call after validate().
  std::chrono::milliseconds read_staleness(std::chrono::milliseconds cap) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace sluice::server
