// Config: every knob of a Sluice Database, with its default, its unit and where the default
// comes from. Build one with Config::production() (the defaults below), Config::from_env() or
// Config::from_url(); change fields freely; Database::open() validates it.
//
// Sources quoted below: "seeds" = the tuning tables the project was created from
// (shared/seeds/000, 002); "design" = measured on the 2-core development machine (DESIGN.md,
// "The numbers we design for"); "sqlite.org" = SQLite's documentation.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sluice {

// PRAGMA synchronous. With WAL, NORMAL syncs only at checkpoints (a power loss may roll back the
// last commits, never corrupt); FULL syncs the WAL at every commit (sqlite.org/pragma.html).
enum class Synchronous { Off = 0, Normal = 1, Full = 2, Extra = 3 };

// PRAGMA temp_store.
enum class TempStore { Default = 0, File = 1, Memory = 2 };

std::string_view to_string(Synchronous s) noexcept;
std::string_view to_string(TempStore t) noexcept;

struct Config {
  // --- the database file -----------------------------------------------------------------------

  // Path of the database file. Default: under ./data, Sluice's embedded default.
  std::string path = "data/sluice.db";
  // Create the file (and missing parent directories) when absent.
  bool create_if_missing = true;
  // Name of a registered SQLite VFS; empty = SQLite's default (unix).
  std::string vfs;

  // --- pragmas applied to every connection, read back and verified at open ---------------------

  // journal_mode=WAL: readers never wait for the writer. Source: seeds (DB_ENABLE_WAL=true).
  bool wal = true;
  // Source: seeds (NORMAL: "fsync removed from the commit critical path").
  Synchronous synchronous = Synchronous::Normal;
  // busy_timeout (ms): how long a write waits for a foreign writer (another program) holding the
  // lock, with jittered backoff; also SQLite's own busy_timeout on every connection.
  // Range 0..3,600,000. Source: seeds ("between 5 and 10 seconds").
  int busy_timeout_ms = 5000;
  // Page cache per connection (KiB); multiplies by pool_size + 1 connections. Range 0..16 GiB.
  // Source: design (the seeds' 64 MiB headline runs; their 256 MiB is per connection).
  std::int64_t cache_size_kib = 64 * 1024;
  // mmap_size (bytes); 0 = off. Range 0..2^40. Source: seeds (1 GiB) and measurement — the
  // reader pool fetches pages from one shared mapping that survives the cache reset after every
  // commit (engine/shared_map_vfs.h): blog mixed phase, 2-core VM, scale 0.05, same invocation:
  // 1 worker 0.75–0.95x tuned with 0, 1.24–1.29x with 1 GiB; 16 workers 0.80–0.86x with 0,
  // 1.60–1.82x with 1 GiB. The cost: an I/O error on a mapped page raises SIGBUS instead of
  // an error code (sqlite.org/mmap.html); 0 trades that speed for error codes.
  std::int64_t mmap_size_bytes = 1LL << 30;
  // Source: seeds (temp_store=MEMORY).
  TempStore temp_store = TempStore::Memory;
  // Source: seeds (foreign_keys=ON).
  bool foreign_keys = true;
  // journal_size_limit (bytes): the WAL is truncated to this after a checkpoint resets it.
  // Range -1 (no limit)..2^40. Source: seeds (64 MiB).
  std::int64_t journal_size_limit_bytes = 64LL * 1024 * 1024;
  // Checkpoint when the WAL holds more than this many pages (frames). Commits never run SQLite's
  // autocheckpoint; the engine checkpoints (PASSIVE) after a commit crosses this. Range 1..10^7.
  // Source: seeds (wal_autocheckpoint 4000 was their best setting).
  int checkpoint_pages = 4000;
  // When the applied pragmas read back differently (e.g. journal_mode did not become "wal"):
  // true = open fails with Error(InvalidArgument); false = open succeeds and the mismatch is
  // listed in Database::warnings().
  bool strict_pragmas = true;

  // --- process -----------------------------------------------------------------------------------

