#include "sluice/error.h"

namespace sluice {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Busy:
      return "busy";
    case ErrorCode::Locked:
      return "locked";
    case ErrorCode::Overloaded:
      return "overloaded";
    case ErrorCode::DeadlineExceeded:
      return "deadline_exceeded";
    case ErrorCode::Constraint:
      return "constraint";
    case ErrorCode::ReadOnly:
      return "read_only";
    case ErrorCode::InvalidArgument:
      return "invalid_argument";
    case ErrorCode::Sql:
      return "sql";
    case ErrorCode::JobFailed:
      return "job_failed";
    case ErrorCode::IoError:
      return "io_error";
    case ErrorCode::DiskFull:
      return "disk_full";
    case ErrorCode::Corrupt:
      return "corrupt";
    case ErrorCode::NotADatabase:
      return "not_a_database";
    case ErrorCode::CantOpen:
      return "cant_open";
    case ErrorCode::WritesRefused:
      return "writes_refused";
    case ErrorCode::Closed:
      return "closed";
    case ErrorCode::Reentrant:
      return "reentrant";
    case ErrorCode::NotCommitted:
      return "not_committed";
    case ErrorCode::Internal:
      return "internal";
  }
  return "unknown";
}

RetryAdvice retry_advice(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Busy:
    case ErrorCode::Overloaded:
    case ErrorCode::DeadlineExceeded:
    case ErrorCode::DiskFull:
    case ErrorCode::NotCommitted:
      return RetryAdvice::kRetryCall;
    case ErrorCode::Locked:
      return RetryAdvice::kRetryTransaction;
    default:
      return RetryAdvice::kDoNotRetry;
  }
}

Error::Error(ErrorCode code, const std::string& message, int sqlite_code)
    : std::runtime_error(message), code_(code), sqlite_code_(sqlite_code) {}

}  // namespace sluice
