#include "server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

namespace sluice::server {

namespace beast = boost::beast;
namespace asio = boost::asio;

Session::Session(asio::ip::tcp::socket&& socket, SessionContext& context)
    : stream_(std::move(socket)), context_(context) {
  context_.metrics.add(Counter::ConnectionsOpen, 1);
}

Session::~Session() { context_.metrics.add(Counter::ConnectionsOpen, -1); }

void Session::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::shutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_) self->stream_.cancel();  // the idle read ends; nothing is in flight
  });
}

void Session::wait_for_request() {
  if (context_.stopping.load()) return close();
  if (buffer_.size() > 0) return read_request();  // a pipelined request is already here
  // Wait for the first byte under the idle timeout; the request deadline starts with it.
  idle_ = true;
  stream_.expires_after(context_.options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_first_bytes(ec, n);
                          });
}

void Session::on_first_bytes(beast::error_code ec, std::size_t n) {
  idle_ = false;
  if (ec) return close();  // idle timeout, peer closed, or shutdown
  buffer_.commit(n);
  read_request();
}

void Session::read_request() {
  parser_.emplace();
  parser_->header_limit(context_.options.max_header_bytes);
  parser_->body_limit(context_.options.max_body_bytes);
  request_start_ = std::chrono::steady_clock::now();
  stream_.expires_after(context_.options.request_deadline);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void Session::on_read(beast::error_code ec) {
  if (ec == http::error::end_of_stream) return close();
  if (ec == beast::error::timeout) {
    context_.metrics.add(Counter::DeadlineCuts);
    return close();
  }
  if (ec == http::error::body_limit) {
    context_.metrics.add(Counter::BodyTooLarge);
    return refuse(http::status::payload_too_large,
                  "request body too large (the limit is --max-body bytes)");
  }
  if (ec == http::error::header_limit) {
    context_.metrics.add(Counter::HeaderTooLarge);
    return refuse(http::status::request_header_fields_too_large,
                  "request headers too large (the limit is --max-header bytes)");
  }
  if (ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof) {
    return close();
  }
  if (ec) {
    context_.metrics.add(Counter::MalformedRequests);
    return refuse(http::status::bad_request, "malformed HTTP request");
  }
  stream_.expires_never();
  Request req = parser_->release();
  keep_alive_ = req.keep_alive();
  version_ = req.version();
  // The work guard keeps the event loop running while the Api works on this request (the
  // session has no I/O pending meanwhile), so a shutdown still delivers the answer.
  context_.api.handle(std::move(req), [self = shared_from_this(),
                                       work = asio::make_work_guard(stream_.get_executor())](
                                          Endpoint e, Response res) {
    asio::post(self->stream_.get_executor(),
               [self, e, res = std::move(res)]() mutable { self->respond(e, std::move(res)); });
  });
}

// A request that cannot be read (too large, malformed): answer, then close — the rest of the
// stream cannot be framed.
void Session::refuse(http::status status, const char* message) {
  keep_alive_ = false;
  Response res{status, version_};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::string(message) + "\n";
  respond(Endpoint::Other, std::move(res));
}

namespace {

// The response's bytes in one buffer. Beast's http::async_write walks a view of a dozen
// buffers (status line, each field, body) through several layers of adaptors; for the small
// answers of this API that cost ~20k instructions per response under callgrind — a fifth of a
// one-row INSERT request — against one copy here.
std::string serialize(const Response& res) {
  std::string out;
  out.reserve(256 + res.body().size());
  out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.result_int());
  out += ' ';
  out += res.reason();
  out += "\r\n";
  for (const auto& field : res) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
  out += res.body();
  return out;
}

}  // namespace

void Session::respond(Endpoint endpoint, Response res) {
  context_.metrics.record(endpoint, res.result_int(),
                          std::chrono::steady_clock::now() - request_start_);
  res.version(version_);
  context_.api.decorate(res);
  res.keep_alive(keep_alive_ && !context_.stopping.load());
  res.prepare_payload();
  const bool close_after = !res.keep_alive();
  response_ = serialize(res);
  stream_.expires_after(context_.options.request_deadline);
  asio::async_write(stream_, asio::buffer(response_),
                    [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                      self->on_write(close_after, ec);
                    });
}

void Session::on_write(bool close_after, beast::error_code ec) {
  response_.clear();
  if (ec || close_after) return close();
  wait_for_request();
}

void Session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace sluice::server