  // glibc's M_TRIM_THRESHOLD (bytes), set with mallopt() when a Database opens: PROCESS-WIDE, it
  // applies to every allocation of the program. 0 = leave glibc's default. Range 0..1 GiB.
  // Why: every commit makes each pooled reader drop its page cache (SQLite frees the page
  // buffers), and pooled connections move between threads; with glibc's default (128 KiB,
  // adaptive) the heap is trimmed after nearly every commit and the next reads fault the memory
  // back in. Source: design — blog mixed phase, 16 workers, scale 0.01: 0.46x tuned with the
  // default, 2.0–2.7x with 16 MiB (perf: sysmalloc, madvise and TLB flushes were ~10% of cycles).
  std::int64_t malloc_trim_threshold_bytes = 16LL * 1024 * 1024;

  // --- engine ----------------------------------------------------------------------------------

  // Read-only connections in the reader pool. Range 1..1024. Default: 16, or the number of cores
  // when larger. Source: measurement — with the shared mapping (mmap_size_bytes > 0) a pooled
  // connection's page refill after a commit is nearly free, so a connection per concurrent reader
  // beats queueing for a few: blog mixed phase, 2-core VM, scale 0.05, same load: 16 workers
  // 1.01x tuned with 2 connections, 1.26x with 8, 1.57x with 16; 64 workers 1.03x with 2, 1.96x
  // with 16; 1 worker unchanged. Each connection costs two file descriptors and its own page
  // cache for pages not mapped (WAL frames), up to cache_size_kib. Seeds' name: DB_POOL_SIZE.
  int pool_size = default_pool_size();
  // true: reads use the reader pool. false: reads run on the writer's connection, serialised
  // with writes (the seeds' DB_SEPARATE_READ_WRITE=false; only useful for debugging).
  bool separate_read_write = true;
  // Most jobs in one group-commit transaction. Range 1..1,000,000. Source: design — 1024 one-row
  // jobs take ~2.5 ms at ~2.3 µs/row, bounding how long one batch delays the next caller.
  int max_batch_jobs = 1024;
  // Most write jobs queued and not yet taken by the writer; beyond it submit() answers
  // Error(Overloaded). Range 1..10^7. Source: design (64k jobs ≈ 0.3 s of work at ~200k jobs/s).
  int queue_capacity = 65536;
  // How long a write may wait for queue space before Overloaded (ms); 0 = fail at once.
  // Range 0..3,600,000.
  int enqueue_timeout_ms = 0;
  // Default deadline of a write job from its submission (ms): a job not started by then fails
  // with DeadlineExceeded and never runs. Range 1..86,400,000. Source: design (6x busy_timeout).
  int write_deadline_ms = 30000;
  // How long a read may wait for a free pooled connection (ms) before DeadlineExceeded.
  // Range 0..3,600,000. Source: seeds' busy_timeout.
  int read_timeout_ms = 5000;
  // Linger before closing a batch (µs), letting more jobs join; 0 = close at once (the queue
  // being empty ends the batch). Useful with synchronous=FULL. Range 0..1,000,000.
  int commit_delay_us = 0;
  // true: a synchronous write (write/execute) leads the group commit on its own thread when no
  // other commit is in progress, taking every queued job with it (leader/follower, as LevelDB
  // and MySQL's binlog group commit do); the writer thread takes the rest and every submit()
  // job. false: every job is handed to the writer thread. Off while commit_delay_us > 0. A job
  // may therefore run on any thread (never two jobs at once). Source: design, issue 11 (the
  // hand-off made the writer thread wait for a CPU behind busy readers).
  bool caller_commits = true;

  // --- many processes and checkpoints -----------------------------------------------------------

