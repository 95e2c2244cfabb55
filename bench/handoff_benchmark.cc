// The write hand-off, measured: how much does it cost a caller to get a job to the writer thread
// and learn that it is done?
//
//   BM_Handoff/sluice     WriteQueue + Completion with a consumer that completes jobs at once
//                         (no SQLite): the pure hand-off cost per job.
//   BM_Handoff/mutex_cv   the same with a plain mutex + condition_variable queue and one
//                         condition variable per job — the baseline DESIGN.md measured at ~23 µs.
//   BM_Write/empty_job    Database::write of a job that does nothing (hand-off + BEGIN/COMMIT).
//   BM_Write/insert_row   Database::write inserting one row (synchronous=NORMAL).
//
// Run: build/bench/micro_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "engine/completion.h"
#include "engine/write_queue.h"
#include "sluice/sluice.h"

namespace {

using sluice::detail::Completion;
using sluice::detail::Job;
using sluice::engine::WriteQueue;

// ---- pure hand-off: Sluice's queue -------------------------------------------------------------

struct SluiceHandoff {
  WriteQueue queue{1 << 20};
  Completion completion;
  std::atomic<bool> stop{false};
  std::thread consumer;

  SluiceHandoff() {
    consumer = std::thread([this] {
      while (!stop.load(std::memory_order_relaxed)) {
        Job* list = queue.take_all();
        if (list == nullptr) {
          queue.wait_for_work(1'000'000, 20'000);
          continue;
        }
        std::uint64_t n = 0;
        while (list != nullptr) {
          Job* next = list->next;
          Completion::publish(*list);
          list = next;
          ++n;
        }
        queue.release(n);
        completion.wake_all();
      }
    });
  }
  ~SluiceHandoff() {
    stop = true;
    queue.wake();
    consumer.join();
  }
  void round_trip() {
    Job job;
    job.completion = &completion;
    queue.try_reserve();
    queue.push(&job);
    sluice::detail::wait(job);
  }
};

// ---- baseline: mutex + condition variable ------------------------------------------------------

struct MutexHandoff {
  struct Item {
    bool done = false;
    std::condition_variable cv;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Item*> items;
  bool stop = false;
  std::thread consumer;

  MutexHandoff() {
    consumer = std::thread([this] {
      std::unique_lock lock(mu);
      for (;;) {
        cv.wait(lock, [&] { return stop || !items.empty(); });
        if (stop) return;
        std::deque<Item*> batch;
        batch.swap(items);
        for (Item* it : batch) {
          it->done = true;
          it->cv.notify_one();
        }
      }
    });
  }
  ~MutexHandoff() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_one();
    consumer.join();
  }
  void round_trip() {
    Item item;
    std::unique_lock lock(mu);
    items.push_back(&item);
    cv.notify_one();
    item.cv.wait(lock, [&] { return item.done; });
  }
};

template <class H>
void BM_Handoff(benchmark::State& state) {
  static H* handoff = nullptr;
  // The benchmark loop starts and ends with a barrier across all threads, so thread 0 may set
  // up before it and tear down after it.
  if (state.thread_index() == 0) handoff = new H();
  for (auto _ : state) handoff->round_trip();
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete handoff;
    handoff = nullptr;
  }
}
BENCHMARK_TEMPLATE(BM_Handoff, SluiceHandoff)
    ->Name("BM_Handoff/sluice")
    ->ThreadRange(1, 64)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_Handoff, MutexHandoff)
    ->Name("BM_Handoff/mutex_cv")
    ->ThreadRange(1, 64)
    ->UseRealTime();

// ---- through the Database ----------------------------------------------------------------------

sluice::Database& shared_db() {
  static sluice::Database db = [] {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "sluice-micro-bench";
    std::filesystem::remove_all(dir);
    sluice::Database d = sluice::Database::open((dir / "bench.db").string());
    d.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    return d;
  }();
  return db;
}

void BM_Write_EmptyJob(benchmark::State& state) {
  sluice::Database& db = shared_db();
  for (auto _ : state) db.write([](sluice::Transaction&) {});
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Write_EmptyJob)->Name("BM_Write/empty_job")->ThreadRange(1, 64)->UseRealTime();

void BM_Write_InsertRow(benchmark::State& state) {
  sluice::Database& db = shared_db();
  for (auto _ : state) {
    db.write([](sluice::Transaction& tx) { tx.exec("INSERT INTO t(v) VALUES ('payload')"); });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Write_InsertRow)->Name("BM_Write/insert_row")->ThreadRange(1, 64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
