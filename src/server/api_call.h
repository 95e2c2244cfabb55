// Internal to the Api: one HTTP request on its way through it, and the response builders its
// endpoints share.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "server/api.h"
#include "server/query_params.h"
#include "server/request_parser.h"
#include "server/results_json.h"
#include "server/sql_runner.h"

namespace sluice::server {

struct Call {
  Request req;
  Api::Reply reply;
  Endpoint endpoint = Endpoint::Other;
  QueryParams params;
  RenderOptions render;
  std::vector<SqlStatement> statements;
  std::vector<StatementResult> results;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  void answer(Response res) { reply(endpoint, std::move(res)); }
};

inline Response make_response(http::status status, std::string body,
                              std::string_view content_type) {
  Response res{status, 11};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

// rqlite answers errors through Go's http.Error: text/plain, the message and a newline.
inline Response text_error(http::status status, std::string_view message) {
  return make_response(status, std::string(message) + "\n", "text/plain; charset=utf-8");
}

inline Response empty_response(http::status status) {
  return make_response(status, "", "text/plain");
}

inline Response json_response(std::string body) {
  return make_response(http::status::ok, std::move(body), "application/json; charset=utf-8");
}

// rqlite refuses these as a whole request, before anything runs (db/state.go BreakingPragmas).
inline bool has_refused_pragma(const std::vector<SqlStatement>& statements) {
  for (const SqlStatement& s : statements) {
    if (is_refused_pragma(s.sql)) return true;
  }
  return false;
}

// The call's results in rqlite's JSON, with the time since the call began.
inline std::string results_json(const Call& call, const Envelope& envelope = {}) {
  Envelope e = envelope;
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count();
  return render_results(call.results, call.render, e);
}

}  // namespace sluice::server
