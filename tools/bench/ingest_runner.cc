#include "bench/ingest_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>

#include "bench/wal_sampler.h"
#include "sluice/error.h"

namespace sluice::bench {
namespace {

// Written only by its own thread; aligned apart like the closed loop's logs.
struct alignas(128) Log {
  Samples s;
};

void sleep_until_steady(double t) {
  const double wait = t - steady_seconds();
  // Sleeping is the arrival schedule itself, not synchronisation.
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

// One submitted request on its way to the collector.
struct InFlight {
  double intended;
  std::unique_ptr<Ticket> ticket;  // null when submit() refused it
};

// sluice-submit: one dispatcher thread submits each burst when it arrives; one collector waits
// for the tickets in submission order (batches commit in that order) and records each latency
// from its request's intended arrival. A refused submit (Overloaded) counts as a failed request
// at once.
class SubmitServer {
 public:
  SubmitServer(Driver& driver, const IngestWorkload& workload, std::int64_t total, int burst,
               double interval, std::uint64_t seed)
      : driver_(driver),
        workload_(workload),
        total_(total),
        burst_(burst),
        interval_(interval),
        seed_(seed) {}

  // Runs both threads to the end; `log` gets every request's latency.
  void run(double start, Samples& log) {
    std::thread collector([&] { collect(log); });
    dispatch(start);
    collector.join();
  }

 private:
  void dispatch(double start) {
    std::mt19937_64 rng(seed_ * 1000003);
    for (std::int64_t i = 0; i < total_; ++i) {
      const double intended = start + static_cast<double>(i / burst_) * interval_;
      if (i % burst_ == 0) sleep_until_steady(intended);
      InFlight f{intended, nullptr};
      try {
        f.ticket = driver_.submit(workload_.request(i, wall_seconds(), rng));
      } catch (const Error& e) {
        std::lock_guard lock(mu_);
        ++refused_[std::string(to_string(e.code()))];
      }
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(f));
      cv_.notify_one();
    }
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_one();
  }

  void collect(Samples& log) {
    for (;;) {
      std::deque<InFlight> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) break;
        batch.swap(queue_);
      }
      for (InFlight& f : batch) {
        if (f.ticket == nullptr) {
          ++log.write_errors;
          log.write_us.push_back(static_cast<std::uint32_t>((steady_seconds() - f.intended) * 1e6));
          continue;
        }
        struct Waited final : Worker {  // adapts the ticket to timed_op()
          Ticket& t;
          explicit Waited(Ticket& ticket) : t(ticket) {}
          void run(const Op&) override { t.wait(); }
          std::map<std::string, std::string> effective_pragmas() override { return {}; }
        } waited(*f.ticket);
        timed_op(waited, Op{OpKind::InsertEvent}, f.intended, log);
      }
    }
    std::lock_guard lock(mu_);
    for (const auto& [kind, n] : refused_) log.errors[kind] += n;
  }

  Driver& driver_;
  const IngestWorkload& workload_;
  const std::int64_t total_;
  const int burst_;
  const double interval_;
  const std::uint64_t seed_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<InFlight> queue_;
  std::map<std::string, std::int64_t> refused_;
  bool done_ = false;
};

}  // namespace

std::int64_t ingest_requests(double rate, const IngestOptions& opts) {
  const auto wanted = static_cast<std::int64_t>(std::llround(rate * opts.seconds));
  const std::int64_t bursts = std::max<std::int64_t>(1, (wanted + opts.burst - 1) / opts.burst);
  return bursts * opts.burst;
}

PointResult run_ingest_point(Driver& driver, const IngestWorkload& workload, Mode mode, int workers,
                             double rate, const IngestOptions& opts, std::uint64_t seed,
                             const std::string& db_path) {
  PointResult r;
  r.phase = Phase::Ingest;
  r.mode = mode;
  r.workers = workers;
  r.rate = rate;
  r.burst = opts.burst;
  r.readers = opts.readers;
  const std::int64_t total = ingest_requests(rate, opts);
  const double interval = static_cast<double>(opts.burst) / rate;

  // sluice-submit: one thread (running the dispatcher and its collector) instead of `workers`.
  const bool by_submit = mode == Mode::SluiceSubmit;
  if (by_submit) {
    workers = 1;
    r.workers = 0;
  }
  const int threads_n = workers + opts.readers;
  std::vector<std::unique_ptr<Worker>> handles;
  for (int t = 0; t < threads_n; ++t) handles.push_back(driver.make_worker());
  r.pragmas = handles.front()->effective_pragmas();
  std::vector<Log> logs(static_cast<std::size_t>(threads_n));

  std::atomic<std::int64_t> next{0};
  std::atomic<int> writers_left{workers};
  std::atomic<bool> writing{true};
  double start = 0;  // set before `go` opens
  std::latch ready(threads_n + 1), go(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      Worker& worker = *handles[static_cast<std::size_t>(t)];
      Samples& log = logs[static_cast<std::size_t>(t)].s;
      std::mt19937_64 rng(seed * 1000003 + static_cast<std::uint64_t>(t));
      ready.count_down();
      go.wait();
      if (t < workers && by_submit) {
        SubmitServer(driver, workload, total, opts.burst, interval, seed).run(start, log);
        writing.store(false);
      } else if (t < workers) {
        for (std::int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < total;) {
          const double intended = start + static_cast<double>(i / opts.burst) * interval;
          sleep_until_steady(intended);
          timed_op(worker, workload.request(i, wall_seconds(), rng), intended, log);
        }
        if (writers_left.fetch_sub(1) == 1) writing.store(false);
      } else {
        for (std::int64_t i = t; writing.load(std::memory_order_relaxed); i += 2) {
          timed_op(worker, workload.recent(i, wall_seconds()), steady_seconds(), log);
        }
      }
      log.end_s = steady_seconds();
    });
  }
  ready.arrive_and_wait();
  // The first burst arrives 10 ms after the start signal, so every worker is waiting for it.
  start = steady_seconds() + 0.010;
  WalSampler sampler(db_path, start);
  go.count_down();
  for (auto& th : threads) th.join();
  r.wal_series = sampler.stop();
  handles.clear();

  std::vector<Samples> parts;
  for (auto& log : logs) {
    log.s.start_s = start;
    parts.push_back(std::move(log.s));
  }
  merge_samples(parts, r);
  r.stats_json = driver.stats_json();
  return r;
}

}  // namespace sluice::bench