  // true: writers of every Sluice process on this database take turns through a process-shared
  // writer lock in the side file `<path>-sluice` (created beside the database), which also holds
  // the checkpointer lease and each process's live counters (`sluice inspect` shows them).
  // false: in-process coordination only; other processes meet SQLite's busy handling.
  bool coordinate_processes = true;
  // Checkpoint after this long without reaching checkpoint_pages (ms) when the WAL holds frames
  // not yet copied back, so an idle database's WAL empties. Range 10..3,600,000. Source: design.
  int checkpoint_idle_ms = 1000;
  // 0 = commits never checkpoint (the checkpointer thread does, off the commit path). N > 0 =
  // SQLite's own behaviour: the COMMIT that takes the WAL past N pages runs a PASSIVE checkpoint
  // itself (SQLite's default wal_autocheckpoint is 1000, sqlite.org/pragma.html); no
  // checkpointer thread. Only for comparison (`sluice bench --mode sluice-inline-ckpt`): it
  // puts every checkpoint's cost into some caller's write latency. Range 0..10^7.
  int commit_autocheckpoint_pages = 0;
  // A read holding its transaction longer than this (ms) pins the WAL (no checkpoint can pass
  // its snapshot): it is counted in Stats::long_reads and its SQL reported in
  // Stats::long_read_sql; Stats::oldest_read_ms shows the oldest open read now. 0 = no check.
  // Range 0..86,400,000. Source: design (blog reads take < 10 ms; 10 s is certainly a leak).
  int max_read_txn_ms = 10000;
  // How old a snapshot a pooled read may use by default (ms; ReadOptions::max_staleness
  // overrides per read). 0 = every read begins a new read transaction and sees every commit
  // acknowledged before it began. N > 0 = a reader keeps its read transaction (its snapshot and
  // its page cache) for reads within N ms of when it began; a thread still sees its own
  // acknowledged writes. A kept snapshot pins the WAL for up to N ms (and until the checkpointer
  // next looks, within 100 ms). Range 0..60,000. Source: design (rqlite's freshness reads).
  int max_staleness_ms = 0;

  // --- replication (docs/backup.md, sluice/replica.h) ----------------------------------------

  // A directory to replicate to continuously: a snapshot, then the WAL frames of every commit,
  // shipped every replica_interval_ms by the process holding the checkpointer lease; restore
  // with `sluice restore`. Give every process of the database the same value. Empty = none.
  std::string replica;
  // How often committed frames are shipped (ms): the replica lags by about this much. Range
  // 10..60,000. Source: design (the lag target is p99 <= 1 s; Litestream syncs every 1 s).
  int replica_interval_ms = 100;
  // While the replica cannot be written, the checkpointer keeps up to this many unshipped WAL
  // pages; past it the WAL is released (the database stays safe; the replica misses those
  // commits and starts a new generation when it returns). Range 1,000..100,000,000. Source:
  // design (1 GiB of 4 KiB pages).
  std::int64_t replica_max_hold_pages = 262144;

  // The production profile: exactly the defaults above.
  static Config production();

  // `base` overridden by environment variables. Read, in this order (later wins):
  //   DATABASE_URL (as from_url), DB_POOL_SIZE, DB_ENABLE_WAL, DB_SEPARATE_READ_WRITE (the seeds'
  //   names), then SLUICE_URL and SLUICE_<FIELD> for every field (e.g. SLUICE_BUSY_TIMEOUT_MS,
  //   SLUICE_SYNCHRONOUS=full). `getenv` is injectable for tests.
  // Throws Error(InvalidArgument) naming the variable, its value and the valid range.
  static Config from_env(const Config& base = production(),
                         const std::function<const char*(const char*)>& getenv = nullptr);

  // Parses "sqlite:///abs/path.db?busy_timeout=5000&pool_size=4" ("sqlite://rel/path.db" for a
  // relative path; "file:" URIs too). Query keys are the field names, with or without their
  // unit suffix (busy_timeout = busy_timeout_ms). Unknown keys and bad values throw
  // Error(InvalidArgument) naming the key, the value and what is valid.
  static Config from_url(std::string_view url, const Config& base = production());

  // Throws Error(InvalidArgument) naming the first field out of range and its valid range.
  void validate() const;

  // All fields as a JSON object (field names as keys).
  std::string to_json() const;

  static int default_pool_size() noexcept;
};

}  // namespace sluice
