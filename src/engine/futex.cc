#include "engine/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::engine::futex {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex words must be plain 32-bit atomics");

namespace {

bool wait_op(int op, std::atomic<std::uint32_t>& word, std::uint32_t expected,
             std::int64_t timeout_ns) noexcept {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    tsp = &ts;
  }
  long rc =
      syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, expected, tsp, nullptr, 0);
  return !(rc == -1 && errno == ETIMEDOUT);
}

void wake_op(int op, std::atomic<std::uint32_t>& word, int count) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, count, nullptr, nullptr, 0);
}

}  // namespace

bool wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
          std::int64_t timeout_ns) noexcept {
  return wait_op(FUTEX_WAIT_PRIVATE, word, expected, timeout_ns);
}

void wake(std::atomic<std::uint32_t>& word, int count) noexcept {
  wake_op(FUTEX_WAKE_PRIVATE, word, count);
}

bool wait_shared(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                 std::int64_t timeout_ns) noexcept {
  return wait_op(FUTEX_WAIT, word, expected, timeout_ns);
}

void wake_shared(std::atomic<std::uint32_t>& word, int count) noexcept {
  wake_op(FUTEX_WAKE, word, count);
}

}  // namespace sluice::engine::futex
