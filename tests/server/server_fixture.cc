#include "server/server_fixture.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace sluice::server::testing {

Client::Client(std::uint16_t port) : socket_(io_) {
  socket_.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  timeval tv{20, 0};
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

HttpResponse Client::request(http::verb verb, const std::string& target, const std::string& body,
                             const std::string& content_type) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (verb == http::verb::post) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket_, req);
  return read_response();
}

void Client::send_raw(const std::string& bytes) {
  boost::asio::write(socket_, boost::asio::buffer(bytes));
}

HttpResponse Client::read_response() {
  HttpResponse res;
  http::read(socket_, buffer_, res);
  return res;
}

std::string Client::read_until_closed() {
  std::string got(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  char chunk[4096];
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(boost::asio::buffer(chunk), ec);
    if (ec) break;  // eof or reset: closed by the server (a receive timeout fails the caller)
    got.append(chunk, n);
  }
  return got;
}

bool eventually(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

std::string encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void ServerTest::SetUp() {
  static std::atomic<int> counter{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("sluice-server-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  Config config = Config::production();
  config.pool_size = 2;
  config.coordinate_processes = false;
  db_.emplace(Database::open((dir_ / "test.db").string(), config));
  start(default_options());
}

ServerOptions ServerTest::default_options() const {
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.max_body_bytes = 64 * 1024;
  o.max_header_bytes = 4096;
  o.max_statements = 1000;
  return o;
}

void ServerTest::start(ServerOptions options) {
  client_.reset();
  if (server_) server_->stop();
  server_ = std::make_unique<Server>(*db_, options);
  server_->start();
  client_ = std::make_unique<Client>(server_->port());
}

void ServerTest::TearDown() {
  client_.reset();
  if (server_) server_->stop();
  server_.reset();
  db_.reset();
  std::filesystem::remove_all(dir_);
}

std::string ServerTest::execute(const std::string& json_body, const std::string& params) {
  auto res = client_->post("/db/execute" + params, json_body);
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  return res.body();
}

std::string ServerTest::query_get(const std::string& sql, const std::string& params) {
  auto res = client_->get("/db/query?q=" + encode(sql) + params);
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  return res.body();
}

nlohmann::json ServerTest::status_json() {
  auto res = client_->get("/status");
  EXPECT_EQ(res.result_int(), 200u);
  return nlohmann::json::parse(res.body());
}

}  // namespace sluice::server::testing
