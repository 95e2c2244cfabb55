#include "backup/replicator.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "backup/file_io.h"
#include "backup/segment.h"
#include "backup/snapshot_copy.h"
#include "engine/clock.h"

namespace sluice::backup {
namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The -wal file, open for reading, or -1 when there is none.
class WalFile {
 public:
  explicit WalFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0 && errno != ENOENT) throw_errno("open", path);
  }
  ~WalFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  WalFile(const WalFile&) = delete;
  WalFile& operator=(const WalFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The last frame SQLite counts as committed in the WAL epoch of `wal_header` (the wal-index's
// mxFrame, read as SQLite's readers read it: both header copies equal), or `fallback` when
// there is no usable wal-index. A commit's frames are in the -wal file before mxFrame covers
// them: frames past it are a commit in progress, or one whose writer died before it counted —
// SQLite then writes the next commit over them, so they must never be shipped. 0 when the
// wal-index is already in a newer epoch than the file (the WAL restarted and its first frame is
// not written yet).
//
// The wal-index is read through `conn`'s own mapping of it (the VFS's xShmMap), never through a
// descriptor of our own: closing any descriptor of the -shm file would drop every POSIX lock this
// process holds on it (SQLite's read marks and its "in use" lock) — another process would then
// truncate the -shm under our mappings (SIGBUS) and checkpoint past our read transactions.
std::uint64_t committed_frames(Connection& conn, const unsigned char* wal_header,
                               std::uint64_t fallback) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(conn.native_handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) !=
          SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2) {
    return fallback;
  }
  volatile void* region = nullptr;
  if (file->pMethods->xShmMap(file, 0, 32 * 1024, 0, &region) != SQLITE_OK || region == nullptr) {
    return fallback;
  }
  const auto* shm = static_cast<const volatile unsigned char*>(region);
  constexpr std::size_t kHeader = 48;  // WalIndexHdr, twice
  unsigned char h[2 * kHeader];
  for (int attempt = 0; attempt < 1000; ++attempt) {
    for (std::size_t i = 0; i < sizeof h; ++i) h[i] = shm[i];
    if (std::memcmp(h, h + kHeader, kHeader) != 0 || h[12] == 0) continue;  // being written
    std::uint32_t mx_frame = 0;
    std::memcpy(&mx_frame, h + 16, sizeof mx_frame);  // native byte order
    // aSalt (offset 32) holds the salts as the WAL header's bytes 16-23 do.
    return std::memcmp(h + 32, wal_header + 16, 8) == 0 ? mx_frame : 0;
  }
  return fallback;
}

// After the last committed frame of the WAL now (REQUIRES: the writer lock, and a read
// transaction begun under it, so that the wal-index is recovered and nothing commits).
WalPosition end_of_wal(int fd, const std::string& path, const std::optional<WalHeader>& wal,
                       std::uint64_t last_frame) {
  if (!wal) return {};
  const WalRun run = read_committed(fd, path, *wal, 1, wal->checksum, SIZE_MAX, last_frame);
  return {wal->salt1, wal->salt2, run.frames, run.frames ? run.end : wal->checksum};
}

}  // namespace

Replicator::Replicator(const Config& config, std::unique_ptr<ReplicaTarget> target,
                       coord::WriterLock& lock, std::function<bool()> active)
    : config_(config),
      wal_path_(config.path + "-wal"),
      target_(std::move(target)),
      lock_(lock),
      active_(std::move(active)) {}

Replicator::~Replicator() { stop(); }

void Replicator::start() {
  thread_ = std::thread([this] { run(); });
}

