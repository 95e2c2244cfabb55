#include "bench/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <numeric>
#include <thread>

#include "bench/wal_sampler.h"
#include "sluice/error.h"

namespace sluice::bench {
namespace {

// One per worker thread, written only by it. Aligned so that neighbouring workers' vector ends
// (written on every operation) never share a cache line.
struct alignas(128) WorkerLog {
  Samples s;
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

void append(std::vector<std::uint32_t>& to, const std::vector<std::uint32_t>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

std::vector<PointResult> median_runs(std::vector<PointResult> runs) {
  auto same_point = [](const PointResult& a, const PointResult& b) {
    return a.phase == b.phase && a.mode == b.mode && a.workers == b.workers &&
           a.processes == b.processes && a.rate == b.rate;
  };
  std::vector<PointResult> out;
  std::vector<bool> taken(runs.size(), false);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (taken[i]) continue;
    std::vector<PointResult*> group;
    for (std::size_t j = i; j < runs.size(); ++j) {
      if (!taken[j] && same_point(runs[i], runs[j])) {
        taken[j] = true;
        group.push_back(&runs[j]);
      }
    }
    std::sort(group.begin(), group.end(), [](const PointResult* a, const PointResult* b) {
      return a->ops_per_s() < b->ops_per_s();
    });
    const double lo = group.front()->ops_per_s(), hi = group.back()->ops_per_s();
    PointResult median = std::move(*group[group.size() / 2]);
    median.reps = static_cast<int>(group.size());
    median.ops_per_s_min = lo;
    median.ops_per_s_max = hi;
    out.push_back(std::move(median));
  }
  return out;
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void timed_op(Worker& worker, const Op& op, double since_s, Samples& log) {
  const bool write = is_write(op.kind);
  try {
    worker.run(op);
  } catch (const Error& e) {
    ++log.errors[std::string(to_string(e.code()))];
    ++(write ? log.write_errors : log.read_errors);
  } catch (const std::exception&) {
    ++log.errors["other"];
    ++(write ? log.write_errors : log.read_errors);
  }
  const double us = std::max(0.0, (steady_seconds() - since_s) * 1e6);
  (write ? log.write_us : log.read_us).push_back(static_cast<std::uint32_t>(us));
}

std::int64_t PointResult::error_count() const {
  std::int64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

std::int64_t PointResult::wal_max_bytes() const {
  std::int64_t m = 0;
  for (const auto& [t, bytes] : wal_series) m = std::max(m, bytes);
  return m;
}

double PointResult::fairness() const {
  if (per_process.size() < 2) return -1;
  double sum = 0, lowest = per_process.front().ops_per_s();
  for (const auto& p : per_process) {
    sum += p.ops_per_s();
    lowest = std::min(lowest, p.ops_per_s());
  }
  const double mean = sum / static_cast<double>(per_process.size());
  return mean > 0 ? lowest / mean : 0;
}

void merge_samples(std::vector<Samples>& parts, PointResult& r) {
  std::vector<std::uint32_t> reads, writes;
  double start = 0, end = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Samples& s = parts[i];
    append(reads, s.read_us);
    append(writes, s.write_us);
    for (const auto& [kind, n] : s.errors) r.errors[kind] += n;
    r.read_errors += s.read_errors;
    r.write_errors += s.write_errors;
    start = i == 0 ? s.start_s : std::min(start, s.start_s);
    end = i == 0 ? s.end_s : std::max(end, s.end_s);
    s = Samples{};
  }
  r.seconds = end - start;
  r.reads = static_cast<std::int64_t>(reads.size()) - r.read_errors;
  r.writes = static_cast<std::int64_t>(writes.size()) - r.write_errors;
  r.ops = r.reads + r.writes;
  r.read = summarize(reads);
  r.write = summarize(writes);
}

Samples run_closed_loop(Driver& driver, const BlogWorkload& workload, Phase phase, int workers,
                        std::uint64_t seed, std::int64_t begin, std::int64_t end,
                        const std::function<void()>& before_start,
                        std::map<std::string, std::string>* pragmas) {
  std::vector<std::unique_ptr<Worker>> handles;
  for (int w = 0; w < workers; ++w) handles.push_back(driver.make_worker());
  if (pragmas != nullptr) *pragmas = handles.front()->effective_pragmas();
  std::vector<WorkerLog> logs(static_cast<std::size_t>(workers));
  const auto share = static_cast<std::size_t>((end - begin) / workers + 16);
  for (auto& log : logs) {
    log.s.read_us.reserve(share);
    log.s.write_us.reserve(share);
  }

  std::atomic<std::int64_t> next{begin};
  std::latch ready(workers + 1);
  std::latch go(1);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(seed * 1000003 + static_cast<std::uint64_t>(begin) +
                          static_cast<std::uint64_t>(w));
      Worker& worker = *handles[static_cast<std::size_t>(w)];
      Samples& log = logs[static_cast<std::size_t>(w)].s;
      ready.count_down();
      go.wait();
      for (std::int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < end;) {
        const Op op = workload.op(phase, i, rng);
        timed_op(worker, op, steady_seconds(), log);
      }
    });
  }
  ready.arrive_and_wait();
  if (before_start) before_start();
  const double start = steady_seconds();
  go.count_down();
  for (auto& t : threads) t.join();
  const double finish = steady_seconds();
  handles.clear();

  Samples out;
  for (auto& log : logs) {
    append(out.read_us, log.s.read_us);
    append(out.write_us, log.s.write_us);
    for (const auto& [kind, n] : log.s.errors) out.errors[kind] += n;
    out.read_errors += log.s.read_errors;
    out.write_errors += log.s.write_errors;
  }
  out.start_s = start;
  out.end_s = finish;
  return out;
}

PointResult run_point(Driver& driver, const BlogWorkload& workload, Phase phase, Mode mode,
                      int workers, std::uint64_t seed, const std::string& db_path) {
  PointResult r;
  r.phase = phase;
  r.mode = mode;
  r.workers = workers;
  std::unique_ptr<WalSampler> sampler;
  std::vector<Samples> parts;
  parts.push_back(run_closed_loop(
      driver, workload, phase, workers, seed, 0, workload.total_ops(phase),
      [&] { sampler = std::make_unique<WalSampler>(db_path, steady_seconds()); }, &r.pragmas));
  r.wal_series = sampler->stop();
  merge_samples(parts, r);
  r.stats_json = driver.stats_json();
  return r;
}

}  // namespace sluice::bench
