#include "server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

namespace sluice::server {

namespace beast = boost::beast;
namespace asio = boost::asio;

Session::Session(asio::ip::tcp::socket&& socket, SessionContext& context, asio::ssl::context* tls)
    : context_(context) {
  if (tls != nullptr) {
    tls_.emplace(std::move(socket), *tls);
  } else {
    plain_.emplace(std::move(socket));
  }
  context_.metrics.add(Counter::ConnectionsOpen, 1);
}

beast::tcp_stream& Session::tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

Session::~Session() { context_.metrics.add(Counter::ConnectionsOpen, -1); }

void Session::start() {
  asio::dispatch(tcp().get_executor(), [self = shared_from_this()] {
    if (!self->tls_) return self->wait_for_request();
    // A client that does not finish the handshake in time is cut like a slow request.
    self->tcp().expires_after(self->context_.options.request_deadline);
    self->tls_->async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
      if (ec) return self->close();
      self->wait_for_request();
    });
  });
}

void Session::shutdown() {
  asio::post(tcp().get_executor(), [self = shared_from_this()] {
    if (self->idle_) self->tcp().cancel();  // the idle read ends; nothing is in flight
  });
}

void Session::wait_for_request() {
  if (context_.stopping.load()) return close();
  if (buffer_.size() > 0) return read_request();  // a pipelined request is already here
  // Wait for the first byte under the idle timeout; the request deadline starts with it.
  idle_ = true;
  tcp().expires_after(context_.options.idle_timeout);
  with_stream([&](auto& stream) {
    stream.async_read_some(buffer_.prepare(4096),
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             self->on_first_bytes(ec, n);
                           });
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
  tcp().expires_after(context_.options.request_deadline);
  with_stream([&](auto& stream) {
    http::async_read(
        stream, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  });
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
  tcp().expires_never();
  Request req = parser_->release();
  keep_alive_ = req.keep_alive();
  version_ = req.version();
  // The work guard keeps the event loop running while the Api works on this request (the
  // session has no I/O pending meanwhile), so a shutdown still delivers the answer.
  context_.api.handle(std::move(req), [self = shared_from_this(),
                                       work = asio::make_work_guard(tcp().get_executor())](
                                          Endpoint e, Response res) {
    asio::post(self->tcp().get_executor(),
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
  tcp().expires_after(context_.options.request_deadline);
  with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(response_),
                      [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                        self->on_write(close_after, ec);
                      });
  });
}

void Session::on_write(bool close_after, beast::error_code ec) {
  response_.clear();
  if (ec || close_after) return close();
  wait_for_request();
}

// Under TLS the TCP connection is closed without a close_notify: every response is framed by
// its Content-Length, so a client cannot mistake the close for a truncation, and waiting for
// the peer's close_notify would let a client hold the connection open.
void Session::close() {
  beast::error_code ignored;
  tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  tcp().socket().close(ignored);
}

}  // namespace sluice::server
