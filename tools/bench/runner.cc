#include "bench/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "sluice/error.h"

namespace sluice::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One per worker thread, written only by it. Aligned so that neighbouring workers' vector ends
// (written on every operation) never share a cache line.
struct alignas(128) WorkerLog {
  std::vector<std::uint32_t> read_us;
  std::vector<std::uint32_t> write_us;
  std::map<std::string, std::int64_t> errors;
  std::int64_t read_errors = 0;
  std::int64_t write_errors = 0;
};

Latency summarize(std::vector<std::uint32_t>& us) {
  Latency l;
  l.count = static_cast<std::int64_t>(us.size());
  if (us.empty()) return l;
  std::sort(us.begin(), us.end());
  // Nearest rank, in integers so 0.99 * n has no rounding error: the smallest sample with at
  // least num/den of all samples at or below it.
  auto at = [&](std::size_t num, std::size_t den) {
    std::size_t rank = (num * us.size() + den - 1) / den;
    return static_cast<double>(us[std::clamp<std::size_t>(rank, 1, us.size()) - 1]) / 1000.0;
  };
  l.p50_ms = at(50, 100);
  l.p99_ms = at(99, 100);
  l.p999_ms = at(999, 1000);
  l.max_ms = static_cast<double>(us.back()) / 1000.0;
  return l;
}

}  // namespace

std::int64_t PointResult::error_count() const {
  std::int64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

PointResult run_point(Driver& driver, const BlogWorkload& workload, Phase phase, Mode mode,
                      int workers, std::uint64_t seed) {
  const std::int64_t total = workload.total_ops(phase);
  std::vector<std::unique_ptr<Worker>> handles;
  for (int w = 0; w < workers; ++w) handles.push_back(driver.make_worker());
  PointResult r;
  r.pragmas = handles.front()->effective_pragmas();
  std::vector<WorkerLog> logs(static_cast<std::size_t>(workers));
  for (auto& log : logs) {
    log.read_us.reserve(static_cast<std::size_t>(total / workers + 16));
    log.write_us.reserve(static_cast<std::size_t>(total / workers + 16));
  }

  std::atomic<std::int64_t> next{0};
  std::latch ready(workers + 1);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(seed * 1000003 + static_cast<std::uint64_t>(w));
      Worker& worker = *handles[static_cast<std::size_t>(w)];
      WorkerLog& log = logs[static_cast<std::size_t>(w)];
      ready.arrive_and_wait();
      for (std::int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < total;) {
        Op op = workload.op(phase, i, rng);
        const bool write = is_write(op.kind);
        auto t0 = Clock::now();
        try {
          worker.run(op);
        } catch (const Error& e) {
          ++log.errors[std::string(to_string(e.code()))];
          ++(write ? log.write_errors : log.read_errors);
        } catch (const std::exception&) {
          ++log.errors["other"];
          ++(write ? log.write_errors : log.read_errors);
        }
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        (write ? log.write_us : log.read_us).push_back(static_cast<std::uint32_t>(us));
      }
    });
  }
  ready.arrive_and_wait();
  const auto start = Clock::now();
  for (auto& t : threads) t.join();
  const auto end = Clock::now();
  handles.clear();

  r.phase = phase;
  r.mode = mode;
  r.workers = workers;
  r.seconds = std::chrono::duration<double>(end - start).count();
  std::vector<std::uint32_t> reads, writes;
  for (auto& log : logs) {
    reads.insert(reads.end(), log.read_us.begin(), log.read_us.end());
    writes.insert(writes.end(), log.write_us.begin(), log.write_us.end());
    for (const auto& [kind, n] : log.errors) r.errors[kind] += n;
    r.read_errors += log.read_errors;
    r.write_errors += log.write_errors;
  }
  r.reads = static_cast<std::int64_t>(reads.size()) - r.read_errors;
  r.writes = static_cast<std::int64_t>(writes.size()) - r.write_errors;
  r.ops = r.reads + r.writes;
  r.read = summarize(reads);
  r.write = summarize(writes);
  r.stats_json = driver.stats_json();
  return r;
}

}  // namespace sluice::bench
