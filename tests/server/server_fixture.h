// Test support for the HTTP server: a Database in a fresh directory, a Server on a free port,
// and a small blocking HTTP/1.1 client (Boost.Beast) that speaks to it over real sockets.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/server.h"
#include "sluice/sluice.h"

namespace sluice::server::testing {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using HttpResponse = http::response<http::string_body>;

// One keep-alive connection. Every call blocks; a receive timeout of 20 s turns a hung server
// into a failed test instead of a hung one.
class Client {
 public:
  explicit Client(std::uint16_t port);

  HttpResponse request(http::verb verb, const std::string& target, const std::string& body = "",
                       const std::string& content_type = "application/json");
  HttpResponse get(const std::string& target) { return request(http::verb::get, target); }
  HttpResponse post(const std::string& target, const std::string& body,
                    const std::string& content_type = "application/json") {
    return request(http::verb::post, target, body, content_type);
  }

  // Raw access for pipelining and slow clients.
  void send_raw(const std::string& bytes);
  HttpResponse read_response();
  // Reads until the server closes; returns what arrived (empty when it closed without a word).
  std::string read_until_closed();

 private:
  boost::asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Polls `done` (yielding) until it holds or 10 s pass. Only for effects that follow an event
// the test has already observed but that the server records a moment later.
bool eventually(const std::function<bool()>& done);

// A URL-encoded q= parameter.
std::string encode(const std::string& text);

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts (or restarts) the server with `options` (port 0 = a free one).
  void start(ServerOptions options);
  ServerOptions default_options() const;
  std::uint16_t port() const { return server_->port(); }

  // POST /db/execute (or `path`) with a JSON body; the response body.
  std::string execute(const std::string& json_body, const std::string& params = "");
  std::string query_get(const std::string& sql, const std::string& params = "");
  nlohmann::json status_json();

  std::filesystem::path dir_;
  std::optional<Database> db_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace sluice::server::testing
