#include "server/api.h"

#include <boost/asio/post.hpp>
#include <cstdio>

#include "server/api_call.h"
#include "server/dashboard.h"

namespace sluice::server {

namespace {

using Clock = std::chrono::steady_clock;

bool text_plain(const Request& req) {
  const auto type = req[http::field::content_type];
  return type.substr(0, 10) == "text/plain";
}

// A failed write job (or batch) as an HTTP answer. Nothing of it was committed, so a retry is
// safe: 503 for the engine's refusals (rqlite-js retries those), 500 for the rest.
Response write_failure(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    switch (e.code()) {
      case ErrorCode::Overloaded:
      case ErrorCode::DeadlineExceeded:
      case ErrorCode::Busy:
      case ErrorCode::Closed:
      case ErrorCode::WritesRefused:
        return text_error(http::status::service_unavailable, e.what());
      default:
        return text_error(http::status::internal_server_error, e.what());
    }
  } catch (const std::exception& e) {
    return text_error(http::status::internal_server_error, e.what());
  }
}

}  // namespace

Api::Api(Database& db, const ServerOptions& options, HttpMetrics& metrics, std::string listen_addr)
    : db_(db),
      options_(options),
      metrics_(metrics),
      listen_addr_(std::move(listen_addr)),
      started_(std::chrono::system_clock::now()),
      next_sequence_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(started_.time_since_epoch())
              .count()),
      reads_(static_cast<std::size_t>(db.config().pool_size)) {
  if (!options_.auth_file.empty()) auth_.emplace(Auth::load(options_.auth_file));
  if (!db.config().separate_read_write) {
    throw Error(ErrorCode::InvalidArgument,
                "sluice serve needs separate_read_write=true: /db/query must run on the "
                "read-only pool");
  }
}

Api::~Api() { reads_.join(); }

void Api::decorate(Response& res) const {
  res.set("X-RQLITE-VERSION", "sluice-" SLUICE_VERSION);
  res.set(http::field::access_control_allow_methods, "OPTIONS, GET, POST");
  if (auth_) {
    res.set(http::field::access_control_allow_headers, "Content-Type, Authorization");
    res.set(http::field::access_control_allow_credentials, "true");
    res.set(http::field::www_authenticate, "Basic realm=\"rqlite\"");
  } else {
    res.set(http::field::access_control_allow_headers, "Content-Type");
  }
}

std::vector<std::string> Api::warnings() const {
  return auth_ ? auth_->warnings() : std::vector<std::string>{};
}

bool Api::authorized(Call& call, std::string_view perm) {
  if (!auth_) return true;
  const std::string_view header = call.req[http::field::authorization];
  if (auth_->allowed(header, perm)) return true;
  call.answer(empty_response(http::status::unauthorized));  // rqlite: 401, never 403
  return false;
}

