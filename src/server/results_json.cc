#include "server/results_json.h"

#include <map>
#include <variant>

#include "server/json_writer.h"

namespace sluice::server {
namespace {

void write_value(JsonWriter& w, const Value& v, bool text_column, bool blob_array) {
  if (std::holds_alternative<std::nullptr_t>(v)) {
    w.null();
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    w.integer(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    w.number(*d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    w.string(*s);
  } else if (const auto* b = std::get_if<Blob>(&v)) {
    if (text_column) {
      w.string(std::string_view(reinterpret_cast<const char*>(b->data()), b->size()));
    } else if (blob_array) {
      w.begin_array();
      for (std::uint8_t byte : *b) w.integer(byte);
      w.end_array();
    } else {
      w.string(base64(b->data(), b->size()));
    }
  }
}

void write_tail(JsonWriter& w, const StatementResult& r, const RenderOptions& o) {
  if (!r.error.empty()) {
    w.key("error");
    w.string(r.error);
  }
  if (o.timings && r.seconds != 0) {
    w.key("time");
    w.number(r.seconds);
  }
}

void write_rows(JsonWriter& w, const StatementResult& r, const RenderOptions& o) {
  w.begin_object();
  if (!r.columns.empty()) {
    w.key("columns");
    w.begin_array();
    for (const auto& c : r.columns) w.string(c);
    w.end_array();
    w.key("types");
    w.begin_array();
    for (const auto& t : r.types) w.string(t);
    w.end_array();
  }
  if (!r.rows.empty()) {
    w.key("values");
    w.begin_array();
    for (const Row& row : r.rows) {
      w.begin_array();
      for (std::size_t i = 0; i < row.size(); ++i) {
        write_value(w, row[i], r.text_columns[i], o.blob_array);
      }
      w.end_array();
    }
    w.end_array();
  }
  write_tail(w, r, o);
  w.end_object();
}

void write_associative_rows(JsonWriter& w, const StatementResult& r, const RenderOptions& o) {
  // Go marshals map keys sorted; a repeated column name keeps its last value.
  std::map<std::string_view, std::size_t> order;
  for (std::size_t i = 0; i < r.columns.size(); ++i) order[r.columns[i]] = i;
  w.begin_object();
  if (!order.empty()) {
    w.key("types");
    w.begin_object();
    for (const auto& [name, i] : order) {
      w.key(name);
      w.string(r.types[i]);
    }
    w.end_object();
  }
  w.key("rows");
  w.begin_array();
  for (const Row& row : r.rows) {
    w.begin_object();
    for (const auto& [name, i] : order) {
      w.key(name);
      write_value(w, row[i], r.text_columns[i], o.blob_array);
    }
    w.end_object();
  }
  w.end_array();
  write_tail(w, r, o);
  w.end_object();
}

void write_execute_result(JsonWriter& w, const StatementResult& r, const RenderOptions& o) {
  w.begin_object();
  if (r.last_insert_id != 0) {
    w.key("last_insert_id");
    w.integer(r.last_insert_id);
  }
  if (r.rows_affected != 0) {
    w.key("rows_affected");
    w.integer(r.rows_affected);
  }
  write_tail(w, r, o);
  if (o.associative) {
    w.key("rows");
    w.null();
  }
  w.end_object();
}

}  // namespace

std::string base64(const std::uint8_t* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < size) {
    unsigned v = data[i] << 16;
    if (i + 1 < size) v |= data[i + 1] << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string render_results(const std::vector<StatementResult>& results,
                           const RenderOptions& options, const Envelope& envelope) {
  JsonWriter w(options.pretty);
  w.begin_object();
  w.key("results");
  w.begin_array();
  for (const StatementResult& r : results) {
    if (r.has_columns) {
      if (options.associative) {
        write_associative_rows(w, r, options);
      } else {
        write_rows(w, r, options);
      }
    } else {
      write_execute_result(w, r, options);
    }
  }
  w.end_array();
  if (!envelope.error.empty()) {
    w.key("error");
    w.string(envelope.error);
  }
  if (options.timings && envelope.seconds != 0) {
    w.key("time");
    w.number(envelope.seconds);
  }
  if (envelope.sequence_number != 0) {
    w.key("sequence_number");
    w.integer(envelope.sequence_number);
  }
  w.end_object();
  return w.take();
}

}  // namespace sluice::server
