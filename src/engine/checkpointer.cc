#include "engine/checkpointer.h"

#include <pthread.h>

#include "engine/checkpoint.h"

namespace sluice::engine {

Checkpointer::Checkpointer(const Config& config, EngineMetrics& metrics)
    : config_(config),
      metrics_(metrics),
      threshold_(static_cast<std::uint64_t>(config.checkpoint_pages)) {
  OpenOptions options;
  options.mode = OpenOptions::Mode::ReadWrite;
  options.vfs = config.vfs;
  conn_.emplace(Connection::open(config.path, options));
  conn_->pragma("wal_autocheckpoint=0");
  conn_->pragma("synchronous=" + std::to_string(static_cast<int>(config.synchronous)));
}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::start() {
  thread_ = std::thread([this] { run(); });
}

void Checkpointer::stop() noexcept {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  conn_.reset();
}

void Checkpointer::note_wal_frames(std::uint64_t frames) noexcept {
  frames_.store(frames, std::memory_order_relaxed);
  // While the writer's tail is pending, a bulk checkpoint would hold SQLite's checkpoint lock
  // and make the tail fail with SQLITE_BUSY: the WAL would never restart.
  if (frames < threshold_.load(std::memory_order_relaxed) ||
      tail_wanted_.load(std::memory_order_acquire)) {
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (wanted_) return;
    wanted_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::run() noexcept {
  pthread_setname_np(pthread_self(), "sluice-ckpt");
  const auto pages = static_cast<std::uint64_t>(config_.checkpoint_pages);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || wanted_; });
      if (stop_) return;
      wanted_ = false;
    }
    try {
      CheckpointResult r =
          run_checkpoint(*conn_, CheckpointMode::Passive, config_.busy_timeout_ms, metrics_);
      const bool complete = !r.busy;
      // Complete: start again at checkpoint_pages (the writer restarts the WAL from its
      // beginning). Readers pinned part of it: wait for it to grow by another half.
      threshold_.store(complete ? pages : static_cast<std::uint64_t>(r.wal_frames) + pages / 2,
                       std::memory_order_relaxed);
      tail_wanted_.store(true, std::memory_order_release);
    } catch (const Error&) {
      // A failed PASSIVE checkpoint loses nothing; try again after more growth.
      threshold_.store(frames_.load(std::memory_order_relaxed) + pages / 2,
                       std::memory_order_relaxed);
    }
  }
}

}  // namespace sluice::engine
