// Config: defaults, URL and environment parsing, validation messages.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/config.h"
#include "sluice/error.h"

namespace sluice {
namespace {

// The error message of fn, which must throw Error(InvalidArgument).
std::string invalid(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Config, ProductionDefaultsAreTheDocumentedOnes) {
  Config c = Config::production();
  EXPECT_EQ(c.path, "data/sluice.db");
  EXPECT_TRUE(c.wal);
  EXPECT_EQ(c.synchronous, Synchronous::Normal);
  EXPECT_EQ(c.busy_timeout_ms, 5000);
  EXPECT_EQ(c.cache_size_kib, 64 * 1024);
  EXPECT_EQ(c.mmap_size_bytes, 0);
  EXPECT_EQ(c.temp_store, TempStore::Memory);
  EXPECT_TRUE(c.foreign_keys);
  EXPECT_EQ(c.journal_size_limit_bytes, 64LL * 1024 * 1024);
  EXPECT_EQ(c.checkpoint_pages, 4000);
  EXPECT_GE(c.pool_size, 2);
  EXPECT_EQ(c.max_batch_jobs, 1024);
  EXPECT_EQ(c.malloc_trim_threshold_bytes, 16LL * 1024 * 1024);
  EXPECT_NO_THROW(c.validate());
}

TEST(Config, UrlWithAbsoluteAndRelativePaths) {
  Config a = Config::from_url("sqlite:///abs/path.db?busy_timeout=2500&pool_size=4");
  EXPECT_EQ(a.path, "/abs/path.db");
  EXPECT_EQ(a.busy_timeout_ms, 2500);
  EXPECT_EQ(a.pool_size, 4);
  EXPECT_EQ(Config::from_url("sqlite://data/app.db").path, "data/app.db");
  EXPECT_EQ(Config::from_url("file:data/x.db?synchronous=FULL").synchronous, Synchronous::Full);
  EXPECT_EQ(Config::from_url("sqlite:///my%20dir/a.db").path, "/my dir/a.db");
}

TEST(Config, UrlKeysWithOrWithoutUnits) {
  Config c = Config::from_url(
      "sqlite:///a.db?busy_timeout_ms=1&cache_size=2&mmap_size_bytes=3&journal_size_limit=-1&"
      "temp_store=file&wal=off&foreign_keys=0&commit_delay=7&max_batch_jobs=9");
  EXPECT_EQ(c.busy_timeout_ms, 1);
  EXPECT_EQ(c.cache_size_kib, 2);
  EXPECT_EQ(c.mmap_size_bytes, 3);
  EXPECT_EQ(c.journal_size_limit_bytes, -1);
  EXPECT_EQ(c.temp_store, TempStore::File);
  EXPECT_FALSE(c.wal);
  EXPECT_FALSE(c.foreign_keys);
  EXPECT_EQ(c.commit_delay_us, 7);
  EXPECT_EQ(c.max_batch_jobs, 9);
}

TEST(Config, BadUrlsNameWhatIsWrongAndWhatIsValid) {
  auto msg = invalid([] { Config::from_url("postgres://x/y"); });
  EXPECT_NE(msg.find("postgres"), std::string::npos);
  EXPECT_NE(msg.find("sqlite://"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a.db?busy_timout=5"); });
  EXPECT_NE(msg.find("busy_timout"), std::string::npos);
  EXPECT_NE(msg.find("busy_timeout"), std::string::npos);  // lists the valid keys
  msg = invalid([] { Config::from_url("sqlite:///a.db?pool_size=0"); });
  EXPECT_NE(msg.find("pool_size"), std::string::npos);
  EXPECT_NE(msg.find("1..1024"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a.db?pool_size=4x"); });
  EXPECT_NE(msg.find("not an integer"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a.db?busy_timeout=99999999999999999999"); });
  EXPECT_NE(msg.find("out of range"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a.db?synchronous=sometimes"); });
  EXPECT_NE(msg.find("off|normal|full|extra"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a.db?wal=maybe"); });
  EXPECT_NE(msg.find("true|false"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite://?pool_size=2"); });
  EXPECT_NE(msg.find("no database path"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a.db?pool_size"); });
  EXPECT_NE(msg.find("no value"), std::string::npos);
  msg = invalid([] { Config::from_url("sqlite:///a%zz.db"); });
  EXPECT_NE(msg.find("percent"), std::string::npos);
}

TEST(Config, EnvironmentWithSeedNamesAndSluiceNames) {
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", "sqlite:///srv/app.db?busy_timeout=7000"},
      {"DB_POOL_SIZE", "12"},
      {"DB_ENABLE_WAL", "true"},
      {"DB_SEPARATE_READ_WRITE", "false"},
      {"SLUICE_SYNCHRONOUS", "full"},
      {"SLUICE_MAX_BATCH_JOBS", "64"},
  };
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  Config c = Config::from_env(Config::production(), getenv);
  EXPECT_EQ(c.path, "/srv/app.db");
  EXPECT_EQ(c.busy_timeout_ms, 7000);
  EXPECT_EQ(c.pool_size, 12);
  EXPECT_TRUE(c.wal);
  EXPECT_FALSE(c.separate_read_write);
  EXPECT_EQ(c.synchronous, Synchronous::Full);
  EXPECT_EQ(c.max_batch_jobs, 64);
  // Sluice's own names win over the seeds'.
  env["SLUICE_POOL_SIZE"] = "3";
  env["SLUICE_PATH"] = "other.db";
  c = Config::from_env(Config::production(), getenv);
  EXPECT_EQ(c.pool_size, 3);
  EXPECT_EQ(c.path, "other.db");
}

TEST(Config, BadEnvironmentValueNamesTheVariable) {
  auto getenv = [](const char* name) -> const char* {
    return std::string(name) == "DB_POOL_SIZE" ? "abc" : nullptr;
  };
  auto msg = invalid([&] { Config::from_env(Config::production(), getenv); });
  EXPECT_NE(msg.find("DB_POOL_SIZE=\"abc\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("pool_size 1..1024"), std::string::npos) << msg;
}

TEST(Config, ValidateNamesTheFieldAndRange) {
  struct Case {
    std::function<void(Config&)> set;
    const char* field;
    const char* range;
  };
  std::vector<Case> cases = {
      {[](Config& c) { c.pool_size = 0; }, "pool_size", "1..1024"},
      {[](Config& c) { c.busy_timeout_ms = -1; }, "busy_timeout_ms", "0..3600000"},
      {[](Config& c) { c.checkpoint_pages = 0; }, "checkpoint_pages", "1..10000000"},
      {[](Config& c) { c.max_batch_jobs = 0; }, "max_batch_jobs", "1..1000000"},
      {[](Config& c) { c.queue_capacity = 0; }, "queue_capacity", "1..10000000"},
      {[](Config& c) { c.write_deadline_ms = 0; }, "write_deadline_ms", "1..86400000"},
      {[](Config& c) { c.cache_size_kib = -5; }, "cache_size_kib", "0.."},
      {[](Config& c) { c.journal_size_limit_bytes = -2; }, "journal_size_limit_bytes", "-1.."},
  };
  for (const auto& k : cases) {
    Config c;
    k.set(c);
    auto msg = invalid([&] { c.validate(); });
    EXPECT_NE(msg.find(k.field), std::string::npos) << msg;
    EXPECT_NE(msg.find(k.range), std::string::npos) << msg;
  }
  Config empty;
  empty.path = "";
  EXPECT_NE(invalid([&] { empty.validate(); }).find("path"), std::string::npos);
}

TEST(Config, JsonHasEveryField) {
  Config c;
  c.synchronous = Synchronous::Full;
  auto j = nlohmann::json::parse(c.to_json());
  EXPECT_EQ(j["path"], "data/sluice.db");
  EXPECT_EQ(j["synchronous"], "full");
  EXPECT_EQ(j["busy_timeout_ms"], 5000);
  EXPECT_EQ(j["wal"], true);
  EXPECT_EQ(j.size(), 22u);
}

}  // namespace
}  // namespace sluice
