#include "coord/job_ring.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "coord/liveness.h"
#include "coord/side_file_layout.h"
#include "engine/clock.h"
#include "engine/futex.h"

namespace sluice::coord {
namespace {

constexpr std::uint32_t kStateMask = 0xff;

std::uint32_t word(RingState state, std::uint32_t owner) noexcept { return state | (owner << 8); }
RingState state_of(std::uint32_t w) noexcept { return static_cast<RingState>(w & kStateMask); }
std::uint32_t owner_of(std::uint32_t w) noexcept { return w >> 8; }

// Moves a slot from `from` to `to`, keeping its owner bits. False when it was not in `from`.
bool transition(RingSlot& r, RingState from, RingState to) noexcept {
  std::uint32_t w = r.h.state.load(std::memory_order_acquire);
  if (state_of(w) != from) return false;
  return r.h.state.compare_exchange_strong(w, to == kFree ? 0 : word(to, owner_of(w)),
                                           std::memory_order_acq_rel);
}

}  // namespace

std::size_t JobRing::job_capacity() noexcept { return kJobBytes; }

int JobRing::publish(std::string_view sql, const std::vector<Value>& params) {
  checked_job_bytes(sql, params, kJobBytes);
  ProcessSlot* me = side_.slot();
  if (me == nullptr) return -1;
  SideLayout& l = side_.layout();
  const auto owner = static_cast<std::uint32_t>(me - l.slots);
  // Start where this process's index points, so processes rarely race for the same slot.
  const int start = static_cast<int>(owner * 7 % kRingSlots);
  for (int k = 0; k < kRingSlots; ++k) {
    const int i = (start + k) % kRingSlots;
    RingSlot& r = l.ring_slots[i];
    std::uint32_t expected = 0;
    if (r.h.state.load(std::memory_order_relaxed) != 0 ||
        !r.h.state.compare_exchange_strong(expected, word(kFilling, owner),
                                           std::memory_order_acq_rel)) {
      continue;
    }
    r.h.job_bytes = static_cast<std::uint32_t>(encode_job(sql, params, r.job));
    r.h.owner_pid.store(getpid(), std::memory_order_relaxed);
    r.h.taker_pid.store(0, std::memory_order_relaxed);
    r.h.batch.store(0, std::memory_order_relaxed);
    r.h.requeues = 0;
    r.h.ticket.store(l.ring.next_ticket.fetch_add(1, std::memory_order_relaxed),
                     std::memory_order_relaxed);
    me->ring_depth.fetch_add(1, std::memory_order_relaxed);
    me->ring_jobs_submitted.fetch_add(1, std::memory_order_relaxed);
    // The one publishing store; seq_cst so that a writer-lock holder that releases the lock and
    // then looks at the ring (seq_cst) either sees this job or is seen holding the lock.
    r.h.state.store(word(kPublished, owner), std::memory_order_seq_cst);
    return i;
  }
  return -1;
}

bool JobRing::wait(int slot, std::int64_t deadline_ns) noexcept {
  const RingSlot& r = side_.layout().ring_slots[slot];
  std::atomic<std::uint32_t>& wake = side_.slot()->ring_wake;
  for (;;) {
    const std::uint32_t seen = wake.load(std::memory_order_acquire);
    if (state_of(r.h.state.load(std::memory_order_acquire)) == kDone) return true;
    const std::int64_t left = deadline_ns - engine::now_ns();
    if (left <= 0) return false;
    engine::futex::wait_shared(wake, seen, left);
  }
}

bool JobRing::withdraw(int slot) noexcept {
  if (!transition(side_.layout().ring_slots[slot], kPublished, kFree)) return false;
  side_.slot()->ring_depth.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool JobRing::orphaned(int slot) const noexcept {
  const RingSlot& r = side_.layout().ring_slots[slot];
  if (state_of(r.h.state.load(std::memory_order_acquire)) != kTaken) return false;
  const std::int32_t taker = r.h.taker_pid.load(std::memory_order_relaxed);
  return taker != 0 && !process_alive(taker, 0);
}

RingOutcome JobRing::collect(int slot) noexcept {
  RingSlot& r = side_.layout().ring_slots[slot];
  RingOutcome out;
  out.ok = r.h.error_code < 0;
  out.changes = r.h.changes;
  out.last_insert_rowid = r.h.last_insert_rowid;
  if (!out.ok) {
    out.code = static_cast<ErrorCode>(r.h.error_code);
    out.sqlite_code = r.h.sqlite_code;
    out.message.assign(r.h.message, strnlen(r.h.message, sizeof r.h.message));
  }
  side_.slot()->ring_depth.fetch_sub(1, std::memory_order_relaxed);
  r.h.state.store(0, std::memory_order_release);
  return out;
}

std::int32_t JobRing::taker(int slot) const noexcept {
  return side_.layout().ring_slots[slot].h.taker_pid.load(std::memory_order_relaxed);
}

bool JobRing::has_work() const noexcept {
  return std::ranges::any_of(side_.layout().ring_slots, [](const RingSlot& r) {
    return state_of(r.h.state.load(std::memory_order_seq_cst)) == kPublished;
  });
}

bool JobRing::has_orphans() const noexcept {
  for (int i = 0; i < kRingSlots; ++i) {
    if (orphaned(i)) return true;
  }
  return false;
}

bool JobRing::any_taken() const noexcept {
  return std::ranges::any_of(side_.layout().ring_slots, [](const RingSlot& r) {
    return state_of(r.h.state.load(std::memory_order_acquire)) == kTaken;
  });
}

int JobRing::recover(std::uint64_t committed_batch) noexcept {
  SideLayout& l = side_.layout();
  int decided[kRingSlots];
  std::size_t n = 0;
  int recovered = 0;
  for (int i = 0; i < kRingSlots; ++i) {
    RingSlot& r = l.ring_slots[i];
    const std::uint32_t w = r.h.state.load(std::memory_order_acquire);
    if (state_of(w) != kTaken) continue;
    // Under the writer lock every TAKEN job is an orphan (leaders publish before releasing it);
    // a live taker other than this process would break that rule: leave its jobs alone.
    const std::int32_t taker = r.h.taker_pid.load(std::memory_order_relaxed);
    if (taker != 0 && taker != getpid() && process_alive(taker, 0)) continue;
    ++recovered;
    r.h.taker_pid.store(0, std::memory_order_relaxed);
    if (committed_batch != 0 && r.h.batch.load(std::memory_order_relaxed) == committed_batch) {
      decided[n++] = i;  // committed: the outcome written before COMMIT stands
    } else if (r.h.requeues == 0) {
      r.h.requeues = 1;
      r.h.state.store(word(kPublished, owner_of(w)), std::memory_order_seq_cst);
    } else {
      fail(i, Error(ErrorCode::NotCommitted,
                    "the writers of two Sluice processes that took this job died before "
                    "committing it; nothing of it was committed: retry"));
      decided[n++] = i;
    }
  }
  if (n != 0) finish(std::span<const int>(decided, n));
  l.ring.recoveries.fetch_add(static_cast<std::uint64_t>(recovered), std::memory_order_relaxed);
  return recovered;
}

std::size_t JobRing::take(std::size_t max_jobs, std::size_t per_process, std::uint64_t batch,
                          std::vector<int>& out) {
  SideLayout& l = side_.layout();
  struct Candidate {
    std::uint64_t ticket;
    int slot;
    std::uint32_t owner;
  };
  Candidate found[kRingSlots];
  std::size_t n = 0;
  for (int i = 0; i < kRingSlots; ++i) {
    const std::uint32_t w = l.ring_slots[i].h.state.load(std::memory_order_acquire);
    if (state_of(w) != kPublished) continue;
    found[n++] = {l.ring_slots[i].h.ticket.load(std::memory_order_relaxed), i, owner_of(w)};
  }
  std::sort(found, found + n,
            [](const Candidate& a, const Candidate& b) { return a.ticket < b.ticket; });
  std::uint16_t per_owner[kMaxSlots] = {};
  const pid_t me = getpid();
  std::size_t taken = 0;
  for (std::size_t k = 0; k < n && taken < max_jobs; ++k) {
    const Candidate& c = found[k];
    if (c.owner >= static_cast<std::uint32_t>(kMaxSlots) || per_owner[c.owner] >= per_process) {
      continue;
    }
    RingSlot& r = l.ring_slots[c.slot];
    if (!transition(r, kPublished, kTaken)) continue;  // withdrawn meanwhile
    r.h.taker_pid.store(me, std::memory_order_relaxed);
    r.h.batch.store(batch, std::memory_order_relaxed);
    ++per_owner[c.owner];
    out.push_back(c.slot);
    ++taken;
  }
  return taken;
}

DecodedJob JobRing::job(int slot) const {
  const RingSlot& r = side_.layout().ring_slots[slot];
  return decode_job(
      std::span<const std::uint8_t>(r.job, std::min<std::size_t>(r.h.job_bytes, kJobBytes)));
}

bool JobRing::own(int slot) const noexcept {
  const ProcessSlot* me = side_.slot();
  if (me == nullptr) return false;
  const std::uint32_t w = side_.layout().ring_slots[slot].h.state.load(std::memory_order_relaxed);
  return owner_of(w) == static_cast<std::uint32_t>(me - side_.layout().slots);
}

void JobRing::succeed(int slot, std::int64_t changes, std::int64_t last_insert_rowid) noexcept {
  RingSlot& r = side_.layout().ring_slots[slot];
  r.h.error_code = -1;
  r.h.sqlite_code = 0;
  r.h.changes = changes;
  r.h.last_insert_rowid = last_insert_rowid;
  r.h.message[0] = '\0';
}

void JobRing::fail(int slot, const Error& error) noexcept {
  RingSlot& r = side_.layout().ring_slots[slot];
  r.h.error_code = static_cast<std::int32_t>(error.code());
  r.h.sqlite_code = error.sqlite_code();
  r.h.changes = 0;
  r.h.last_insert_rowid = 0;
  const std::size_t n = std::min(std::strlen(error.what()), sizeof r.h.message - 1);
  std::memcpy(r.h.message, error.what(), n);
  r.h.message[n] = '\0';
}

void JobRing::finish(std::span<const int> slots) noexcept {
  SideLayout& l = side_.layout();
  const ProcessSlot* me = side_.slot();
  bool wake[kMaxSlots] = {};
  std::uint64_t for_others = 0;
  for (int i : slots) {
    RingSlot& r = l.ring_slots[i];
    const std::uint32_t owner = owner_of(r.h.state.load(std::memory_order_relaxed));
    r.h.taker_pid.store(0, std::memory_order_relaxed);
    r.h.state.store(word(kDone, owner), std::memory_order_release);
    if (owner < static_cast<std::uint32_t>(kMaxSlots)) {
      wake[owner] = true;
      if (&l.slots[owner] != me) ++for_others;
    }
  }
  l.ring.jobs_run.fetch_add(slots.size(), std::memory_order_relaxed);
  if (me != nullptr && for_others != 0) {
    side_.slot()->ring_jobs_for_others.fetch_add(for_others, std::memory_order_relaxed);
  }
  for (int o = 0; o < kMaxSlots; ++o) {
    if (!wake[o]) continue;
    l.slots[o].ring_wake.fetch_add(1, std::memory_order_release);
    engine::futex::wake_shared(l.slots[o].ring_wake, INT_MAX);
  }
}

void reap_orphaned_ring_jobs(SideLayout& l) noexcept {
  for (RingSlot& r : l.ring_slots) {
    const std::uint32_t w = r.h.state.load(std::memory_order_acquire);
    const std::uint32_t owner = owner_of(w);
    if (w == 0 || owner >= static_cast<std::uint32_t>(kMaxSlots)) continue;
    const std::int32_t pid = l.slots[owner].pid.load(std::memory_order_acquire);
    // FILLING: owner_pid may not be written yet, so only a freed owner slot proves it gone.
    const bool gone = state_of(w) == kFilling ? pid == 0
                      : state_of(w) == kDone  ? pid != r.h.owner_pid.load(std::memory_order_relaxed)
                                              : false;
    if (!gone) continue;
    std::uint32_t expected = w;
    r.h.state.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
  }
}

}  // namespace sluice::coord
