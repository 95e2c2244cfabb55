// sluice::Error — the one exception type the library throws.
//
// Every failure carries an ErrorCode (what kind of failure, and so what the caller should do),
// SQLite's extended result code when SQLite produced it (0 otherwise), and a message that names
// the thing involved: the file, the SQL text, the configuration field.
//
// Thread-safety: Error is an immutable value; copies may be used from any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice {

// What went wrong. Each code says whether retrying makes sense (see retry_advice()).
enum class ErrorCode {
  // Another connection holds the write lock past the busy timeout (SQLITE_BUSY).
  // Retry the call later; Sluice already retried with backoff up to busy_timeout_ms.
  Busy,
  // A table is locked by this process's own shared cache or a conflicting statement
  // (SQLITE_LOCKED). Retry the transaction.
  Locked,
  // The write queue is full (queue_capacity jobs). Nothing was executed. Retry after backing off.
  Overloaded,
  // The job's deadline passed before it ran, or no reader was free before the read deadline.
  // Nothing was executed. Retry if the result is still wanted.
  DeadlineExceeded,
  // A UNIQUE / NOT NULL / CHECK / FOREIGN KEY constraint failed (SQLITE_CONSTRAINT).
  // Only this job was rolled back. Do not retry the same input.
  Constraint,
  // Write attempted on a read-only connection or file (SQLITE_READONLY). Do not retry.
  ReadOnly,
  // Bad argument, bad configuration value, bad URL, misuse of the API. Fix the input.
  InvalidArgument,
  // SQL error: syntax, missing table, type mismatch (SQLITE_ERROR and similar). Fix the SQL.
  Sql,
  // A job threw an exception that was not a sluice::Error. Its savepoint was rolled back.
  JobFailed,
  // The disk or the OS reported an I/O error (SQLITE_IOERR). If it happened during COMMIT the
  // outcome is unknown: the Database refuses further writes (WritesRefused) until reopened.
  IoError,
  // The disk is full (SQLITE_FULL). The transaction was rolled back. Retry when space returns.
  DiskFull,
  // The database file is damaged (SQLITE_CORRUPT). Stop; restore from backup.
  Corrupt,
  // The file is not an SQLite database (SQLITE_NOTADB). Stop; check the path.
  NotADatabase,
  // The file cannot be opened or created: missing directory, permissions (SQLITE_CANTOPEN).
  CantOpen,
  // A previous error of unknown outcome (an I/O error during COMMIT) poisoned the writer.
  // Writes are refused until the Database is closed and opened again. Do not retry blindly.
  WritesRefused,
  // The Database is closed or closing. Do not retry on this handle.
  Closed,
  // A write job called back into its own Database (which would deadlock). Fix the code.
  Reentrant,
  // A declarative write went through the shared job ring (Config::coordinate_processes) and the
  // writer of another process that took it died before committing it — twice. Nothing of the
  // job was committed. Retry the call.
  NotCommitted,
  // Anything else SQLite reported (SQLITE_NOMEM, SQLITE_INTERNAL, ...). Usually not retryable.
  Internal,
};

// What a caller should do about an error code.
enum class RetryAdvice {
  kRetryCall,         // The same call may succeed later (Busy, Overloaded, DeadlineExceeded, ...).
  kRetryTransaction,  // Re-run the whole transaction (Locked).
  kDoNotRetry,        // Fix the input, the code or the state first.
};

// Stable, lowercase name of a code, e.g. "busy", "deadline_exceeded".
std::string_view to_string(ErrorCode code) noexcept;

// The documented retry advice for a code.
RetryAdvice retry_advice(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  // `sqlite_code` is SQLite's extended result code, or 0 when SQLite was not involved.
  Error(ErrorCode code, const std::string& message, int sqlite_code = 0);

  ErrorCode code() const noexcept { return code_; }
  // SQLite's extended result code (e.g. 2067 = SQLITE_CONSTRAINT_UNIQUE), 0 if none.
  int sqlite_code() const noexcept { return sqlite_code_; }
  bool retryable() const noexcept { return retry_advice(code_) != RetryAdvice::kDoNotRetry; }

 private:
  ErrorCode code_;
  int sqlite_code_;
};

}  // namespace sluice
