// Applying a Config's pragmas to a connection, reading them back, and checking they took.
//
// SQLite accepts many pragmas silently and ignores what it cannot do (journal_mode stays
// "delete" on a filesystem without shared memory; mmap_size is capped at compile time), so every
// value is read back. A mismatch is an error (Config::strict_pragmas) or a warning.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sluice/config.h"
#include "sluice/connection.h"

namespace sluice::engine {

enum class Role { Writer, Reader };

struct PragmaReport {
  std::map<std::string, std::string> effective;  // name → value read back
  std::vector<std::string> mismatches;           // human-readable, naming the file
};

// Applies the pragmas for `role` and reads them back. Writer: journal_mode, synchronous,
// wal_autocheckpoint=0, journal_size_limit, foreign_keys, plus the shared ones; Reader:
// cache_size, mmap_size, temp_store, busy_timeout. Throws Error from SQLite (NotADatabase,
// ReadOnly, CantOpen, ...) with the file named.
PragmaReport apply_pragmas(Connection& conn, const Config& config, Role role);

}  // namespace sluice::engine
