// JobRing: group commit across processes for declarative writes. A process puts a job's SQL text
// and typed parameters (job_codec.h) into a slot of the side file's ring and publishes it with
// one atomic store; whichever process holds the writer lock takes the published jobs of every
// process into its own group-commit transaction, writes each job's outcome back into its slot
// and wakes the submitting threads with one process-shared futex wake per process.
//
// Slot states (side_file_layout.h): FREE -> FILLING -> PUBLISHED -> TAKEN -> DONE -> FREE, the
// owner's ProcessSlot index packed into the same word, so claiming a slot and naming its owner
// is one compare-exchange. Every transition is a compare-exchange or a release store by the one
// party the state names (submitter: FILLING, DONE; leader: TAKEN), so the plain bytes of a slot
// (job, outcome) always have one writer.
//
// Fairness: a leader takes the oldest tickets first (publication order across processes), at
// most `per_process` jobs of any one process per batch.
//
// A process that published a job and then died leaves a job that may still run and commit (as a
// client that disconnects after sending); its DONE slot is freed by the next reap (reap_dead).
//
// Thread-safety: every member may be called from any thread of any attached process; take(),
// succeed(), fail() and finish() only by the writer-lock holder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coord/job_codec.h"
#include "coord/side_file.h"
#include "sluice/error.h"
#include "sluice/value.h"

namespace sluice::coord {

// What a ring job did, as its submitter reads it back.
struct RingOutcome {
  bool ok = false;
  std::int64_t changes = 0;
  std::int64_t last_insert_rowid = 0;
  ErrorCode code = ErrorCode::Internal;  // when !ok
  int sqlite_code = 0;                   // when !ok
  std::string message;                   // when !ok (truncated to the slot's message field)
};

class JobRing {
 public:
  explicit JobRing(SideFile& side) noexcept : side_(side) {}

  // Largest encoded job a slot holds (bytes).
  static std::size_t job_capacity() noexcept;

  // ---- Submitter ----
  // Encodes and publishes the job; returns its slot. Returns -1 when the ring cannot take it
  // now (every slot in use, or this Database has no slot in the side file): run it in this
  // process's own turn. Throws Error(InvalidArgument) naming the size and job_capacity() when
  // it does not fit (nothing is claimed).
  int publish(std::string_view sql, const std::vector<Value>& params);

  // Sleeps on this process's wake word until the job is DONE (true) or deadline_ns passes
  // (steady clock; false).
  bool wait(int slot, std::int64_t deadline_ns) noexcept;
  // Frees a job no leader has taken yet: true when it was withdrawn (it will never run); false
  // when a leader took it (its outcome comes) or it is done.
  bool withdraw(int slot) noexcept;
  // True when a leader that took the job has died without publishing its outcome: the next
  // writer-lock holder decides it (recover()).
  bool orphaned(int slot) const noexcept;
  // Reads a DONE job's outcome and frees its slot.
  RingOutcome collect(int slot) noexcept;
  // The pid of the leader running a TAKEN job (0 when none).
  std::int32_t taker(int slot) const noexcept;

  // ---- Writer-lock holder ----
  // True when some job is PUBLISHED, or taken by a leader that died (orphaned).
  bool has_work() const noexcept;
  bool has_orphans() const noexcept;
  // True when some job is TAKEN (by anyone).
  bool any_taken() const noexcept;

  // Leader death. Every transaction that runs ring jobs also writes its batch number (the
  // database's last committed batch number + 1) into a one-row table, and each job's outcome is
  // in its slot before COMMIT. A leader publishes every outcome before it releases the writer
  // lock, so a job still TAKEN when another process holds the lock belongs to a leader that
  // died; the new holder, inside its transaction and before any commit of its own, calls
  // recover() with the batch number it reads from the database:
  //   the job's batch is the committed one -> its outcome stands: DONE;
  //   not committed, first time             -> PUBLISHED again (keeps its place in line);
  //   not committed, second time            -> DONE with NotCommitted (safe to retry).
  // Returns how many jobs it recovered.
  int recover(std::uint64_t committed_batch) noexcept;
  // Takes up to max_jobs PUBLISHED jobs, oldest first, at most per_process of any one process,
  // for batch `batch` (RingBatch); appends their slots to `out`. Returns how many it took.
  std::size_t take(std::size_t max_jobs, std::size_t per_process, std::uint64_t batch,
                   std::vector<int>& out);
  // The taken job of `slot`. Throws Error(Internal) for a malformed slot.
  DecodedJob job(int slot) const;
  // Whether the job of `slot` was published by this Database.
  bool own(int slot) const noexcept;
  // Record the outcome of a taken job (provisional until finish()).
  void succeed(int slot, std::int64_t changes, std::int64_t last_insert_rowid) noexcept;
  void fail(int slot, const Error& error) noexcept;
  // Publishes the outcomes of `slots` (DONE) and wakes each submitting process once. The leader
  // calls it before releasing the writer lock (see recover()).
  void finish(std::span<const int> slots) noexcept;

 private:
  SideFile& side_;
};

struct SideLayout;
// Frees slots whose submitter is gone (claimed but never published, or done and never
// collected). Called by SideFile::reap_dead.
void reap_orphaned_ring_jobs(SideLayout& layout) noexcept;

}  // namespace sluice::coord