void Replicator::stop() noexcept {
  {
    std::lock_guard g(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard g(mu_);
  if (have_generation_) {
    // The writer has stopped: ship this process's last commits before the final checkpoint.
    try {
      ship();
    } catch (const Error& e) {
      note_error(e.what());
    }
  }
  deactivate();
}

std::optional<WalHeader> Replicator::read_wal_header(int fd) {
  if (fd < 0) return std::nullopt;
  unsigned char h[kWalHeaderBytes];
  const ssize_t n = ::pread(fd, h, sizeof h, 0);
  if (n != static_cast<ssize_t>(sizeof h)) return std::nullopt;
  std::optional<WalHeader> wal = parse_wal_header(h);
  if (wal) wal_header_bytes_.assign(reinterpret_cast<const char*>(h), sizeof h);
  return wal;
}

std::uint64_t Replicator::wal_frames_on_disk(const WalHeader& wal) const noexcept {
  const std::int64_t size = file_size(wal_path_);
  if (size <= static_cast<std::int64_t>(kWalHeaderBytes)) return 0;
  return static_cast<std::uint64_t>(size - static_cast<std::int64_t>(kWalHeaderBytes)) /
         (kFrameHeaderBytes + wal.page_size);
}

void Replicator::pin(int index) {
  if (!pins_[index]) {
    pins_[index].emplace(Connection::open(config_.path, OpenOptions::read_only()));
    pins_[index]->exec("PRAGMA busy_timeout=1000");
  }
  begin_read_snapshot(*pins_[index]);
}

void Replicator::unpin_all() noexcept {
  for (auto& p : pins_) {
    if (p && p->in_transaction()) {
      try {
        p->exec("ROLLBACK");
      } catch (const Error&) {
        p.reset();  // closing the connection ends its read transaction too
      }
    }
  }
  held_ = -1;
}

void Replicator::deactivate() noexcept {
  unpin_all();
  have_generation_ = false;
  st_active_.store(false, std::memory_order_relaxed);
}

void Replicator::note_error(const std::string& what) noexcept {
  st_errors_.fetch_add(1, std::memory_order_relaxed);
  if (!failing_) {
    std::fprintf(stderr,
                 "sluice: replication of %s to %s is failing: %s. Unshipped WAL frames are kept "
                 "(up to %lld pages), writes go on; see Stats::replica_*.\n",
                 config_.path.c_str(), target_->describe().c_str(), what.c_str(),
                 static_cast<long long>(config_.replica_max_hold_pages));
  }
  failing_ = true;
}

void Replicator::activate() {
  std::unique_lock g(mu_, std::defer_lock);
  std::optional<WalHeader> wal;
  WalPosition end;
  std::uint64_t next_txid = 1;
  {
    // Under the writer lock nothing commits: the read transaction's snapshot is exactly the
    // WAL's last committed frame.
    lock_.acquire(engine::now_ns() + std::int64_t{config_.busy_timeout_ms} * 1'000'000,
                  config_.path);
    struct Release {
      coord::WriterLock& l;
      ~Release() { l.release(); }
    } release{lock_};
    g.lock();
    unpin_all();
    pin(0);
    held_ = 0;
    WalFile file(wal_path_);
    wal = read_wal_header(file.fd());
    const std::uint64_t committed = wal ? committed_frames(*pins_[0], header_bytes(), SIZE_MAX) : 0;
    end = end_of_wal(file.fd(), wal_path_, wal, committed);
    const std::vector<std::string> ids = generation_ids(*target_);
    if (!ids.empty()) {
      const std::string gen = "generations/" + ids.back();
      const SnapshotMeta meta =
          parse_snapshot_meta(target_->get(snapshot_meta_name(gen)), snapshot_meta_name(gen));
      ReplicaPosition pos{0, meta.txid, meta.unix_ms, meta.wal};
      if (target_->size(position_name(gen)) >= 0) {
        pos = parse_position(target_->get(position_name(gen)), position_name(gen));
      }
      next_txid = pos.last_txid + 1;
      // Resume when the WAL still continues the generation (a takeover from a dead process).
      if (wal && pos.wal.salt1 == wal->salt1 && pos.wal.salt2 == wal->salt2 &&
          pos.wal.frame <= end.frame) {
        const WalRun upto =
            read_committed(file.fd(), wal_path_, *wal, 1, wal->checksum, SIZE_MAX, pos.wal.frame);
        const Checksum at = pos.wal.frame == 0 ? wal->checksum : upto.end;
        if (upto.frames == pos.wal.frame && at == pos.wal.chain) {
          generation_ = gen;
          position_ = pos.wal;
          seq_ = pos.seq;
          txid_ = pos.last_txid;
          // Our read transaction is at the WAL's end, newer than what the dead holder shipped.
          // When the WAL was all copied back (the new lease holder's first checkpoint does
          // that), it reads the database file alone and no longer stops a restart: the next
          // commit would overwrite the unshipped frames. Ship them now, while the writer lock
          // keeps every commit out.
          try {
            ship();
          } catch (...) {
            unpin_all();
            throw;
          }
          have_generation_ = true;
          st_txid_.store(txid_, std::memory_order_relaxed);
          st_active_.store(true, std::memory_order_release);
          return;
        }
      }
    }
  }
  // A new generation: the snapshot is copied from the read transaction, outside the writer lock.
  try {
    const std::string tmp = config_.path + "-replica-snapshot.tmp";
    BackupOptions options;
    options.overwrite = true;
    options.integrity_check = false;  // restore checks the result; this is a full read saved
    const BackupResult copied = copy_snapshot(*pins_[0], tmp, options);
    SnapshotMeta meta;
    meta.txid = next_txid;
    meta.unix_ms = unix_ms();
    meta.page_size = static_cast<std::uint32_t>(copied.page_size);
    meta.checksum = checksum_of_file(tmp, &meta.bytes);
    meta.wal = end;
    const std::string gen = generation_prefix(meta.txid);
    target_->put_file(snapshot_name(gen), tmp);
    target_->put(snapshot_meta_name(gen), to_json(meta));
    generation_ = gen;
    position_ = end;
    seq_ = 0;
    txid_ = meta.txid;
    have_generation_ = true;
    // The txid before `active`: a reader that sees active sees the snapshot's txid or later.
    st_txid_.store(txid_, std::memory_order_relaxed);
    st_bytes_.fetch_add(static_cast<std::uint64_t>(meta.bytes), std::memory_order_relaxed);
    st_generations_.fetch_add(1, std::memory_order_relaxed);
    st_ship_ms_.store(meta.unix_ms, std::memory_order_relaxed);  // the snapshot holds it all
    st_active_.store(true, std::memory_order_release);
  } catch (...) {
    unpin_all();
    throw;
  }
}

void Replicator::ship() {
  WalFile file(wal_path_);
  const std::optional<WalHeader> wal = read_wal_header(file.fd());
  if (!wal) {
    st_pending_.store(0, std::memory_order_relaxed);
    st_ship_ms_.store(unix_ms(), std::memory_order_relaxed);
    return;
  }
  const bool same_epoch = wal->salt1 == position_.salt1 && wal->salt2 == position_.salt2;
  // A new epoch (the WAL restarted): our read transaction kept SQLite from restarting it before
  // every frame of the old one was shipped, so the new one continues from its frame 1.
  std::uint64_t from = same_epoch ? position_.frame + 1 : 1;
  Checksum seed = same_epoch ? position_.chain : wal->checksum;
  const std::uint64_t first_from = from;
  // At most what was committed when this call began (the wal-index's count; never a commit in
  // progress or left by a dead writer): writers that append faster than this ships would
  // otherwise keep it here for good, the position unrecorded and mu_ held against the
  // checkpointer's tail. The next ship takes the rest.
  std::uint64_t last_frame = wal_frames_on_disk(*wal);
  for (auto& p : pins_) {  // any of our connections maps the wal-index
    if (p) {
      last_frame = committed_frames(*p, header_bytes(), last_frame);
      break;
    }
  }
  for (;;) {
    WalRun run = read_committed(file.fd(), wal_path_, *wal, from, seed, kSegmentBytes, last_frame);
    if (run.frames == 0) break;
    SegmentHeader h;
    h.page_size = wal->page_size;
    h.seq = seq_ + 1;
    h.first_frame = from;
    h.frames = static_cast<std::uint32_t>(run.frames);
    h.commits = static_cast<std::uint32_t>(run.commits);
    h.first_txid = txid_ + 1;
    h.last_txid = txid_ + run.commits;
    h.shipped_unix_ms = unix_ms();
    h.salt1 = wal->salt1;
    h.salt2 = wal->salt2;
    h.seed = seed;
    std::memcpy(h.wal_header, wal_header_bytes_.data(), kWalHeaderBytes);
    h.big_endian_checksums = wal->big_endian_checksums;
    const std::string data = encode_segment(h, run.bytes);
    target_->put(segment_name(generation_, h.seq), data);
    seq_ = h.seq;
    txid_ = h.last_txid;
    position_ = {wal->salt1, wal->salt2, from + run.frames - 1, run.end};
    st_segments_.fetch_add(1, std::memory_order_relaxed);
    st_bytes_.fetch_add(data.size(), std::memory_order_relaxed);
    from += run.frames;
    seed = run.end;
  }
  if (from != first_from) {
    // One position record per ship, however many segments it wrote.
    target_->put(position_name(generation_),
                 to_json(ReplicaPosition{seq_, txid_, unix_ms(), position_}));
    // Shipped once recorded: the next lease holder resumes from this position.
    st_txid_.store(txid_, std::memory_order_relaxed);
  }
  // Everything committed is shipped (what follows the last commit frame is not committed yet).
  st_pending_.store(0, std::memory_order_relaxed);
  st_ship_ms_.store(unix_ms(), std::memory_order_relaxed);
  failing_ = false;
}

bool Replicator::step(bool rotate) noexcept {
  const int next = held_ == 0 ? 1 : 0;
  try {
    // The new read transaction first, then ship at least up to it, then end the old one: at
    // every moment one of ours is no newer than what is shipped.
    if (rotate) pin(next);
    try {
      ship();
    } catch (...) {
      if (rotate) pins_[next]->exec("ROLLBACK");
      throw;
    }
    if (rotate) {
      if (held_ >= 0) pins_[held_]->exec("ROLLBACK");
      held_ = next;
    }
    return true;
  } catch (const Error& e) {
    note_error(e.what());
    WalFile file(wal_path_);
    const std::optional<WalHeader> wal = read_wal_header(file.fd());
    const std::uint64_t on_disk = wal ? wal_frames_on_disk(*wal) : 0;
    // In a new WAL epoch (restarted after the last ship) every frame on disk is unshipped.
    const bool same_epoch = wal && wal->salt1 == position_.salt1 && wal->salt2 == position_.salt2;
    const std::uint64_t pending = !same_epoch                 ? on_disk
                                  : on_disk > position_.frame ? on_disk - position_.frame
                                                              : 0;
    st_pending_.store(pending, std::memory_order_relaxed);
    if (pending > static_cast<std::uint64_t>(config_.replica_max_hold_pages)) {
      std::fprintf(stderr,
                   "sluice: replica %s stalled past replica_max_hold_pages (%llu unshipped WAL "
                   "pages): releasing the WAL to keep the database safe; the replica misses "
                   "these commits and starts a new generation when it works again.\n",
                   target_->describe().c_str(), static_cast<unsigned long long>(pending));
      deactivate();
    }
    return false;
  }
}

void Replicator::before_checkpoint() noexcept {
  std::unique_lock g(mu_, std::try_to_lock);
  if (!g.owns_lock() || !have_generation_) return;
  step(true);
}

bool Replicator::begin_tail() noexcept {
  if (!mu_.try_lock()) return false;
  if (have_generation_) {
    try {
      ship();
    } catch (const Error& e) {
      note_error(e.what());
      mu_.unlock();
      return false;
    }
    unpin_all();
  }
  in_tail_ = true;
  return true;
}

void Replicator::end_tail() noexcept {
  if (!in_tail_) return;
  in_tail_ = false;
  if (have_generation_) {
    try {
      pin(0);
      held_ = 0;
    } catch (const Error& e) {
      // Nothing holds the WAL for us now: what commits next may be checkpointed away unseen.
      note_error(e.what());
      deactivate();
    }
  }
  mu_.unlock();
}

void Replicator::run() noexcept {
  const auto interval = std::chrono::milliseconds(config_.replica_interval_ms);
  std::int64_t retry_at_ns = 0;
  for (;;) {
    {
      std::unique_lock l(wake_mu_);
      if (wake_.wait_for(l, interval, [&] { return stop_; })) return;
    }
    if (!active_()) {
      std::lock_guard g(mu_);
      if (have_generation_ || held_ >= 0) deactivate();
      continue;
    }
    bool have = false;
    {
      std::lock_guard g(mu_);
      have = have_generation_;
    }
    if (!have) {
      if (engine::now_ns() < retry_at_ns) continue;
      try {
        activate();
        std::lock_guard g(mu_);
        failing_ = false;
      } catch (const Error& e) {
        std::lock_guard g(mu_);
        note_error(e.what());
        retry_at_ns = engine::now_ns() + 1'000'000'000;  // a failing target: once a second
      }
      continue;
    }
    std::lock_guard g(mu_);
    if (have_generation_) step(true);
  }
}

ReplicatorStatus Replicator::status() const noexcept {
  ReplicatorStatus s;
  s.active = st_active_.load(std::memory_order_acquire);
  s.shipped_txid = st_txid_.load(std::memory_order_relaxed);
  s.last_ship_unix_ms = st_ship_ms_.load(std::memory_order_relaxed);
  s.segments = st_segments_.load(std::memory_order_relaxed);
  s.bytes = st_bytes_.load(std::memory_order_relaxed);
  s.generations = st_generations_.load(std::memory_order_relaxed);
  s.errors = st_errors_.load(std::memory_order_relaxed);
  s.pending_frames = st_pending_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sluice::backup

namespace sluice::backup {

void Replicator::report(Stats& s) const noexcept {
  const ReplicatorStatus r = status();
  s.replica_active = r.active;
  s.replica_shipped_txid = r.shipped_txid;
  const std::int64_t since = unix_ms() - r.last_ship_unix_ms;
  s.replica_lag_ms =
      r.active && r.last_ship_unix_ms > 0 && since > 0 ? static_cast<std::uint64_t>(since) : 0;
  s.replica_pending_frames = r.pending_frames;
  s.replica_segments = r.segments;
  s.replica_bytes = r.bytes;
  s.replica_generations = r.generations;
  s.replica_errors = r.errors;
}

}  // namespace sluice::backup
