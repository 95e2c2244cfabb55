#include "server/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/api.h"
#include "server/http_session.h"

namespace sluice::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint parse_endpoint(const ServerOptions& options) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    throw Error(ErrorCode::InvalidArgument, "--http-addr: '" + options.address +
                                                "' is not an IP address (" + ec.message() + ")");
  }
  return tcp::endpoint(address, options.port);
}

// The TLS context for options.tls_cert_file/tls_key_file (PEM): TLS 1.2 or newer, the cert
// chain and key checked against each other now, so a bad file fails the start, not a client.
std::optional<asio::ssl::context> tls_context(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return std::nullopt;
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    throw Error(ErrorCode::InvalidArgument, "TLS needs both --tls-cert and --tls-key");
  }
  std::optional<asio::ssl::context> ctx(std::in_place, asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    throw Error(ErrorCode::InvalidArgument,
                "--tls-cert: cannot use '" + options.tls_cert_file + "' (" + ec.message() + ")");
  }
  ctx->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    throw Error(ErrorCode::InvalidArgument, "--tls-key: cannot use '" + options.tls_key_file +
                                                "' (" + ec.message() +
                                                "; it must match --tls-cert)");
  }
  return ctx;
}

}  // namespace

struct Server::Impl {
  Impl(Database& db, ServerOptions opts)
      : options(std::move(opts)), tls(tls_context(options)), acceptor(io) {
    const tcp::endpoint endpoint = parse_endpoint(options);
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw Error(ErrorCode::CantOpen, "cannot listen on " + options.address + ":" +
                                           std::to_string(options.port) + ": " + ec.message());
    }
    port = acceptor.local_endpoint().port();
    address = listen_address();
    api.emplace(db, options, metrics, address);
    context.emplace(SessionContext{options, *api, metrics, stopping});
  }

  std::string listen_address() const {
    const auto ep = acceptor.local_endpoint();
    // Appends piecewise: GCC 12 raises a false -Wrestrict on "[" + s + "]".
    std::string out;
    if (ep.address().is_v6()) out += '[';
    out += ep.address().to_string();
    if (ep.address().is_v6()) out += ']';
    out += ':';
    out += std::to_string(ep.port());
    return out;
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code ec,
                                                        tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        return accept();  // e.g. EMFILE: keep serving the connections we have
      }
      metrics.add(Counter::ConnectionsAccepted);
      if (metrics.get(Counter::ConnectionsOpen) >= options.max_connections) {
        metrics.add(Counter::ConnectionsRefused);
        boost::system::error_code ignored;
        socket.close(ignored);
        return accept();
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(socket), *context, tls ? &*tls : nullptr);
      {
        std::lock_guard lock(sessions_mutex);
        std::erase_if(sessions, [](const auto& kv) { return kv.second.expired(); });
        sessions.emplace(session.get(), session);
      }
      session->start();
      accept();
    });
  }

  ServerOptions options;
  std::optional<asio::ssl::context> tls;  // set when serving HTTPS
  std::uint16_t port = 0;
  std::string address;  // "host:port" as bound
  asio::io_context io;
  tcp::acceptor acceptor;
  HttpMetrics metrics;
  std::atomic<bool> stopping{false};
  std::optional<Api> api;
  std::optional<SessionContext> context;
  std::vector<std::thread> threads;
  bool stopped = false;
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // guarded by sessions_mutex
};

Server::Server(Database& db, ServerOptions options)
    : impl_(std::make_unique<Impl>(db, std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
  Impl& i = *impl_;
  if (!i.threads.empty() || i.stopped) return;
  i.accept();
  int n = i.options.threads > 0 ? i.options.threads
                                : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  for (int t = 0; t < n; ++t) i.threads.emplace_back([&io = i.io] { io.run(); });
}

void Server::stop() {
  Impl& i = *impl_;
  if (i.stopped) return;
  i.stopped = true;
  i.stopping.store(true);
  asio::post(i.acceptor.get_executor(), [&i] {
    boost::system::error_code ignored;
    i.acceptor.close(ignored);
  });
  {
    std::lock_guard lock(i.sessions_mutex);
    for (auto& [ptr, weak] : i.sessions) {
      if (auto session = weak.lock()) session->shutdown();
    }
  }
  if (i.threads.empty()) {
    i.io.run();  // never started: let the posted work finish here
  }
  for (auto& t : i.threads) t.join();
  i.threads.clear();
  i.api.reset();  // waits for reads and writes in flight
}

std::uint16_t Server::port() const noexcept { return impl_->port; }

std::string Server::listen_address() const { return impl_->address; }

const HttpMetrics& Server::metrics() const noexcept { return impl_->metrics; }

std::vector<std::string> Server::warnings() const {
  return impl_->api ? impl_->api->warnings() : std::vector<std::string>{};
}

}  // namespace sluice::server
