// Mapping SQLite result codes to sluice::Error. The only place that decides which ErrorCode an
// SQLite failure becomes.
#pragma once

#include <string>
#include <string_view>

#include "sluice/error.h"

struct sqlite3;

namespace sluice::sqlite {

// The ErrorCode for an SQLite (extended) result code.
ErrorCode error_code_for(int sqlite_rc) noexcept;

// An Error for `rc`, with SQLite's message from `db` (may be null) and `context` naming what was
// being done (the SQL, the file), e.g. "INSERT INTO t VALUES(?): UNIQUE constraint failed: t.id".
Error make_error(int rc, sqlite3* db, std::string_view context);

// Throws make_error(rc, db, context) unless rc is SQLITE_OK, SQLITE_ROW or SQLITE_DONE.
void check(int rc, sqlite3* db, std::string_view context);

}  // namespace sluice::sqlite
