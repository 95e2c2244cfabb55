// ServerOptions: every setting of `sluice serve`, with its default, its unit and why.
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::server {

struct ServerOptions {
  // Where to listen. Loopback by default: the API has no auth unless configured, so exposing
  // it is an explicit choice. Port 4001 is rqlite's, so its clients find the server unchanged;
  // 0 picks a free port (tests).
  std::string address = "127.0.0.1";
  std::uint16_t port = 4001;
  // Event-loop threads; 0 = one per core (std::thread::hardware_concurrency).
  int threads = 0;
  // Longest time from a request's first byte to its last (ms). A client that sends slower
  // (slowloris) is disconnected at this deadline, so it holds a connection slot at most this
  // long. Also the deadline for writing a response.
  std::chrono::milliseconds request_deadline{10000};
  // How long a keep-alive connection may sit idle between requests (ms) before it is closed.
  std::chrono::milliseconds idle_timeout{60000};
  // Request line plus headers (bytes): larger is refused with 431. 16 KiB, as nginx's default
  // large_client_header_buffers allows four 8 KiB lines.
  std::uint32_t max_header_bytes = 16 * 1024;
  // Request body (bytes): larger — or a Content-Length that announces more — is refused with
  // 413 before the body is read.
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;
  // Elements in one request's JSON array; more is refused with 400.
  std::size_t max_statements = 100000;
  // Result limits per statement on the read path; 0 = no limit.
  std::size_t max_result_rows = 0;
  std::size_t max_result_bytes = 256 * 1024 * 1024;
  // A read statement running longer than this is interrupted ("query timeout"); 0 = no limit.
  // ?db_timeout= sets a shorter one per request.
  std::chrono::milliseconds query_timeout{60000};
  // Cap on `level=none&freshness=D` (ms): such a read may use a pooled snapshot up to
  // min(D, this) old. A kept snapshot pins the WAL that long, so the cap bounds how far the WAL
  // can grow past a checkpoint. 0 = freshness is ignored (every read takes a new snapshot).
  // At most 60000, the engine's max_staleness_ms range.
  std::chrono::milliseconds max_freshness{1000};
  // Open connections; more are closed as soon as they are accepted.
  int max_connections = 4096;
  // rqlite's credentials file (auth.h); empty = no authentication.
  std::string auth_file;
  // HTTPS: a PEM certificate chain and its private key (both, or neither = plain HTTP). TLS 1.2
  // and newer; checked at startup (Error(InvalidArgument) naming the file).
  std::string tls_cert_file;
  std::string tls_key_file;
};

}  // namespace sluice::server
