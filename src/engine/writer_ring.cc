// Writer: the shared job ring's part of a batch (ring_jobs.h, coord/job_ring.h).
#include <algorithm>

#include "engine/clock.h"
#include "engine/crash_points.h"
#include "engine/writer.h"

namespace sluice::engine {
namespace {

// The batch table: one row, the number of the last committed batch that ran ring jobs. It lives
// in the user's database so that its value commits (or not) with the batch: the next writer-lock
// holder after a leader's death reads it to decide that leader's jobs (JobRing::recover).
constexpr std::string_view kCreateBatchTable =
    "CREATE TABLE IF NOT EXISTS sluice_ring_batch(id INTEGER PRIMARY KEY CHECK (id = 1), "
    "batch INTEGER NOT NULL)";
constexpr std::string_view kReadBatch = "SELECT batch FROM sluice_ring_batch WHERE id = 1";
constexpr std::string_view kWriteBatch =
    "INSERT OR REPLACE INTO sluice_ring_batch(id, batch) VALUES (1, ?)";

}  // namespace

bool Writer::complete_drives() noexcept {
  // Cleared before the caller looks at the ring (seq_cst, as claim_drive after a publish): a
  // submitter either sees it cleared and queues a drive, or its job is seen by has_work().
  drive_pending_.store(false, std::memory_order_seq_cst);
  bool any = false;
  std::erase_if(batch_, [&](detail::Job* job) {
    if (!is_ring_drive(*job)) return false;
    any = true;
    std::shared_ptr<void> keep = std::move(job->keepalive);
    detail::Completion::publish(*job);  // its caller waits on the ring, not on this
    return true;
  });
  if (any) completion_.wake_all();
  return any;
}

std::uint64_t Writer::begin_ring_batch() {
  if (!ring_->any_taken() && !ring_->has_work()) return 0;
  conn_.cached(kCreateBatchTable).run();
  Statement& read = conn_.cached(kReadBatch);
  const std::uint64_t committed =
      read.step() ? static_cast<std::uint64_t>(read.column_int64(0)) : 0;
  read.reset();
  // No commit of this process comes before this: a TAKEN job's batch is the committed one
  // exactly when its leader's COMMIT happened.
  ring_->recover(committed);
  const std::uint64_t batch = committed + 1;
  if (take_ring_jobs(batch, nullptr) == 0) return 0;
  crash_point(CrashPoint::RingTaken);
  return batch;
}

std::size_t Writer::take_ring_jobs(std::uint64_t batch, const std::exception_ptr& error) {
  ring_taken_.clear();
  ring_->take(static_cast<std::size_t>(config_.max_batch_jobs), kRingPerProcessCap, batch,
              ring_taken_);
  const std::int64_t now = now_ns();
  for (std::size_t k = 0; k < ring_taken_.size(); ++k) {
    RingJob& job = ring_jobs_[k];
    job.ring = ring_;
    job.slot = ring_taken_[k];
    job.enqueued_ns = now;
    job.deadline_ns = INT64_MAX;  // the submitter withdraws a job whose deadline passed first
    job.error = nullptr;
    batch_.push_back(&job);
    outcome_.push_back(error);
  }
  return ring_taken_.size();
}

void Writer::seal_ring_batch() {
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (batch_[i] != nullptr && is_ring_job(*batch_[i])) {
      record_ring_outcome(static_cast<RingJob&>(*batch_[i]), outcome_[i]);
    }
  }
  Statement& write = conn_.cached(kWriteBatch);
  write.bind(1, static_cast<std::int64_t>(ring_batch_));
  write.run();
}

bool Writer::finish_ring() noexcept {
  if (ring_ == nullptr) return false;
  ring_done_.clear();
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (batch_[i] == nullptr || !is_ring_job(*batch_[i])) continue;
    auto& job = static_cast<RingJob&>(*batch_[i]);
    record_ring_outcome(job, outcome_[i]);  // final: COMMIT may have failed since seal
    if (!outcome_[i]) count_ack();
    if (!ring_->own(job.slot)) EngineMetrics::bump(metrics_.ring_jobs_for_others);
    ring_done_.push_back(job.slot);
    batch_[i] = nullptr;
  }
  if (ring_done_.empty()) return false;
  const std::size_t half = ring_done_.size() / 2;
  ring_->finish(std::span<const int>(ring_done_.data(), half));
  try {
    crash_point(CrashPoint::RingPublishing);
  } catch (...) {
    // Only a test's bad_alloc action lands here; the outcomes are published all the same.
  }
  ring_->finish(std::span<const int>(ring_done_.data() + half, ring_done_.size() - half));
  ring_done_.clear();
  return true;
}

}  // namespace sluice::engine
