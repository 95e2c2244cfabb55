// Snapshot epochs: what a pooled reader needs to know to keep a snapshot without breaking
// read-your-writes.
//
// Every group commit of any Database in this process bumps one process-wide epoch after its
// COMMIT returns and before its callers are woken. A caller whose write was acknowledged
// records the epoch it then sees (note_write_acked, in Database::write/execute and
// Pending::get). A read transaction begun at epoch E sees every commit of epoch <= E. So a pooled
// snapshot begun at E may serve a thread whose last acknowledged write is at epoch W only when
// E >= W. One counter for every Database of the process: a write to one database may refresh a
// snapshot of another unnecessarily, never the other way round.
//
// Thread-safety: lock-free; the per-thread epoch is thread_local.
#pragma once

#include <cstdint>

namespace sluice::engine {

// Writer, after each COMMIT, before waking the batch's callers.
void bump_commit_epoch() noexcept;
// The epoch now (acquire): every commit counted in it is visible to a read begun after.
std::uint64_t commit_epoch() noexcept;
// The epoch the calling thread last saw one of its writes acknowledged at (0 = never).
std::uint64_t thread_write_epoch() noexcept;

}  // namespace sluice::engine
