// Error codes: mapping from SQLite, names, retry advice.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>

#include "sluice/error.h"
#include "sqlite/result_code.h"

namespace sluice {
namespace {

TEST(ErrorMapping, SqliteCodesMapToTheirKind) {
  using sqlite::error_code_for;
  EXPECT_EQ(error_code_for(SQLITE_BUSY), ErrorCode::Busy);
  EXPECT_EQ(error_code_for(SQLITE_BUSY_SNAPSHOT), ErrorCode::Busy);
  EXPECT_EQ(error_code_for(SQLITE_LOCKED), ErrorCode::Locked);
  EXPECT_EQ(error_code_for(SQLITE_CONSTRAINT_UNIQUE), ErrorCode::Constraint);
  EXPECT_EQ(error_code_for(SQLITE_CONSTRAINT_FOREIGNKEY), ErrorCode::Constraint);
  EXPECT_EQ(error_code_for(SQLITE_READONLY), ErrorCode::ReadOnly);
  EXPECT_EQ(error_code_for(SQLITE_IOERR_FSYNC), ErrorCode::IoError);
  EXPECT_EQ(error_code_for(SQLITE_FULL), ErrorCode::DiskFull);
  EXPECT_EQ(error_code_for(SQLITE_CORRUPT), ErrorCode::Corrupt);
  EXPECT_EQ(error_code_for(SQLITE_NOTADB), ErrorCode::NotADatabase);
  EXPECT_EQ(error_code_for(SQLITE_CANTOPEN), ErrorCode::CantOpen);
  EXPECT_EQ(error_code_for(SQLITE_RANGE), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_code_for(SQLITE_ERROR), ErrorCode::Sql);
  EXPECT_EQ(error_code_for(SQLITE_NOMEM), ErrorCode::Internal);
}

TEST(ErrorMapping, MakeErrorKeepsExtendedCodeAndContext) {
  Error e = sqlite::make_error(SQLITE_CONSTRAINT_UNIQUE, nullptr, "INSERT INTO t VALUES (1)");
  EXPECT_EQ(e.code(), ErrorCode::Constraint);
  EXPECT_EQ(e.sqlite_code(), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_NE(std::string(e.what()).find("INSERT INTO t VALUES (1)"), std::string::npos);
}

TEST(ErrorCodes, NamesAreUniqueAndAdviceIsDocumented) {
  std::set<std::string_view> names;
  for (int c = static_cast<int>(ErrorCode::Busy); c <= static_cast<int>(ErrorCode::Internal); ++c) {
    auto name = to_string(static_cast<ErrorCode>(c));
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(retry_advice(ErrorCode::Busy), RetryAdvice::kRetryCall);
  EXPECT_EQ(retry_advice(ErrorCode::Overloaded), RetryAdvice::kRetryCall);
  EXPECT_EQ(retry_advice(ErrorCode::Locked), RetryAdvice::kRetryTransaction);
  EXPECT_EQ(retry_advice(ErrorCode::Constraint), RetryAdvice::kDoNotRetry);
  EXPECT_EQ(retry_advice(ErrorCode::WritesRefused), RetryAdvice::kDoNotRetry);
  EXPECT_TRUE(Error(ErrorCode::DeadlineExceeded, "x").retryable());
  EXPECT_FALSE(Error(ErrorCode::Corrupt, "x").retryable());
}

}  // namespace
}  // namespace sluice
