#include "sqlite/result_code.h"

#include <sqlite3.h>

namespace sluice::sqlite {

ErrorCode error_code_for(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
      return ErrorCode::Busy;
    case SQLITE_LOCKED:
      return ErrorCode::Locked;
    case SQLITE_CONSTRAINT:
      return ErrorCode::Constraint;
    case SQLITE_READONLY:
      return ErrorCode::ReadOnly;
    case SQLITE_IOERR:
      return ErrorCode::IoError;
    case SQLITE_FULL:
      return ErrorCode::DiskFull;
    case SQLITE_CORRUPT:
      return ErrorCode::Corrupt;
    case SQLITE_NOTADB:
      return ErrorCode::NotADatabase;
    case SQLITE_CANTOPEN:
      return ErrorCode::CantOpen;
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return ErrorCode::ReadOnly;
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
    case SQLITE_MISUSE:
      return ErrorCode::InvalidArgument;
    case SQLITE_ERROR:
    case SQLITE_MISMATCH:
    case SQLITE_SCHEMA:
      return ErrorCode::Sql;
    default:
      return ErrorCode::Internal;
  }
}

Error make_error(int rc, sqlite3* db, std::string_view context) {
  // sqlite3_errmsg describes the most recent failure on db; fall back to the code's own text.
  const char* detail = (db != nullptr && sqlite3_extended_errcode(db) == rc) ? sqlite3_errmsg(db)
                                                                             : sqlite3_errstr(rc);
  std::string message(context);
  message += ": ";
  message += detail;
  return Error(error_code_for(rc), message, rc);
}

void check(int rc, sqlite3* db, std::string_view context) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) throw make_error(rc, db, context);
}

}  // namespace sluice::sqlite
