#include "sluice/database.h"

#include "engine/checkpoint.h"
#include "engine/clock.h"
#include "engine/database_core.h"

namespace sluice {

using engine::micros_between;
using engine::now_ns;

Database Database::open(const std::string& path, Config config) {
  config.path = path;
  return open(std::move(config));
}

Database Database::open(Config config) {
  return Database(std::make_unique<engine::DatabaseCore>(std::move(config)));
}

Database::Database(std::unique_ptr<engine::DatabaseCore> core) noexcept : core_(std::move(core)) {}
Database::Database(Database&& other) noexcept = default;
Database& Database::operator=(Database&& other) noexcept = default;
Database::~Database() = default;

engine::DatabaseCore& Database::core() const {
  if (!core_) throw Error(ErrorCode::Closed, "database handle is empty (moved from)");
  return *core_;
}

void Database::enqueue(detail::Job& job, const WriteOptions& options) {
  core().enqueue(job, options.timeout.count());
}

void Database::run_sync(detail::Job& job, const WriteOptions& options) {
  engine::DatabaseCore& c = core();
  c.enqueue(job, options.timeout.count(), /*lead=*/true);
  detail::wait(job);
  c.metrics().write_us.record(micros_between(job.enqueued_ns, now_ns()));
  if (job.error) std::rethrow_exception(job.error);
  detail::note_write_acked();
}

ExecResult Database::execute_values(std::string_view sql, const std::vector<Value>& params) {
  if (std::optional<ExecResult> r = core().execute_via_ring(sql, params, 0)) return *r;
  return write([&](Transaction& tx) {
    int n = tx.exec_values(sql, params);
    return ExecResult{n, tx.last_insert_rowid()};
  });
}

bool Database::uses_job_ring() const noexcept { return core_ && core_->uses_ring(); }

bool Database::reads_use_pool() const noexcept {
  return !core_ || core_->config().separate_read_write;
}

CheckpointResult Database::checkpoint(CheckpointMode mode) {
  engine::DatabaseCore& c = core();
  auto fn = [&](Transaction& tx) {
    return engine::run_checkpoint(tx.connection(), mode, c.config().busy_timeout_ms, c.metrics());
  };
  detail::CallJob<decltype(fn), CheckpointResult> job(fn);
  job.control = true;
  run_sync(job, {});
  return *job.result;
}

BackupResult Database::backup_to(const std::string& dest, const BackupOptions& options) const {
  engine::DatabaseCore& c = core();
  c.check_caller();
  return backup_file(c.config().path, dest, options);
}
Stats Database::stats() const { return core().stats(); }
std::map<std::string, std::string> Database::effective_pragmas() const {
  return core().effective_pragmas();
}
std::vector<std::string> Database::warnings() const { return core().warnings(); }
const Config& Database::config() const { return core().config(); }
const std::string& Database::path() const { return core().config().path; }

void Database::close() noexcept {
  if (core_) core_->close();
}

bool Database::is_open() const noexcept { return core_ && core_->is_open(); }

// ---- ReadScope ----------------------------------------------------------------------------------

Database::ReadScope::ReadScope(Database& db, const ReadOptions& options)
    : core_(db.core()), conn_(nullptr), start_ns_(now_ns()) {
  core_.check_caller();
  const std::int64_t ms =
      options.timeout.count() > 0 ? options.timeout.count() : core_.config().read_timeout_ms;
  try {
    const std::int64_t staleness_ms = options.max_staleness.count() >= 0
                                          ? options.max_staleness.count()
                                          : core_.config().max_staleness_ms;
    conn_ = core_.readers()->acquire(start_ns_ + ms * 1'000'000, staleness_ms * 1'000'000);
  } catch (...) {
    engine::EngineMetrics::bump(core_.metrics().reads_failed);
    throw;
  }
}

void Database::ReadScope::succeed() {
  core_.readers()->finish(conn_);
  done_ = true;
}

Database::ReadScope::~ReadScope() {
  engine::EngineMetrics& m = core_.metrics();
  engine::EngineMetrics::bump(done_ ? m.reads_ok : m.reads_failed);
  core_.readers()->release(conn_);  // rolls back a read transaction it does not keep
  m.read_us.record(micros_between(start_ns_, now_ns()));
}

}  // namespace sluice
