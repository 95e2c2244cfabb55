#include "engine/snapshot_epoch.h"

#include <atomic>

#include "sluice/detail/job.h"

namespace sluice::engine {
namespace {

std::atomic<std::uint64_t> g_epoch{1};
thread_local std::uint64_t t_write_epoch = 0;

}  // namespace

void bump_commit_epoch() noexcept { g_epoch.fetch_add(1, std::memory_order_release); }

std::uint64_t commit_epoch() noexcept { return g_epoch.load(std::memory_order_acquire); }

std::uint64_t thread_write_epoch() noexcept { return t_write_epoch; }

}  // namespace sluice::engine

namespace sluice::detail {

void note_write_acked() noexcept {
  // The caller was woken after the writer bumped the epoch for its batch (the completion's
  // release/acquire orders it), so this load is at least that batch's epoch.
  engine::t_write_epoch = engine::commit_epoch();
}

}  // namespace sluice::detail
