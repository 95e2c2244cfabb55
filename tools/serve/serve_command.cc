#include "serve/serve_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "server/auth.h"
#include "server/server.h"
#include "sluice/sluice.h"

namespace sluice::serve {
namespace {

constexpr const char* kDescription =
    R"DOC(Serve a database over HTTP with rqlite's API, on Sluice's group-commit engine.

Every language with an rqlite client (JS, Python, Go, Java, .NET, ...) can use it unchanged, or
plain curl. Concurrent writes share commits: each request's statements are one job in the
group-commit batch, and a 200 from /db/execute means committed.

Endpoints:
  POST /db/execute        writes: JSON array of "sql" or ["sql", params...], or a text/plain
                          body; ?transaction (all or nothing), ?queue[&wait], ?timings, ?pretty
  GET|POST /db/query      reads (q=... or a JSON array); read-only pool and an authorizer:
                          writes, ATTACH and writable PRAGMAs are refused; ?associative, ?level
  POST /db/request        mixed reads and writes
  GET /db/backup          a consistent copy of the database file; POST /db/load: SQL text
  GET /status /readyz /healthz /nodes /metrics (Prometheus); GET / the live dashboard
Auth: --auth FILE takes rqlite's credentials file (HTTP basic auth, per-user permissions).
Listens on 127.0.0.1:4001 by default (rqlite's port); SIGTERM or Ctrl-C stops it cleanly: no
new connections, requests in flight finish, everything accepted commits, then a checkpoint.

Examples:
  sluice serve data/app.db
  curl -XPOST localhost:4001/db/execute -H 'Content-Type: application/json' \
       -d '["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)",
            ["INSERT INTO foo(name) VALUES(?)", "fiona"]]'
  curl -G localhost:4001/db/query --data-urlencode 'q=SELECT * FROM foo'
  sluice serve data/app.db --http-addr 0.0.0.0:4001 --auth users.json
    users.json: [{"username": "bob", "password": "$2b$10$...", "perms": ["all"]},
                 {"username": "*", "perms": ["status", "ready"]}]
    (a bcrypt hash for it: sluice serve --hash-password 'pw')
    perms: all execute query backup load status ready
Engine settings come from the environment (SLUICE_*, DATABASE_URL; see `sluice bench --help`).)DOC";

struct Args {
  std::string path;
  std::string hash_password;
  std::string http_addr = "127.0.0.1:4001";
  server::ServerOptions options;
  int request_deadline_ms = 10000;
  int idle_timeout_ms = 60000;
  int query_timeout_ms = 60000;
  int max_freshness_ms = 1000;
};

// "host:port", "[v6]:port" or ":port" (all interfaces is never implied: ":port" is loopback).
void parse_http_addr(const std::string& text, server::ServerOptions& o) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw CLI::ValidationError("--http-addr", "expected host:port");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  o.address = host.empty() ? "127.0.0.1" : host;
  try {
    const int port = std::stoi(text.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    o.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    throw CLI::ValidationError("--http-addr", "port must be 0..65535 in '" + text + "'");
  }
}

int run(Args a) {
  if (!a.hash_password.empty()) {
    fmt::print("{}\n", server::Auth::hash_password(a.hash_password));
    return 0;
  }
  if (a.path.empty()) throw CLI::ValidationError("DB", "the database file is required");
  parse_http_addr(a.http_addr, a.options);
  a.options.request_deadline = std::chrono::milliseconds(a.request_deadline_ms);
  a.options.idle_timeout = std::chrono::milliseconds(a.idle_timeout_ms);
  a.options.query_timeout = std::chrono::milliseconds(a.query_timeout_ms);
  a.options.max_freshness = std::chrono::milliseconds(a.max_freshness_ms);
  // Block the stop signals before any thread exists (the Database starts its writer and
  // checkpointer), so every thread inherits the mask and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Config config = Config::from_env();
    config.path = a.path;
    Database db = Database::open(config);
    for (const auto& w : db.warnings()) fmt::print(stderr, "warning: {}\n", w);
    {
      server::Server server(db, a.options);
      for (const auto& w : server.warnings()) fmt::print(stderr, "warning: {}\n", w);
      server.start();
      std::string url = a.options.tls_cert_file.empty() ? "http://" : "https://";
      url += server.listen_address();
      fmt::print("sluice serve: {} on {} (dashboard: {}/, metrics: {}/metrics)\n", a.path, url, url,
                 url);
      std::fflush(stdout);
      int signal_number = 0;
      sigwait(&stop_signals, &signal_number);
      fmt::print("sluice serve: {} received, finishing requests in flight\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
      std::fflush(stdout);
      server.stop();
    }
    db.close();  // commits what was accepted, checkpoints
    fmt::print("sluice serve: stopped cleanly\n");
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "sluice serve: {}\n", e.what());
    return 1;
  }
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a database over HTTP (rqlite's API)");
  cmd->description(kDescription);
  cmd->add_option("DB", args->path, "Database file (created if missing)");
  cmd->add_option("--hash-password", args->hash_password,
                  "Print a bcrypt hash of this password for --auth's file, and exit");
  cmd->add_option("--http-addr", args->http_addr, "Address to listen on, host:port")
      ->capture_default_str();
  cmd->add_option("--auth", args->options.auth_file,
                  "rqlite's credentials file (JSON: username, bcrypt password, perms)");
  cmd->add_option("--tls-cert", args->options.tls_cert_file,
                  "HTTPS: PEM certificate chain (with --tls-key)");
  cmd->add_option("--tls-key", args->options.tls_key_file, "HTTPS: PEM private key of --tls-cert");
  cmd->add_option("--threads", args->options.threads, "Event-loop threads (0 = one per core)")
      ->capture_default_str();
  cmd->add_option("--request-deadline", args->request_deadline_ms,
                  "ms from a request's first byte to its last; slower clients are cut")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", args->idle_timeout_ms,
                  "ms a keep-alive connection may idle between requests")
      ->capture_default_str();
  cmd->add_option("--max-header", args->options.max_header_bytes,
                  "Bytes of request line + headers (over: 431)")
      ->capture_default_str();
  cmd->add_option("--max-body", args->options.max_body_bytes, "Bytes of request body (over: 413)")
      ->capture_default_str();
  cmd->add_option("--max-statements", args->options.max_statements,
                  "Statements per request (over: 400)")
      ->capture_default_str();
  cmd->add_option("--max-connections", args->options.max_connections,
                  "Open connections; more are closed at accept")
      ->capture_default_str();
  cmd->add_option("--max-result-rows", args->options.max_result_rows,
                  "Rows per read statement (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--max-result-bytes", args->options.max_result_bytes,
                  "Bytes of values per read statement (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--query-timeout", args->query_timeout_ms,
                  "ms a read statement may run before 'query timeout' (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--max-freshness", args->max_freshness_ms,
                  "ms: cap on level=none&freshness= (a read's snapshot is at most this old; "
                  "0 = always the newest)")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace sluice::serve
