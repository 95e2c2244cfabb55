// Binding every type, typed columns, the statement cache, Query lifetime.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <limits>
#include <optional>
#include <string>

#include "sluice/connection.h"

namespace sluice {
namespace {

class StatementTest : public ::testing::Test {
 protected:
  Connection c = Connection::open(":memory:");
  void SetUp() override { c.exec("CREATE TABLE t(v)"); }
  template <class T>
  Value roundtrip(const T& v) {
    c.exec("DELETE FROM t");
    c.exec("INSERT INTO t VALUES (?)", v);
    return c.query("SELECT v FROM t").scalar<Value>();
  }
};

TEST_F(StatementTest, BindsEveryType) {
  EXPECT_EQ(roundtrip(42), Value(std::int64_t{42}));
  EXPECT_EQ(roundtrip(std::numeric_limits<std::int64_t>::min()),
            Value(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(roundtrip(std::uint16_t{7}), Value(std::int64_t{7}));
  EXPECT_EQ(roundtrip(true), Value(std::int64_t{1}));
  EXPECT_EQ(roundtrip(2.5), Value(2.5));
  EXPECT_EQ(roundtrip(0.5f), Value(0.5));
  EXPECT_EQ(roundtrip("literal"), Value(std::string("literal")));
  EXPECT_EQ(roundtrip(std::string("with\0nul", 8)), Value(std::string("with\0nul", 8)));
  EXPECT_EQ(roundtrip(std::string_view("view")), Value(std::string("view")));
  EXPECT_EQ(roundtrip(Blob{1, 2, 0, 3}), Value(Blob{1, 2, 0, 3}));
  const char raw[] = {9, 8};
  EXPECT_EQ(roundtrip(BlobView{raw, 2}), Value(Blob{9, 8}));
  EXPECT_EQ(roundtrip(Blob{}), Value(Blob{}));
  EXPECT_EQ(roundtrip(nullptr), Value(nullptr));
  EXPECT_EQ(roundtrip(std::optional<int>()), Value(nullptr));
  EXPECT_EQ(roundtrip(std::optional<int>(5)), Value(std::int64_t{5}));
  EXPECT_EQ(roundtrip(Value(std::string("v"))), Value(std::string("v")));
}

TEST_F(StatementTest, TypedColumns) {
  c.exec("CREATE TABLE r(i INTEGER, d REAL, s TEXT, b BLOB, n)");
  c.exec("INSERT INTO r VALUES (?, ?, ?, ?, ?)", 3, 1.25, "txt", Blob{7}, nullptr);
  auto q = c.query("SELECT i, d, s, b, n FROM r");
  ASSERT_TRUE(q.next());
  EXPECT_EQ(q.get<int>(0), 3);
  EXPECT_EQ(q.get<std::int64_t>(0), 3);
  EXPECT_EQ(q.get<double>(0), 3.0);  // integers widen
  EXPECT_EQ(q.get<double>(1), 1.25);
  EXPECT_EQ(q.get<std::string>(2), "txt");
  EXPECT_EQ(q.get<std::string_view>(2), "txt");
  EXPECT_EQ(q.get<Blob>(3), Blob{7});
  EXPECT_EQ(q.get<std::optional<int>>(4), std::nullopt);
  EXPECT_EQ(q.get<std::optional<int>>(0), 3);
  EXPECT_EQ(q.column_name(2), "s");
  EXPECT_THROW(q.get<int>(4), Error);          // NULL into non-optional
  EXPECT_THROW(q.get<int>(2), Error);          // TEXT into integer
  EXPECT_THROW(q.get<std::string>(0), Error);  // INTEGER into text
  EXPECT_THROW(q.get<int>(9), Error);          // no such column
  Row row = q.row();
  EXPECT_EQ(row.size(), 5u);
  EXPECT_EQ(row.get<std::string>(2), "txt");
  EXPECT_FALSE(q.next());
}

TEST_F(StatementTest, WrongParameterCountNamesTheSql) {
  try {
    c.exec("INSERT INTO t VALUES (?)", 1, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("INSERT INTO t VALUES (?)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("1 parameter"), std::string::npos);
  }
}

TEST_F(StatementTest, BadSqlIsSqlErrorNamingIt) {
  try {
    c.exec("SELEC 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Sql);
    EXPECT_EQ(e.sqlite_code(), SQLITE_ERROR);
    EXPECT_NE(std::string(e.what()).find("SELEC 1"), std::string::npos);
  }
}

TEST_F(StatementTest, CachePreparesRepeatedSqlOnce) {
  std::uint64_t before = c.statements_prepared();
  for (int i = 0; i < 100; ++i) c.exec("INSERT INTO t VALUES (?)", i);
  EXPECT_EQ(c.statements_prepared(), before + 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.query("SELECT count(*) FROM t").scalar<int>(), 100);
  EXPECT_EQ(c.statements_prepared(), before + 2);
  EXPECT_EQ(c.statement_cache_size(), 3u);  // CREATE, INSERT, SELECT
}

TEST_F(StatementTest, NestedQueryOnSameSqlGetsItsOwnStatement) {
  for (int i = 0; i < 3; ++i) c.exec("INSERT INTO t VALUES (?)", i);
  int pairs = 0;
  for (auto outer = c.query("SELECT v FROM t"); outer.next();) {
    for (auto inner = c.query("SELECT v FROM t"); inner.next();) ++pairs;
  }
  EXPECT_EQ(pairs, 9);
}

TEST_F(StatementTest, QueryResetsItsStatementWhenDestroyed) {
  c.exec("INSERT INTO t VALUES (1), (2)");
  {
    auto q = c.query("SELECT v FROM t");
    ASSERT_TRUE(q.next());
    EXPECT_TRUE(sqlite3_stmt_busy(sqlite3_next_stmt(c.native_handle(), nullptr)) ||
                sqlite3_next_stmt(c.native_handle(), nullptr) != nullptr);
  }
  for (sqlite3_stmt* s = sqlite3_next_stmt(c.native_handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(c.native_handle(), s)) {
    EXPECT_FALSE(sqlite3_stmt_busy(s)) << sqlite3_sql(s);
  }
}

TEST_F(StatementTest, TransactionControlIsRecognised) {
  EXPECT_TRUE(c.prepare("  begin immediate").is_transaction_control());
  EXPECT_TRUE(c.prepare("COMMIT").is_transaction_control());
  EXPECT_TRUE(c.prepare("SAVEPOINT x").is_transaction_control());
  EXPECT_FALSE(c.prepare("SELECT 'COMMIT'").is_transaction_control());
  // Regression: a comment before the keyword hid it, and a write job could COMMIT mid-batch.
  EXPECT_TRUE(c.prepare("/* why */ COMMIT").is_transaction_control());
  EXPECT_TRUE(c.prepare("-- why\n  end").is_transaction_control());
  EXPECT_TRUE(c.prepare("/* a */ -- b\n/* c */release x").is_transaction_control());
  EXPECT_FALSE(c.prepare("/* COMMIT */ SELECT 1").is_transaction_control());
  EXPECT_FALSE(c.prepare("-- ROLLBACK\nSELECT 1").is_transaction_control());
}

TEST(Connection, PragmaReadsBack) {
  Connection c = Connection::open(":memory:");
  c.pragma("cache_size=-1234");
  EXPECT_EQ(c.pragma("cache_size"), "-1234");
}

TEST(Connection, EmptyPathIsInvalid) {
  try {
    Connection::open("");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  }
}

}  // namespace
}  // namespace sluice
