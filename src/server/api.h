// Api: rqlite's HTTP API over one Sluice Database (see docs/server.md for every endpoint).
//
//   POST /db/execute     writes; each request is ONE write job in the group-commit batch, so
//                        concurrent requests share commits; 200 = committed (ack = commit)
//   GET|POST /db/query   reads on the read-only pool, under the read guard (sql_guard.h)
//   POST /db/request     all-read requests as /db/query, anything else as /db/execute
//   GET /db/backup       a consistent snapshot of the database file (writes go on)
//   POST /db/load        SQL text, run as one atomic write job
//   GET /status /readyz /healthz /nodes /metrics
//
// Requests never block an event-loop thread: reads run on a small thread pool (one thread per
// pooled reader), writes are submitted and answered from the CommitWatcher.
//
// Thread-safety: handle() may be called from any thread; `reply` is called exactly once, from
// an Api thread, the watcher, or the caller's thread (for answers known at once).
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth.h"
#include "server/commit_watcher.h"
#include "server/http_metrics.h"
#include "server/http_types.h"
#include "server/options.h"
#include "server/sql_guard.h"
#include "server/statement_cache.h"
#include "sluice/database.h"

namespace sluice::server {

struct Call;

class Api {
 public:
  using Reply = std::function<void(Endpoint, Response)>;

  // `db` must outlive the Api and read through its pool (Config::separate_read_write); throws
  // Error(InvalidArgument) otherwise, and Auth::load's errors for options.auth_file.
  // `listen_addr` is what /status and /nodes report.
  Api(Database& db, const ServerOptions& options, HttpMetrics& metrics, std::string listen_addr);
  // Waits for reads and writes in flight (their replies are still delivered).
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void handle(Request req, Reply reply);

  // Adds rqlite's headers to a response (version, CORS methods/headers, and with auth
  // WWW-Authenticate).
  void decorate(Response& res) const;
  // Findings at startup (e.g. plaintext passwords in the credentials file).
  std::vector<std::string> warnings() const;

 private:
  void execute(std::shared_ptr<Call> call);
  void query(std::shared_ptr<Call> call);
  void request(std::shared_ptr<Call> call);
  void status(Call& call);
  void readyz(Call& call);
  void nodes(Call& call);
  void metrics(Call& call);
  void backup(std::shared_ptr<Call> call);
  void load(std::shared_ptr<Call> call);
  // Submits call's statements as one write job and replies once it commits.
  void submit_write(std::shared_ptr<Call> call);
  // Submits `job` as one write job; once it commits, replies with call's results (which the
  // job may fill), or with the job's error.
  void submit_job(std::shared_ptr<Call> call, std::function<void(Transaction&)> job);
  // False (and answers 401) when auth is on and the request lacks `perm`.
  bool authorized(Call& call, std::string_view perm);
  void queued_write(std::shared_ptr<Call> call);
  // Runs on a read thread: true when it replied, false when the request holds a write (only
  // when `route_writes`).
  bool run_read(Call& call, bool route_writes);

  Database& db_;
  const ServerOptions options_;
  HttpMetrics& metrics_;
  const std::string listen_addr_;
  const std::chrono::system_clock::time_point started_;
  SqlGuard guard_;
  std::optional<Auth> auth_;
  // Queued writes: the next sequence number to hand out (starts at the Unix time in ns, as
  // rqlite's do, so numbers grow across restarts) and the highest one committed.
  std::atomic<std::int64_t> next_sequence_;
  std::atomic<std::int64_t> committed_sequence_{0};
  // The writer connection's prepared statements; used only inside write jobs. Declared before
  // the watcher, so it is destroyed after every write job has finished.
  StatementCache write_statements_;
  CommitWatcher watcher_;
  boost::asio::thread_pool reads_;
};

}  // namespace sluice::server
