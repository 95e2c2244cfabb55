#include "bench/drivers.h"

#include <nlohmann/json.hpp>

#include "sluice/sluice.h"

namespace sluice::bench {
namespace {

// Binds an operation's parameters in the order its SQL takes them.
template <class Exec>
auto with_params(const Op& op, Exec&& exec) {
  const char* sql = sql_of(op.kind);
  switch (op.kind) {
    case OpKind::PostsForUser:
      return exec(sql, op.a, op.b);
    case OpKind::PostsInTimeframe:
      return exec(sql, *op.text1, *op.text2, op.a);
    case OpKind::SinglePostWithDetails:
      return exec(sql, op.a);
    case OpKind::UsersInTimeframe:
      return exec(sql, *op.text1, *op.text2);
    case OpKind::InsertUser:
    case OpKind::InsertTag:
      return exec(sql, *op.text1);
    case OpKind::InsertPost:
      return exec(sql, *op.text1, *op.text2);
    case OpKind::InsertEvent:
      return exec(sql, op.x, *op.text1);
    case OpKind::InsertMetric:
      return exec(sql, op.a, *op.text1, op.x);
    case OpKind::RecentEvents:
      return exec(sql, op.x);
    case OpKind::RecentMetrics:
      return exec(sql, op.a);
    default:
      return exec(sql, op.a, op.b);
  }
}

void run_read(Connection& c, const Op& op) {
  with_params(op, [&](const char* sql, const auto&... args) {
    Query q = c.query(sql, args...);
    return consume(q);
  });
}

constexpr const char* kPragmaNames[] = {"journal_mode",       "synchronous", "busy_timeout",
                                        "cache_size",         "mmap_size",   "temp_store",
                                        "wal_autocheckpoint", "foreign_keys"};

// vanilla and tuned: one plain connection per worker.
class ConnectionDriver final : public Driver {
 public:
  ConnectionDriver(std::string path, bool tuned, bool sync_full, bool mmap = true)
      : path_(std::move(path)), tuned_(tuned), sync_full_(sync_full), mmap_(mmap) {}

  std::unique_ptr<Worker> make_worker() override {
    auto w = std::make_unique<ConnWorker>(Connection::open(path_), tuned_);
    for (const auto& [name, value] : pragma_list()) w->conn.pragma(name + "=" + value);
    return w;
  }

  std::string config_json() const override {
    nlohmann::json j = pragmas();
    j["writes"] = tuned_ ? "BEGIN IMMEDIATE; INSERT; COMMIT" : "autocommit INSERT";
    j["connections"] = "one per worker";
    return j.dump();
  }

 private:
  struct ConnWorker final : Worker {
    ConnWorker(Connection c, bool immediate) : conn(std::move(c)), immediate(immediate) {}
    void run(const Op& op) override {
      if (!is_write(op.kind)) return run_read(conn, op);
      if (!immediate) {
        with_params(op,
                    [&](const char* sql, const auto&... args) { return conn.exec(sql, args...); });
        return;
      }
      try {
        conn.exec("BEGIN IMMEDIATE");
        with_params(op,
                    [&](const char* sql, const auto&... args) { return conn.exec(sql, args...); });
        conn.exec("COMMIT");
      } catch (...) {
        if (conn.in_transaction()) conn.exec("ROLLBACK");
        throw;
      }
    }
    std::map<std::string, std::string> effective_pragmas() override {
      std::map<std::string, std::string> out;
      for (const char* name : kPragmaNames) out[name] = conn.pragma(name);
      return out;
    }
    Connection conn;
    bool immediate;
  };

  // Ordered: busy_timeout first (processes opening together wait for each other's switch to
  // WAL), then journal_mode (it decides what synchronous means).
  std::vector<std::pair<std::string, std::string>> pragma_list() const {
    if (!tuned_) return {{"busy_timeout", "0"}};  // SQLite's real default: no busy handler
    return {{"busy_timeout", "5000"},
            {"journal_mode", "WAL"},
            {"synchronous", sync_full_ ? "FULL" : "NORMAL"},
            {"wal_autocheckpoint", "4000"},
            {"mmap_size", mmap_ ? "1073741824" : "0"},
            {"temp_store", "MEMORY"},
            {"cache_size", "-65536"}};
  }
  std::map<std::string, std::string> pragmas() const {
    auto list = pragma_list();
    return {list.begin(), list.end()};
  }

