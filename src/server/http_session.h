// Session: one HTTP connection (internal to Server). Reads requests one after another —
// pipelined requests wait in the read buffer and are answered in order — hands each to the
// Api and writes its response.
//
// Timeouts: between requests the connection may idle for idle_timeout; from the first byte of
// a request to its last, request_deadline applies (a slowloris client is cut there); the
// response write has request_deadline too.
//
// TLS: with a context (ServerOptions::tls_cert_file), the connection is an Asio OpenSSL stream
// over the same TCP stream; the handshake must finish within request_deadline, and every
// timeout above applies to the TCP layer underneath. Without one, plain HTTP.
//
// Thread-safety: every handler runs on the session's strand; shutdown() may be called from
// any thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "server/api.h"
#include "server/http_metrics.h"
#include "server/http_types.h"
#include "server/options.h"

namespace sluice::server {

// What sessions share with the server.
struct SessionContext {
  const ServerOptions& options;
  Api& api;
  HttpMetrics& metrics;
  std::atomic<bool>& stopping;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `tls`: the server's TLS context, or null for plain HTTP; must outlive the session.
  Session(boost::asio::ip::tcp::socket&& socket, SessionContext& context,
          boost::asio::ssl::context* tls);
  ~Session();

  void start();
  // Closes the connection if it is idle; otherwise after the response in progress.
  void shutdown();

 private:
  void wait_for_request();
  void on_first_bytes(boost::beast::error_code ec, std::size_t n);
  void read_request();
  void on_read(boost::beast::error_code ec);
  void refuse(http::status status, const char* message);
  void respond(Endpoint endpoint, Response res);
  void on_write(bool close, boost::beast::error_code ec);
  void close();
  // The TCP stream (under TLS, the lowest layer): timeouts, cancel, close.
  boost::beast::tcp_stream& tcp();
  // Calls f with the stream requests are read from and responses written to.
  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }

  // Exactly one of the two is set, for the session's life.
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  boost::beast::flat_buffer buffer_;
  SessionContext& context_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The response being written, as one flat buffer (see respond()).
  std::string response_;
  std::chrono::steady_clock::time_point request_start_;
  bool idle_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace sluice::server
