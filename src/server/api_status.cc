// The diagnostic endpoints of the Api: /status, /readyz, /nodes, /metrics.
#include <sqlite3.h>

#include <thread>

#include "server/api.h"
#include "server/api_call.h"
#include "server/json_writer.h"

namespace sluice::server {
namespace {

// The writer can commit: the Database is open and not poisoned by an error of unknown outcome.
bool store_ready(const Database& db, const Stats& stats) {
  return db.is_open() && !stats.writes_refused;
}

}  // namespace

void Api::status(Call& call) {
  const Stats stats = db_.stats();
  const auto uptime = std::chrono::system_clock::now() - started_;
  JsonWriter w(call.render.pretty);
  w.begin_object();
  w.key("build");
  w.begin_object();
  w.key("version");
  w.string("sluice-" SLUICE_VERSION);
  w.key("sqlite_version");
  w.string(sqlite3_libversion());
  w.end_object();
  w.key("http");
  w.begin_object();
  w.key("addr");
  w.string(listen_addr_);
  w.key("auth");
  w.string(auth_ ? "enabled" : "disabled");
  w.key("queue");
  w.begin_object();
  w.key("_default");
  w.begin_object();
  w.key("sequence_number");
  w.integer(committed_sequence_.load(std::memory_order_relaxed));
  w.end_object();
  w.end_object();
  w.key("metrics");
  metrics_.to_json(w);
  w.end_object();
  w.key("node");
  w.begin_object();
  w.key("start_time");
  w.integer(std::chrono::duration_cast<std::chrono::seconds>(started_.time_since_epoch()).count());
  w.key("uptime_seconds");
  w.number(std::chrono::duration<double>(uptime).count());
  w.end_object();
  w.key("runtime");
  w.begin_object();
  w.key("os");
  w.string("linux");
  w.key("num_cpu");
  w.integer(std::thread::hardware_concurrency());
  w.end_object();
  w.key("store");
  w.begin_object();
  w.key("ready");
  w.boolean(store_ready(db_, stats));
  w.key("db_path");
  w.string(db_.path());
  w.key("engine");
  w.raw(stats.to_json());
  w.key("config");
  w.raw(db_.config().to_json());
  w.end_object();
  w.end_object();
  call.answer(json_response(w.take()));
}

void Api::readyz(Call& call) {
  const bool ready = store_ready(db_, db_.stats());
  std::string body = "[+]node ok";
  if (!call.params.has("noleader")) body += "\n[+]leader ok";
  body += ready ? "\n[+]store ok" : "\n[-]store not ready";
  call.answer(make_response(ready ? http::status::ok : http::status::service_unavailable,
                            std::move(body), "text/plain; charset=utf-8"));
}

void Api::nodes(Call& call) {
  // A single node: itself, the leader, always reachable.
  const auto self = [&](JsonWriter& w, bool with_id) {
    w.begin_object();
    if (with_id) {
      w.key("id");
      w.string(listen_addr_);
    }
    w.key("api_addr");
    w.string("http://" + listen_addr_);
    w.key("addr");
    w.string(listen_addr_);
    w.key("voter");
    w.boolean(true);
    w.key("reachable");
    w.boolean(true);
    w.key("leader");
    w.boolean(true);
    w.end_object();
  };
  JsonWriter w(call.render.pretty);
  w.begin_object();
  if (call.params.has("ver") && *call.params.find("ver") == "2") {
    w.key("nodes");
    w.begin_array();
    self(w, true);
    w.end_array();
  } else {
    w.key(listen_addr_);
    self(w, false);
  }
  w.end_object();
  call.answer(json_response(w.take()));
}

void Api::metrics(Call& call) {
  std::string body = metrics_.to_prometheus();
  body += db_.stats().to_prometheus();
  call.answer(make_response(http::status::ok, std::move(body), "text/plain; version=0.0.4"));
}

}  // namespace sluice::server
