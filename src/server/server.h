// Server: the HTTP front of `sluice serve` — Boost.Beast over Asio (epoll), N event-loop
// threads, one strand per connection. Keep-alive and pipelined requests are answered in order;
// every request must arrive whole within ServerOptions::request_deadline (slowloris-safe);
// header and body limits answer 431/413 before anything is buffered; connections over
// max_connections are closed at accept.
//
//   sluice::Database db = sluice::Database::open("app.db");
//   sluice::server::Server server(db, options);   // binds and listens
//   server.start();                               // event-loop threads run
//   ...
//   server.stop();                                // graceful; then db.close()
//
// Shutdown (stop()): 1. the acceptor closes — no new connections; 2. idle keep-alive
// connections are closed; a connection with a request being read or answered finishes that
// request (its response says Connection: close) and then closes; 3. stop() returns once every
// connection is gone and every write in flight has committed and been answered. The Database
// is the caller's: close it after stop() (it commits what was accepted and checkpoints).
//
// Thread-safety: start() and stop() from one controlling thread; port() and metrics() from any.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/http_metrics.h"
#include "server/options.h"
#include "sluice/database.h"

namespace sluice::server {

class Server {
 public:
  // Binds options.address:options.port and loads options.auth_file. Throws
  // Error(InvalidArgument) for a bad address or credentials file, Error(CantOpen) when the port
  // cannot be bound (in use, no permission) or the credentials file cannot be read.
  Server(Database& db, ServerOptions options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the event-loop threads (returns at once).
  void start();
  // Graceful shutdown as above; blocks until done. Idempotent.
  void stop();

  // The bound port (the real one when options.port was 0).
  std::uint16_t port() const noexcept;
  // "address:port" as bound.
  std::string listen_address() const;
  const HttpMetrics& metrics() const noexcept;
  // Findings at startup worth telling the operator (e.g. plaintext passwords).
  std::vector<std::string> warnings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::server
