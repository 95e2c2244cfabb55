// Replicator: ships a database's committed WAL frames to a ReplicaTarget (Config::replica) as a
// generation — a snapshot, then segments — and keeps the checkpointer from restarting the WAL
// over frames not yet shipped (engine/wal_shipping.h explains how).
//
// Its thread wakes every replica_interval_ms. While this process's checkpointer holds the lease
// (`active`), it: starts (or, after a takeover, resumes) a generation — under the writer lock it
// takes a read transaction and finds the WAL position of that snapshot, then copies the
// snapshot outside the lock; then, each wake-up, takes a new read transaction, ships every
// committed frame up to at least it, and ends the older read transaction. When the lease is
// lost it lets go of everything; the process that takes the lease resumes the generation if
// the WAL still continues it (same salts, same checksum at the last shipped frame) — shipping
// the dead holder's unshipped frames at once, under the writer lock, before a commit can restart
// the WAL over them — else starts a new one. Stats' shipped txid moves once a ship's position
// record is written (what a takeover resumes from). When the target fails it keeps its read
// transaction (nothing unshipped is lost) up to replica_max_hold_pages, reports the error in Stats
// and on stderr, then releases the WAL and starts a new generation once the target works again.
//
// Thread-safety: the WalShipping calls come from the checkpointer thread, status() from any
// thread; start()/stop() from the owner. Internal state is guarded by mu_. Lock order: the
// writer lock before mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "backup/generation.h"
#include "coord/writer_lock.h"
#include "engine/wal_shipping.h"
#include "sluice/config.h"
#include "sluice/connection.h"
#include "sluice/replica.h"
#include "sluice/stats.h"

namespace sluice::backup {

// What Stats reports (all relaxed atomics: a snapshot for monitoring).
struct ReplicatorStatus {
  bool active = false;
  std::uint64_t shipped_txid = 0;
  std::int64_t last_ship_unix_ms = 0;  // last time everything committed was shipped
  std::uint64_t segments = 0;          // shipped by this process
  std::uint64_t bytes = 0;             // shipped by this process
  std::uint64_t generations = 0;       // started by this process
  std::uint64_t errors = 0;
  std::uint64_t pending_frames = 0;  // committed frames not yet shipped, at the last look
};

class Replicator final : public engine::WalShipping {
 public:
  // `active` says whether this process holds the checkpointer lease.
  Replicator(const Config& config, std::unique_ptr<ReplicaTarget> target, coord::WriterLock& lock,
             std::function<bool()> active);
  ~Replicator() override;  // stop()

  void start();
  // Ships what is committed (if this process was shipping), ends its read transactions and
  // stops the thread. Idempotent; never throws.
  void stop() noexcept;

  void before_checkpoint() noexcept override;
  bool begin_tail() noexcept override;
  void end_tail() noexcept override;

  ReplicatorStatus status() const noexcept;
  // Fills Stats::replica_*.
  void report(Stats& s) const noexcept;

  // Bytes of WAL read into one segment at most (a larger transaction makes a larger segment).
  static constexpr std::size_t kSegmentBytes = 16u << 20;

 private:
  void run() noexcept;
  void activate();  // under the writer lock: resume or a new generation
  void new_generation(const WalHeader* wal, const WalPosition& at);  // REQUIRES: mu_
  bool step(bool rotate) noexcept;  // REQUIRES: mu_. Ship (+ move the read transaction)
  void ship();                      // REQUIRES: mu_. Throws on target/WAL errors
  void pin(int index);              // REQUIRES: mu_
  void unpin_all() noexcept;        // REQUIRES: mu_
  void deactivate() noexcept;       // REQUIRES: mu_
  void note_error(const std::string& what) noexcept;  // REQUIRES: mu_
  std::optional<WalHeader> read_wal_header(int fd);
  std::uint64_t wal_frames_on_disk(const WalHeader& wal) const noexcept;

  // Constant after construction.
  const Config config_;
  const std::string wal_path_;
  std::unique_ptr<ReplicaTarget> target_;
  coord::WriterLock& lock_;
  const std::function<bool()> active_;

  // Guarded by mu_.
  std::mutex mu_;
  std::optional<Connection> pins_[2];
  int held_ = -1;         // index of the pin holding a read transaction, -1 none
  bool in_tail_ = false;  // begin_tail() returned true; end_tail() unlocks mu_
  bool have_generation_ = false;
  std::string generation_;        // "generations/<id>"
  WalPosition position_;          // after the last frame shipped
  std::uint64_t seq_ = 0;         // last segment written
  std::uint64_t txid_ = 0;        // last txid shipped
  std::string wal_header_bytes_;  // the last read_wal_header()'s
  const unsigned char* header_bytes() const noexcept {
    return reinterpret_cast<const unsigned char*>(wal_header_bytes_.data());
  }
  bool failing_ = false;
  std::uint64_t next_txid_hint_ = 0;  // newest txid in the target when this process began

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by wake_mu_
  std::thread thread_;

  // Published for status().
  std::atomic<bool> st_active_{false};
  std::atomic<std::uint64_t> st_txid_{0}, st_segments_{0}, st_bytes_{0}, st_generations_{0},
      st_errors_{0}, st_pending_{0};
  std::atomic<std::int64_t> st_ship_ms_{0};
};

}  // namespace sluice::backup