void Api::handle(Request req, Reply reply) {
  auto call = std::make_shared<Call>();
  call->req = std::move(req);
  call->reply = std::move(reply);
  const std::string_view target = call->req.target();
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const auto method = call->req.method();

  if (method == http::verb::options) return call->answer(empty_response(http::status::ok));

  // rqlite matches /db/* routes by prefix and the others exactly (http/service.go).
  struct Route {
    std::string_view path;
    bool prefix;
    Endpoint endpoint;
    bool get, post;
  };
  static constexpr Route kRoutes[] = {
      {"/db/execute", true, Endpoint::Execute, false, true},
      {"/db/query", true, Endpoint::Query, true, true},
      {"/db/request", true, Endpoint::Request, false, true},
      {"/status", true, Endpoint::Status, true, false},
      {"/readyz", true, Endpoint::Readyz, true, false},
      {"/healthz", false, Endpoint::Healthz, true, false},
      {"/nodes", true, Endpoint::Nodes, true, false},
      {"/metrics", false, Endpoint::Metrics, true, false},
      {"/db/backup", true, Endpoint::Backup, true, false},
      {"/db/load", true, Endpoint::Load, false, true},
      {"/", false, Endpoint::Dashboard, true, false},
      {"/console", true, Endpoint::Dashboard, true, false},
  };
  const Route* route = nullptr;
  for (const Route& r : kRoutes) {
    if (r.prefix ? path.substr(0, r.path.size()) == r.path : path == r.path) {
      route = &r;
      break;
    }
  }
  // rqlite's empty 404 has no Content-Type, its 405 says JSON (its handlers set the type before
  // checking the method); the differential test compares both.
  if (route == nullptr) return call->answer(Response{http::status::not_found, 11});
  call->endpoint = route->endpoint;
  if (!((method == http::verb::get && route->get) || (method == http::verb::post && route->post))) {
    return call->answer(
        make_response(http::status::method_not_allowed, "", "application/json; charset=utf-8"));
  }
  try {
    call->params =
        QueryParams::parse(qmark == std::string_view::npos ? "" : target.substr(qmark + 1));
    call->params.validate();
  } catch (const BadRequest& e) {
    return call->answer(text_error(http::status::bad_request, e.what()));
  }
  // rqlite's permission per endpoint; /db/request needs both execute and query.
  static constexpr std::string_view kPerm[kEndpointCount] = {
      "execute", "query",  "execute", "status", "ready",  "ready",
      "status",  "status", "backup",  "load",   "status", "status"};
  if (!authorized(*call, kPerm[static_cast<std::size_t>(route->endpoint)])) return;
  if (route->endpoint == Endpoint::Request && !authorized(*call, "query")) return;
  const QueryParams& p = call->params;
  call->render =
      RenderOptions{p.has("pretty"), p.has("timings"), p.has("associative"), p.has("blob_array")};
  switch (route->endpoint) {
    case Endpoint::Execute:
      return execute(std::move(call));
    case Endpoint::Query:
      return query(std::move(call));
    case Endpoint::Request:
      return request(std::move(call));
    case Endpoint::Status:
      return status(*call);
    case Endpoint::Readyz:
      return readyz(*call);
    case Endpoint::Healthz:
      return call->answer(make_response(http::status::ok, "ok\n", "text/plain"));
    case Endpoint::Nodes:
      return nodes(*call);
    case Endpoint::Metrics:
      return metrics(*call);
    case Endpoint::Backup:
      return backup(std::move(call));
    case Endpoint::Load:
      return load(std::move(call));
    case Endpoint::Dashboard:
      if (path != "/") {  // rqlite's UI lives at /console/; this one at /
        Response res = empty_response(http::status::found);
        res.set(http::field::location, "/");
        return call->answer(std::move(res));
      }
      return call->answer(make_response(http::status::ok, std::string(dashboard_html()),
                                        "text/html; charset=utf-8"));
    case Endpoint::Other:
      break;
  }
  call->answer(empty_response(http::status::not_found));
}

void Api::execute(std::shared_ptr<Call> call) {
  const bool queued = call->params.has("queue");
  const bool wait = queued && call->params.has("wait");
  try {
    call->statements = parse_statements(call->req.body(), text_plain(call->req),
                                        ParseLimits{options_.max_statements}, /*allow_empty=*/wait);
  } catch (const BadRequest& e) {
    return call->answer(text_error(http::status::bad_request, e.what()));
  }
  if (has_refused_pragma(call->statements)) {
    return call->answer(json_response(results_json(*call, Envelope{"disallowed pragma"})));
  }
  if (call->statements.empty() && !queued) return call->answer(json_response(results_json(*call)));
  if (queued) return queued_write(std::move(call));
  submit_write(std::move(call));
}

void Api::submit_write(std::shared_ptr<Call> call) {
  const bool transaction = call->params.has("transaction");
  auto job = [this, call, transaction](Transaction& tx) {
    call->results = run_write_request(tx.connection().native_handle(), guard_, call->statements,
                                      transaction, RunLimits{}, &write_statements_);
  };
  submit_job(std::move(call), std::move(job));
}

void Api::submit_job(std::shared_ptr<Call> call, std::function<void(Transaction&)> job) {
  Pending<void> pending;
  try {
    pending = db_.submit(std::move(job));
  } catch (...) {
    return call->answer(write_failure(std::current_exception()));
  }
  watcher_.watch(std::move(pending), [call](std::exception_ptr error) {
    if (error) return call->answer(write_failure(error));
    call->answer(json_response(results_json(*call)));
  });
}

