#include "engine/ring_jobs.h"

#include "sluice/transaction.h"

namespace sluice::engine {

void RingJob::invoke(Job* j, Transaction& tx) {
  auto* self = static_cast<RingJob*>(j);
  const coord::DecodedJob job = self->ring->job(self->slot);
  self->changes = tx.exec_values(job.sql, job.params);
  self->last_insert_rowid = tx.last_insert_rowid();
}

void record_ring_outcome(RingJob& job, const std::exception_ptr& error) noexcept {
  if (!error) {
    job.ring->succeed(job.slot, job.changes, job.last_insert_rowid);
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    job.ring->fail(job.slot, e);
  } catch (...) {
    job.ring->fail(job.slot, Error(ErrorCode::Internal, "ring job failed without an Error"));
  }
}

}  // namespace sluice::engine
