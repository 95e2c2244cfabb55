// JsonWriter: a streaming JSON writer that produces exactly what rqlite's Go encoder produces
// (encoding/json Marshal and MarshalIndent with four spaces), so clients that compare bytes see
// the same text: numbers in Go's float format, `<`, `>`, `&` escaped as \u003c..., invalid UTF-8
// replaced by U+FFFD, empty containers as `[]` / `{}` even when indented.
//
// Usage: w.begin_object(); w.key("results"); w.begin_array(); ... w.end_object(); w.take().
// The caller keeps the calls balanced; the writer does not validate structure.
//
// Thread-safety: one writer per thread; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server {

class JsonWriter {
 public:
  // `pretty`: newline and four-space indentation per level, `"key": value` (rqlite's ?pretty).
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // The next value is this key's.
  void key(std::string_view name);

  void string(std::string_view text);
  void integer(std::int64_t v);
  // Go's float64 encoding: shortest round-trip digits, fixed notation for 1e-6 <= |v| < 1e21,
  // exponent notation otherwise (1e-07 written 1e-7). NaN and infinities become null (Go would
  // fail the whole response).
  void number(double v);
  void boolean(bool v);
  void null();
  // Text already in JSON form, inserted as one value.
  void raw(std::string_view json);

  std::string take() { return std::move(out_); }
  const std::string& text() const noexcept { return out_; }

 private:
  void before_value();
  void open(char c);
  void close(char c);
  void newline_indent(std::size_t depth);

  std::string out_;
  bool pretty_;
  std::vector<bool> empty_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Appends `text` to `out` as a JSON string literal, Go-style (see JsonWriter).
void append_json_string(std::string& out, std::string_view text);

}  // namespace sluice::server