  std::string path_;
  bool tuned_;
  bool sync_full_;
  bool mmap_;
};

// sluice: one Database shared by every worker.
class SluiceDriver final : public Driver {
 public:
  // `commit_autocheckpoint_pages` > 0: checkpoint inside the COMMIT that crosses it.
  // The knobs the sluice modes differ in.
  struct Variant {
    int commit_autocheckpoint_pages = 0;  // > 0: checkpoint inside the COMMIT that crosses it
    int max_staleness_ms = 0;             // > 0: bounded-staleness reads
    bool caller_commits = true;           // false: every write goes to the writer thread
    bool lambda_writes = false;           // write() lambdas instead of execute()
  };
  SluiceDriver(const std::string& path, bool sync_full, Variant v)
      : db_(Database::open(path, config(sync_full, v))), lambda_writes_(v.lambda_writes) {}

  static Config config(bool sync_full, Variant v) {
    Config c = Config::production();
    c.commit_autocheckpoint_pages = v.commit_autocheckpoint_pages;
    c.max_staleness_ms = v.max_staleness_ms;
    c.caller_commits = v.caller_commits;
    c.synchronous = sync_full ? Synchronous::Full : Synchronous::Normal;
    // The same integrity work as vanilla/tuned (SQLite's default is foreign_keys=OFF).
    c.foreign_keys = false;
    // SLUICE_* variables (e.g. SLUICE_POOL_SIZE=8) override, for experiments; printed.
    return Config::from_env(c);
  }

  std::unique_ptr<Worker> make_worker() override {
    return std::make_unique<DbWorker>(db_, lambda_writes_);
  }
  bool has_submit() const override { return true; }
  std::unique_ptr<Ticket> submit(const Op& op) override {
    return std::make_unique<DbTicket>(db_.submit([op](Transaction& tx) {
      with_params(op, [&](const char* sql, const auto&... args) { return tx.exec(sql, args...); });
    }));
  }
  std::string config_json() const override { return db_.config().to_json(); }
  std::string stats_json() override { return db_.stats().to_json(); }

 private:
  struct DbWorker final : Worker {
    DbWorker(Database& d, bool lambda) : db(d), lambda_writes(lambda) {}
    void run(const Op& op) override {
      if (!is_write(op.kind)) {
        db.read([&](Connection& c) { run_read(c, op); });
        return;
      }
      if (!lambda_writes) {
        with_params(op, [&](const char* sql, const auto&... args) { db.execute(sql, args...); });
        return;
      }
      db.write([&](Transaction& tx) {
        with_params(op,
                    [&](const char* sql, const auto&... args) { return tx.exec(sql, args...); });
      });
    }
    std::map<std::string, std::string> effective_pragmas() override {
      return db.effective_pragmas();
    }
    Database& db;
    bool lambda_writes;
  };

  struct DbTicket final : Ticket {
    explicit DbTicket(Pending<void> p) : pending(std::move(p)) {}
    void wait() override { pending.get(); }
    Pending<void> pending;
  };

  Database db_;
  bool lambda_writes_;
};

}  // namespace

std::unique_ptr<Ticket> Driver::submit(const Op&) {
  throw Error(ErrorCode::InvalidArgument, "this mode has no asynchronous write API");
}

std::unique_ptr<Driver> make_driver(Mode mode, const std::string& path, bool sync_full) {
  switch (mode) {
    case Mode::Vanilla:
      return std::make_unique<ConnectionDriver>(path, false, sync_full);
    case Mode::Tuned:
      return std::make_unique<ConnectionDriver>(path, true, sync_full);
    case Mode::Sluice:
    case Mode::SluiceSubmit:
      return std::make_unique<SluiceDriver>(path, sync_full, SluiceDriver::Variant{});
    case Mode::SluiceCheckpointInCommit:
      // SQLite's default wal_autocheckpoint (sqlite.org/pragma.html#pragma_wal_autocheckpoint).
      return std::make_unique<SluiceDriver>(
          path, sync_full, SluiceDriver::Variant{.commit_autocheckpoint_pages = 1000});
    case Mode::TunedNoMmap:
      return std::make_unique<ConnectionDriver>(path, true, sync_full, false);
    case Mode::SluiceStale:
      return std::make_unique<SluiceDriver>(path, sync_full,
                                            SluiceDriver::Variant{.max_staleness_ms = kStaleMs});
    case Mode::SluiceHandoff:
      return std::make_unique<SluiceDriver>(path, sync_full,
                                            SluiceDriver::Variant{.caller_commits = false});
    case Mode::SluiceLambda:
      return std::make_unique<SluiceDriver>(path, sync_full,
                                            SluiceDriver::Variant{.lambda_writes = true});
  }
  return nullptr;
}

}  // namespace sluice::bench
