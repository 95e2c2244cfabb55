#include "coord/checkpoint_lease.h"

#include <unistd.h>

#include <climits>

#include "coord/robust_mutex.h"
#include "coord/side_file_layout.h"
#include "engine/futex.h"

namespace sluice::coord {

CheckpointLease::CheckpointLease(SideFile& side) noexcept : side_(side) {}

CheckpointLease::Take CheckpointLease::take(std::int64_t deadline_ns) {
  SideLayout& l = side_.layout();
  const LockResult r = lock_robust_mutex(l.checkpoint_lease, deadline_ns);
  if (r == LockResult::TimedOut) return Take::TimedOut;
  if (r == LockResult::AcquiredOwnerDied) {
    l.checkpoint.lease_takeovers.fetch_add(1, std::memory_order_relaxed);
  }
  l.lease_pid.store(getpid(), std::memory_order_relaxed);
  if (ProcessSlot* s = side_.slot()) s->is_checkpointer.store(1, std::memory_order_relaxed);
  return r == LockResult::AcquiredOwnerDied ? Take::TakenOver : Take::Held;
}

void CheckpointLease::release() noexcept {
  SideLayout& l = side_.layout();
  if (ProcessSlot* s = side_.slot()) s->is_checkpointer.store(0, std::memory_order_relaxed);
  l.lease_pid.store(0, std::memory_order_relaxed);
  unlock_robust_mutex(l.checkpoint_lease);
}

void CheckpointLease::note_wal_frames(std::uint64_t frames,
                                      std::uint64_t default_threshold) noexcept {
  CheckpointState& s = side_.layout().checkpoint;
  s.wal_frames.store(frames, std::memory_order_seq_cst);
  if (frames < threshold(default_threshold) || s.wanted.load(std::memory_order_seq_cst) != 0 ||
      s.wanted.exchange(1, std::memory_order_seq_cst) != 0) {
    return;
  }
  s.signal.fetch_add(1, std::memory_order_release);
  engine::futex::wake_shared(s.signal, 1);
}

std::uint64_t CheckpointLease::wal_frames() const noexcept {
  return side_.layout().checkpoint.wal_frames.load(std::memory_order_seq_cst);
}

std::uint64_t CheckpointLease::threshold(std::uint64_t default_threshold) const noexcept {
  const std::uint64_t t = side_.layout().checkpoint.threshold.load(std::memory_order_relaxed);
  return t != 0 ? t : default_threshold;
}

void CheckpointLease::set_threshold(std::uint64_t frames) noexcept {
  side_.layout().checkpoint.threshold.store(frames, std::memory_order_relaxed);
}

std::uint32_t CheckpointLease::signal() const noexcept {
  return side_.layout().checkpoint.signal.load(std::memory_order_acquire);
}

void CheckpointLease::clear_request() noexcept {
  side_.layout().checkpoint.wanted.store(0, std::memory_order_seq_cst);
}

bool CheckpointLease::wait_for_signal(std::uint32_t seen, std::int64_t timeout_ns) noexcept {
  return engine::futex::wait_shared(side_.layout().checkpoint.signal, seen, timeout_ns);
}

void CheckpointLease::wake_all() noexcept {
  CheckpointState& s = side_.layout().checkpoint;
  s.signal.fetch_add(1, std::memory_order_release);
  engine::futex::wake_shared(s.signal, INT_MAX);
}

void CheckpointLease::count_checkpoint() noexcept {
  side_.layout().checkpoint.checkpoints.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sluice::coord
