#include "server/json_writer.h"

#include <charconv>
#include <cmath>

namespace sluice::server {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_unicode_escape(std::string& out, unsigned code) {
  out += "\\u";
  out += kHex[(code >> 12) & 0xF];
  out += kHex[(code >> 8) & 0xF];
  out += kHex[(code >> 4) & 0xF];
  out += kHex[code & 0xF];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as in Go's utf8.DecodeRuneInString).
std::size_t utf8_length(std::string_view s, std::size_t i, unsigned& code) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned c = b(0);
  std::size_t n = 0;
  unsigned min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, code = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, code = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, code = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (b(k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '<':
        case '>':
        case '&':
          append_unicode_escape(out, c);
          break;
        default:
          if (c < 0x20) {
            append_unicode_escape(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    unsigned code = 0;
    const std::size_t n = utf8_length(s, i, code);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else if (code == 0x2028 || code == 0x2029) {
      append_unicode_escape(out, code);
      i += n;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
}

void JsonWriter::newline_indent(std::size_t depth) {
  out_ += '\n';
  out_.append(depth * 4, ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (empty_.empty()) return;
  if (!empty_.back()) out_ += ',';
  empty_.back() = false;
  if (pretty_) newline_indent(empty_.size());
}

void JsonWriter::open(char c) {
  before_value();
  out_ += c;
  empty_.push_back(true);
}

void JsonWriter::close(char c) {
  const bool was_empty = empty_.back();
  empty_.pop_back();
  if (pretty_ && !was_empty) newline_indent(empty_.size());
  out_ += c;
}

void JsonWriter::key(std::string_view name) {
  before_value();
  append_json_string(out_, name);
  out_ += pretty_ ? ": " : ":";
  after_key_ = true;
}

void JsonWriter::string(std::string_view text) {
  before_value();
  append_json_string(out_, text);
}

void JsonWriter::integer(std::int64_t v) {
  before_value();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::number(double v) {
  before_value();
  if (!std::isfinite(v)) {
    out_ += "null";
    return;
  }
  const double a = std::fabs(v);
  const bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
  // The shortest digits that read back as v, in scientific form ("9.223372036854776e+18").
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::size_t n = static_cast<std::size_t>(r.ptr - buf);
  if (exponent) {
    // Go writes e-07 as e-7 (encoding/json floatEncoder).
    if (n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
      buf[n - 2] = buf[n - 1];
      --n;
    }
    out_.append(buf, n);
    return;
  }
  // Go's 'f' format with those digits, zero-padded: 2^63 is 9223372036854776000, where
  // std::to_chars(fixed) would give the exact 9223372036854775808 (the differential test
  // against rqlited found this).
  const std::string_view text(buf, n);
  const std::size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  int exp10 = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + n, exp10);
  if (v < 0) out_ += '-';
  if (exp10 < 0) {
    out_ += "0.";
    out_.append(static_cast<std::size_t>(-exp10 - 1), '0');
    out_ += digits;
    return;
  }
  const auto whole = static_cast<std::size_t>(exp10) + 1;
  if (digits.size() <= whole) {
    out_ += digits;
    out_.append(whole - digits.size(), '0');
  } else {
    out_.append(digits, 0, whole);
    out_ += '.';
    out_.append(digits, whole);
  }
}

void JsonWriter::boolean(bool v) {
  before_value();
  out_ += v ? "true" : "false";
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  out_.append(json);
}

}  // namespace sluice::server