void Api::queued_write(std::shared_ptr<Call> call) {
  const bool transaction = call->params.has("transaction");
  const bool wait = call->params.has("wait");
  const std::int64_t sequence = next_sequence_.fetch_add(1, std::memory_order_relaxed) + 1;
  WriteOptions write_options;
  if (wait) {
    // ?timeout bounds how long the caller waits; a job not started by then never runs (408).
    write_options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        call->params.duration("timeout", std::chrono::seconds(30)));
    if (write_options.timeout.count() <= 0) write_options.timeout = std::chrono::milliseconds(1);
  }
  Pending<void> pending;
  try {
    pending = db_.submit(
        [this, call, transaction](Transaction& tx) {
          run_write_request(tx.connection().native_handle(), guard_, call->statements, transaction,
                            RunLimits{}, &write_statements_);
        },
        write_options);
  } catch (...) {
    return call->answer(write_failure(std::current_exception()));
  }
  watcher_.watch(std::move(pending), [this, call, sequence, wait](std::exception_ptr error) {
    if (!error) {
      std::int64_t seen = committed_sequence_.load(std::memory_order_relaxed);
      while (seen < sequence && !committed_sequence_.compare_exchange_weak(seen, sequence)) {
      }
    } else if (!wait) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "sluice serve: queued write %lld failed: %s\n",
                     static_cast<long long>(sequence), e.what());
      }
    }
    if (!wait) return;
    if (!error) return call->answer(json_response(results_json(*call, Envelope{"", 0, sequence})));
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::DeadlineExceeded) {
        return call->answer(text_error(http::status::request_timeout, "queue wait timeout"));
      }
    } catch (...) {
    }
    call->answer(write_failure(error));
  });
  if (!wait) call->answer(json_response(results_json(*call, Envelope{"", 0, sequence})));
}

void Api::query(std::shared_ptr<Call> call) {
  try {
    if (call->req.method() == http::verb::get) {
      const std::string* q = call->params.find("q");
      if (q == nullptr) throw BadRequest("query parameter not set");
      call->statements.push_back(SqlStatement{*q, {}, {}});
    } else {
      call->statements = parse_statements(call->req.body(), text_plain(call->req),
                                          ParseLimits{options_.max_statements});
    }
  } catch (const BadRequest& e) {
    return call->answer(text_error(http::status::bad_request, e.what()));
  }
  if (has_refused_pragma(call->statements)) {
    return call->answer(json_response(results_json(*call, Envelope{"disallowed pragma"})));
  }
  boost::asio::post(reads_, [this, call] { run_read(*call, false); });
}

void Api::request(std::shared_ptr<Call> call) {
  try {
    call->statements =
        parse_statements(call->req.body(), false, ParseLimits{options_.max_statements});
  } catch (const BadRequest& e) {
    return call->answer(text_error(http::status::bad_request, e.what()));
  }
  if (has_refused_pragma(call->statements)) {
    return call->answer(json_response(results_json(*call, Envelope{"disallowed pragma"})));
  }
  boost::asio::post(reads_, [this, call] {
    if (!run_read(*call, true)) submit_write(call);
  });
}

bool Api::run_read(Call& call, bool route_writes) {
  RunLimits limits;
  limits.max_rows = options_.max_result_rows;
  limits.max_bytes = options_.max_result_bytes;
  auto timeout = std::chrono::nanoseconds(options_.query_timeout);
  timeout = call.params.duration("db_timeout", timeout);
  if (timeout.count() > 0) limits.deadline = Clock::now() + timeout;
  bool is_read = true;
  // Newest snapshot unless the request asked for a bounded-staleness read: explicit, so an
  // engine default (Config::max_staleness_ms) never makes a default read miss an acked write.
  ReadOptions read_options;
  read_options.max_staleness = call.params.read_staleness(options_.max_freshness);
  try {
    db_.read(
        [&](Connection& conn) {
          if (!conn.read_only()) throw Error(ErrorCode::Internal, "read on a writable connection");
          SqlRunner runner(conn.native_handle(), guard_, SqlRunner::Path::Read, limits);
          if (route_writes) {
            for (const SqlStatement& s : call.statements) {
              if (!runner.prepares_as_read(s)) {
                is_read = false;
                return;
              }
            }
          }
          for (const SqlStatement& s : call.statements) call.results.push_back(runner.run(s));
        },
        read_options);
  } catch (const Error& e) {
    call.answer(text_error(e.code() == ErrorCode::DeadlineExceeded || e.code() == ErrorCode::Closed
                               ? http::status::service_unavailable
                               : http::status::internal_server_error,
                           e.what()));
    return true;
  }
  if (!is_read) return false;
  call.answer(json_response(results_json(call)));
  return true;
}

}  // namespace sluice::server
