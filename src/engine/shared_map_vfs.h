// SharedMapVfs: memory-mapped reads that survive SQLite's cache resets.
//
// Why. In WAL mode a connection that begins a read transaction after another connection's
// commit empties its whole page cache (SQLite's pager_reset) and, with mmap on, also unmaps the
// database file (xUnfetch(0, 0)) and maps it again on the next page it needs. Every page a read
// touches afterwards costs either a pread() copy (mmap off) or a page fault (mmap on): profiled
// on the blog mixed workload (1 worker, scale 0.05), 25% of Sluice's cycles were the kernel's
// pread path — ~29 4-KiB preads per operation — while `tuned`'s single connection, whose cache
// its own commits never empty, spent 8% in the kernel.
//
// What. A VFS shim over the default VFS for the reader pool's read-only connections: every
// connection of the process to one database file fetches pages (xFetch) from one shared,
// read-only MAP_SHARED mapping of that file, made once and kept until the last connection to
// the file closes. xUnfetch(0, 0) — "the mapping may be invalid" — only re-reads the file's size;
// the mapping stays, so its page-table entries stay filled across commits and the refill after
// a reset is a pointer lookup, with no syscall and no fault. Everything else is forwarded.
//
// Why it is safe on Linux. A MAP_SHARED mapping shows the page cache itself, coherent with
// write() by any process (the checkpointer's), which is all SQLite's xUnfetch(0, 0) guards
// against on systems without a unified cache. A page is handed out only while it lies (with
// SQLite's 256-byte over-read margin) inside the file size last read — read at every
// xUnfetch(0, 0), i.e. at the start of every read transaction after a commit; a file truncated
// since is the same hazard SQLite's own mmap accepts between two such points (see
// sqlite.org/mmap.html: an I/O error on a mapped page raises SIGBUS instead of an error code).
// Only the default (OS) VFS is wrapped: a test VFS (Config::vfs) keeps its own reads.
//
// Thread-safety: the registration and the shared mappings are guarded by one mutex; fetches
// take no lock.
#pragma once

#include <cstdint>

namespace sluice::engine {

// The name of the shim VFS ("sluice-shared-map"), registering it over the default VFS on the
// first call (not as the default). Thread-safe. Returns null if the default VFS has no xFetch
// (iVersion < 3): then readers use the default VFS as before.
const char* shared_map_vfs_name() noexcept;

// Process-wide counts, for tests and diagnostics.
struct SharedMapCounters {
  std::uint64_t maps_made = 0;      // mappings created so far (one per file while any is open)
  std::uint64_t maps_live = 0;      // mappings open now
  std::uint64_t pages_fetched = 0;  // pages handed out by connections that have closed
};
SharedMapCounters shared_map_counters() noexcept;

}  // namespace sluice::engine
