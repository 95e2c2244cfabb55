// Config: defaults, URL and environment parsing, validation messages, JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sluice/config.h"
#include "sluice/error.h"

namespace sluice {
namespace {

using Env = std::map<std::string, std::string>;

// The error message of fn, which must throw Error(InvalidArgument).
std::string invalid(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

// A getenv over `env`.
std::function<const char*(const char*)> getenv_of(const Env& env) {
  return [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

// Every field set to a valid value other than its default.
Config all_changed() {
  Config c;
  c.path = "/srv/x.db";
  c.create_if_missing = false;
  c.vfs = "unix-dotfile";
  c.wal = false;
  c.synchronous = Synchronous::Extra;
  c.busy_timeout_ms = 1234;
  c.cache_size_kib = 2048;
  c.mmap_size_bytes = 1 << 20;
  c.temp_store = TempStore::File;
  c.foreign_keys = false;
  c.journal_size_limit_bytes = -1;
  c.checkpoint_pages = 77;
  c.strict_pragmas = false;
  c.malloc_trim_threshold_bytes = 0;
  c.pool_size = c.pool_size == 9 ? 10 : 9;
  c.separate_read_write = false;
  c.max_batch_jobs = 10;
  c.queue_capacity = 11;
  c.enqueue_timeout_ms = 12;
  c.write_deadline_ms = 13;
  c.read_timeout_ms = 14;
  c.commit_delay_us = 15;
  c.caller_commits = false;
  c.coordinate_processes = false;
  c.checkpoint_idle_ms = 16;
  c.commit_autocheckpoint_pages = 17;
  c.max_read_txn_ms = 18;
  c.max_staleness_ms = 19;
  c.replica = "backups/replica";
  c.replica_interval_ms = 20;
  c.replica_max_hold_pages = 21'000;
  return c;
}

// A JSON scalar as a URL or an environment variable would carry it.
std::string text_of(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

const std::vector<std::string> kFields = {
    "path",
    "create_if_missing",
    "vfs",
    "wal",
    "synchronous",
    "busy_timeout_ms",
    "cache_size_kib",
    "mmap_size_bytes",
    "temp_store",
    "foreign_keys",
    "journal_size_limit_bytes",
    "checkpoint_pages",
    "strict_pragmas",
    "malloc_trim_threshold_bytes",
    "pool_size",
    "separate_read_write",
    "max_batch_jobs",
    "queue_capacity",
    "enqueue_timeout_ms",
    "write_deadline_ms",
    "read_timeout_ms",
    "commit_delay_us",
    "caller_commits",
    "coordinate_processes",
    "checkpoint_idle_ms",
    "commit_autocheckpoint_pages",
    "max_read_txn_ms",
    "max_staleness_ms",
    "replica",
    "replica_interval_ms",
    "replica_max_hold_pages",
};

// --- defaults ----------------------------------------------------------------------------------

TEST(Config, ProductionDefaultsAreTheDocumentedOnes) {
  Config c = Config::production();
  EXPECT_EQ(c.path, "data/sluice.db");
  EXPECT_TRUE(c.create_if_missing);
  EXPECT_EQ(c.vfs, "");
  EXPECT_TRUE(c.wal);
  EXPECT_EQ(c.synchronous, Synchronous::Normal);
  EXPECT_EQ(c.busy_timeout_ms, 5000);
  EXPECT_EQ(c.cache_size_kib, 64 * 1024);
  EXPECT_EQ(c.mmap_size_bytes, 1LL << 30);
  EXPECT_EQ(c.temp_store, TempStore::Memory);
  EXPECT_TRUE(c.foreign_keys);
  EXPECT_EQ(c.journal_size_limit_bytes, 64LL * 1024 * 1024);
  EXPECT_EQ(c.checkpoint_pages, 4000);
  EXPECT_TRUE(c.strict_pragmas);
  EXPECT_EQ(c.malloc_trim_threshold_bytes, 16LL * 1024 * 1024);
  EXPECT_EQ(c.pool_size, std::max(16, static_cast<int>(std::thread::hardware_concurrency())));
  EXPECT_EQ(c.pool_size, Config::default_pool_size());
  EXPECT_GE(Config::default_pool_size(), 16);
  EXPECT_TRUE(c.separate_read_write);
  EXPECT_EQ(c.max_batch_jobs, 1024);
  EXPECT_EQ(c.queue_capacity, 65536);
  EXPECT_EQ(c.enqueue_timeout_ms, 0);
  EXPECT_EQ(c.write_deadline_ms, 30000);
  EXPECT_EQ(c.read_timeout_ms, 5000);
  EXPECT_EQ(c.commit_delay_us, 0);
  EXPECT_TRUE(c.caller_commits);
  EXPECT_TRUE(c.coordinate_processes);
  EXPECT_EQ(c.checkpoint_idle_ms, 1000);
  EXPECT_EQ(c.commit_autocheckpoint_pages, 0);
  EXPECT_EQ(c.max_read_txn_ms, 10000);
  EXPECT_EQ(c.max_staleness_ms, 0);  // reads see the newest snapshot unless asked otherwise
  EXPECT_NO_THROW(c.validate());
  EXPECT_NO_THROW(all_changed().validate());
}

TEST(Config, EnumNamesAreLowercase) {
  EXPECT_EQ(to_string(Synchronous::Off), "off");
  EXPECT_EQ(to_string(Synchronous::Normal), "normal");
  EXPECT_EQ(to_string(Synchronous::Full), "full");
  EXPECT_EQ(to_string(Synchronous::Extra), "extra");
  EXPECT_EQ(to_string(TempStore::Default), "default");
  EXPECT_EQ(to_string(TempStore::File), "file");
  EXPECT_EQ(to_string(TempStore::Memory), "memory");
}

// --- URLs --------------------------------------------------------------------------------------

TEST(Config, UrlWithAbsoluteAndRelativePaths) {
  Config a = Config::from_url("sqlite:///abs/path.db?busy_timeout=2500&pool_size=4");
  EXPECT_EQ(a.path, "/abs/path.db");
  EXPECT_EQ(a.busy_timeout_ms, 2500);
  EXPECT_EQ(a.pool_size, 4);
  EXPECT_EQ(Config::from_url("sqlite://data/app.db").path, "data/app.db");
  EXPECT_EQ(Config::from_url("SQLite:///a.db").path, "/a.db");  // schemes ignore case
  EXPECT_EQ(Config::from_url("file:data/x.db").path, "data/x.db");
  EXPECT_EQ(Config::from_url("file:/abs/x.db").path, "/abs/x.db");
  EXPECT_EQ(Config::from_url("file:///abs/x.db").path, "/abs/x.db");
  EXPECT_EQ(Config::from_url("file://localhost/abs/x.db?pool_size=3").path, "/abs/x.db");
  EXPECT_EQ(Config::from_url("file:data/x.db?synchronous=FULL").synchronous, Synchronous::Full);
  EXPECT_EQ(Config::from_url("sqlite:///a.db#fragment").path, "/a.db");
}

TEST(Config, UrlPercentDecodesPathKeysAndValues) {
  EXPECT_EQ(Config::from_url("sqlite:///my%20dir/a%3fb%23c.db").path, "/my dir/a?b#c.db");
  Config c = Config::from_url("sqlite://a.db?vfs=unix%2Ddotfile&pool%5Fsize=%35");
  EXPECT_EQ(c.vfs, "unix-dotfile");
  EXPECT_EQ(c.pool_size, 5);
}

TEST(Config, UrlKeysWithOrWithoutUnits) {
  Config c = Config::from_url(
      "sqlite:///a.db?busy_timeout=1&cache_size=2&mmap_size=3&journal_size_limit=-1&"
      "enqueue_timeout=4&write_deadline=5&read_timeout=6&commit_delay=7&"
      "malloc_trim_threshold=8");
  EXPECT_EQ(c.busy_timeout_ms, 1);
  EXPECT_EQ(c.cache_size_kib, 2);
  EXPECT_EQ(c.mmap_size_bytes, 3);
  EXPECT_EQ(c.journal_size_limit_bytes, -1);
  EXPECT_EQ(c.enqueue_timeout_ms, 4);
  EXPECT_EQ(c.write_deadline_ms, 5);
  EXPECT_EQ(c.read_timeout_ms, 6);
  EXPECT_EQ(c.commit_delay_us, 7);
  EXPECT_EQ(c.malloc_trim_threshold_bytes, 8);
  c = Config::from_url(
      "sqlite:///a.db?busy_timeout_ms=11&cache_size_kib=12&mmap_size_bytes=13&"
      "journal_size_limit_bytes=14&enqueue_timeout_ms=15&write_deadline_ms=16&"
      "read_timeout_ms=17&commit_delay_us=18&malloc_trim_threshold_bytes=19&BUSY_TIMEOUT=20");
  EXPECT_EQ(c.cache_size_kib, 12);
  EXPECT_EQ(c.mmap_size_bytes, 13);
  EXPECT_EQ(c.journal_size_limit_bytes, 14);
  EXPECT_EQ(c.enqueue_timeout_ms, 15);
  EXPECT_EQ(c.write_deadline_ms, 16);
  EXPECT_EQ(c.read_timeout_ms, 17);
  EXPECT_EQ(c.commit_delay_us, 18);
  EXPECT_EQ(c.malloc_trim_threshold_bytes, 19);
  EXPECT_EQ(c.busy_timeout_ms, 20);  // later keys win; keys ignore case
}

TEST(Config, UrlBooleansAndEnumsInEverySpelling) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes", "on", "ON"}) {
    EXPECT_TRUE(Config::from_url(std::string("sqlite://a.db?wal=0&wal=") + yes).wal) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "NO", "off", "Off"}) {
    EXPECT_FALSE(Config::from_url(std::string("sqlite://a.db?wal=1&wal=") + no).wal) << no;
  }
  const std::pair<const char*, Synchronous> syncs[] = {
      {"off", Synchronous::Off},     {"NORMAL", Synchronous::Normal}, {"Full", Synchronous::Full},
      {"extra", Synchronous::Extra}, {"0", Synchronous::Off},         {"1", Synchronous::Normal},
      {"2", Synchronous::Full},      {"3", Synchronous::Extra}};
  for (const auto& [text, value] : syncs) {
    EXPECT_EQ(Config::from_url(std::string("sqlite://a.db?synchronous=") + text).synchronous, value)
        << text;
  }
  const std::pair<const char*, TempStore> temps[] = {{"default", TempStore::Default},
                                                     {"FILE", TempStore::File},
                                                     {"Memory", TempStore::Memory},
                                                     {"0", TempStore::Default},
                                                     {"2", TempStore::Memory}};
  for (const auto& [text, value] : temps) {
    EXPECT_EQ(Config::from_url(std::string("sqlite://a.db?temp_store=") + text).temp_store, value)
        << text;
  }
}

TEST(Config, UrlKeepsTheBaseForUnsetFields) {
  Config base = all_changed();
  Config c = Config::from_url("sqlite://b.db?pool_size=3&&", base);
  EXPECT_EQ(c.path, "b.db");
  EXPECT_EQ(c.pool_size, 3);
  c.pool_size = base.pool_size;
  c.path = base.path;
  EXPECT_EQ(c.to_json(), base.to_json());
}

TEST(Config, BadUrlSchemesAndShapes) {
  auto msg = invalid([] { Config::from_url("postgres://user:secret@db/app"); });
  EXPECT_HAS(msg, "unsupported URL scheme \"postgres://\"");
  EXPECT_HAS(msg, "sqlite://");
  EXPECT_HAS(msg, "file:");
  EXPECT_EQ(msg.find("secret"), std::string::npos) << "leaks the password: " << msg;
  msg = invalid([] { Config::from_url("mysql:app"); });
  EXPECT_HAS(msg, "\"mysql:\"");
  msg = invalid([] { Config::from_url("data/app.db"); });
  EXPECT_HAS(msg, "no scheme");
  EXPECT_HAS(msg, "sqlite:///abs/path.db");
  msg = invalid([] { Config::from_url("file://otherhost/a.db"); });
  EXPECT_HAS(msg, "\"otherhost\"");
  EXPECT_HAS(msg, "file:///abs/path.db");
  msg = invalid([] { Config::from_url("sqlite://?pool_size=2"); });
  EXPECT_HAS(msg, "no database path");
  msg = invalid([] { Config::from_url("sqlite:///a.db?pool_size"); });
  EXPECT_HAS(msg, "\"pool_size\" has no value");
  msg = invalid([] { Config::from_url("sqlite:///a%zz.db"); });
  EXPECT_HAS(msg, "\"%zz\"");
  EXPECT_HAS(msg, "two hex digits");
  msg = invalid([] { Config::from_url("sqlite:///a.db%"); });
  EXPECT_HAS(msg, "percent-escape");
  msg = invalid([] { Config::from_url("sqlite:///a%00.db"); });
  EXPECT_HAS(msg, "%00");
}

TEST(Config, BadUrlKeysAndValuesNameTheKeyValueAndRange) {
  auto msg = invalid([] { Config::from_url("sqlite:///a.db?busy_timout=5"); });
  EXPECT_HAS(msg, "URL key \"busy_timout\" is unknown");
  EXPECT_HAS(msg, "valid keys: ");
  EXPECT_HAS(msg, "busy_timeout, cache_size");
  msg = invalid([] { Config::from_url("sqlite:///a.db?path=b.db"); });
  EXPECT_HAS(msg, "\"path\"");
  msg = invalid([] { Config::from_url("sqlite:///a.db?pool_size=0"); });
  EXPECT_HAS(msg, "URL key \"pool_size\"=\"0\": out of range; valid: pool_size 1..1024");
  msg = invalid([] { Config::from_url("sqlite:///a.db?pool_size=1025"); });
  EXPECT_HAS(msg, "pool_size 1..1024");
  msg = invalid([] { Config::from_url("sqlite:///a.db?busy_timeout=-1"); });
  EXPECT_HAS(msg, "\"busy_timeout\"=\"-1\": out of range; valid: busy_timeout_ms 0..3600000");
  msg = invalid([] { Config::from_url("sqlite:///a.db?mmap_size=1099511627777"); });
  EXPECT_HAS(msg, "mmap_size_bytes 0..1099511627776");
  msg = invalid([] { Config::from_url("sqlite:///a.db?journal_size_limit=-2"); });
  EXPECT_HAS(msg, "journal_size_limit_bytes -1..1099511627776");
  for (const char* junk : {"4x", "", " 4", "4 ", "+4", "0x10", "4.0", "1e3"}) {
    msg = invalid([&] { Config::from_url(std::string("sqlite:///a.db?pool_size=") + junk); });
    EXPECT_HAS(msg, std::string("\"") + junk + "\": not an integer; valid: pool_size 1..1024");
  }
  for (const char* huge : {"99999999999999999999", "9223372036854775808", "2147483648"}) {
    msg = invalid([&] { Config::from_url(std::string("sqlite:///a.db?busy_timeout=") + huge); });
    EXPECT_HAS(msg, "out of range; valid: busy_timeout_ms 0..3600000");
  }
  msg = invalid([] { Config::from_url("sqlite:///a.db?synchronous=sometimes"); });
  EXPECT_HAS(msg, "\"synchronous\"=\"sometimes\"");
  EXPECT_HAS(msg, "off|normal|full|extra (or 0..3)");
  msg = invalid([] { Config::from_url("sqlite:///a.db?synchronous=4"); });
  EXPECT_HAS(msg, "off|normal|full|extra");
  msg = invalid([] { Config::from_url("sqlite:///a.db?temp_store=ram"); });
  EXPECT_HAS(msg, "default|file|memory (or 0..2)");
  msg = invalid([] { Config::from_url("sqlite:///a.db?wal=maybe"); });
  EXPECT_HAS(msg, "\"wal\"=\"maybe\": not a boolean; valid: wal true|false");
}

// --- environment -------------------------------------------------------------------------------

TEST(Config, EnvironmentWithSeedNamesAndSluiceNames) {
  Env env = {
      {"DATABASE_URL", "sqlite:///srv/app.db?busy_timeout=7000"},
      {"DB_POOL_SIZE", "12"},
      {"DB_ENABLE_WAL", "false"},
      {"DB_SEPARATE_READ_WRITE", "false"},
      {"SLUICE_SYNCHRONOUS", "full"},
      {"SLUICE_MAX_BATCH_JOBS", "64"},
  };
  Config c = Config::from_env(Config::production(), getenv_of(env));
  EXPECT_EQ(c.path, "/srv/app.db");
  EXPECT_EQ(c.busy_timeout_ms, 7000);
  EXPECT_EQ(c.pool_size, 12);
  EXPECT_FALSE(c.wal);
  EXPECT_FALSE(c.separate_read_write);
  EXPECT_EQ(c.synchronous, Synchronous::Full);
  EXPECT_EQ(c.max_batch_jobs, 64);
}

TEST(Config, EnvironmentPrecedenceLaterWins) {
  Env env = {{"DATABASE_URL", "sqlite://seed.db?pool_size=5&wal=false&busy_timeout=1"}};
  auto get = getenv_of(env);
  EXPECT_EQ(Config::from_env(Config::production(), get).pool_size, 5);
  env["DB_POOL_SIZE"] = "6";  // the seeds' variable beats the seeds' URL
  EXPECT_EQ(Config::from_env(Config::production(), get).pool_size, 6);
  env["SLUICE_URL"] = "sqlite://sluice.db?pool_size=7";  // Sluice's URL beats the seeds' names
  Config c = Config::from_env(Config::production(), get);
  EXPECT_EQ(c.pool_size, 7);
  EXPECT_EQ(c.path, "sluice.db");
  EXPECT_FALSE(c.wal);              // from DATABASE_URL, not reset by SLUICE_URL
  EXPECT_EQ(c.busy_timeout_ms, 1);  // likewise
  env["DB_ENABLE_WAL"] = "true";
  EXPECT_TRUE(Config::from_env(Config::production(), get).wal);
  env["SLUICE_POOL_SIZE"] = "8";  // a single field beats every URL
  env["SLUICE_PATH"] = "other.db";
  env["SLUICE_WAL"] = "off";
  c = Config::from_env(Config::production(), get);
  EXPECT_EQ(c.pool_size, 8);
  EXPECT_EQ(c.path, "other.db");
  EXPECT_FALSE(c.wal);
}

TEST(Config, EnvironmentWithNothingSetKeepsTheBase) {
  Env env;
  Config base = all_changed();
  EXPECT_EQ(Config::from_env(base, getenv_of(env)).to_json(), base.to_json());
}

TEST(Config, EnvironmentHasASluiceVariableForEveryField) {
  const auto want = nlohmann::json::parse(all_changed().to_json());
  Env env;
  for (const auto& [key, value] : want.items()) {
    std::string name = "SLUICE_" + key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    env[name] = text_of(value);
  }
  EXPECT_EQ(env.count("SLUICE_BUSY_TIMEOUT_MS"), 1u);
  EXPECT_EQ(nlohmann::json::parse(Config::from_env(Config::production(), getenv_of(env)).to_json()),
            want);
}

TEST(Config, BadEnvironmentValuesNameTheVariable) {
  const std::pair<Env, std::vector<std::string>> cases[] = {
      {{{"DB_POOL_SIZE", "abc"}},
       {"DB_POOL_SIZE=\"abc\": not an integer; valid: pool_size 1..1024"}},
      {{{"DB_POOL_SIZE", "0"}}, {"DB_POOL_SIZE=\"0\": out of range; valid: pool_size 1..1024"}},
      {{{"DB_ENABLE_WAL", "maybe"}}, {"DB_ENABLE_WAL=\"maybe\": not a boolean", "true|false"}},
      {{{"DB_SEPARATE_READ_WRITE", "2"}}, {"DB_SEPARATE_READ_WRITE=\"2\"", "true|false"}},
      {{{"SLUICE_SYNCHRONOUS", "sometimes"}},
       {"SLUICE_SYNCHRONOUS=\"sometimes\"", "off|normal|full|extra"}},
      {{{"SLUICE_COMMIT_DELAY_US", "2000000"}},
       {"SLUICE_COMMIT_DELAY_US=\"2000000\": out of range", "commit_delay_us 0..1000000"}},
      {{{"SLUICE_QUEUE_CAPACITY", ""}}, {"SLUICE_QUEUE_CAPACITY=\"\": not an integer"}},
      {{{"DATABASE_URL", "postgres://u:pw@h/db"}},
       {"DATABASE_URL: unsupported URL scheme \"postgres://\""}},
      {{{"SLUICE_URL", "sqlite://a.db?pool=3"}},
       {"SLUICE_URL: URL key \"pool\" is unknown", "pool_size"}},
  };
  for (const auto& c : cases) {
    auto msg = invalid([&] { Config::from_env(Config::production(), getenv_of(c.first)); });
    for (const auto& part : c.second) EXPECT_HAS(msg, part);
  }
}

TEST(Config, EnvironmentDefaultsToTheProcessEnvironment) {
  // The URL variables could point anywhere in a developer's shell; this test owns its process.
  ::setenv("SLUICE_CHECKPOINT_PAGES", "123", 1);
  ::unsetenv("SLUICE_URL");
  ::unsetenv("DATABASE_URL");
  ::unsetenv("SLUICE_PATH");
  EXPECT_EQ(Config::from_env().checkpoint_pages, 123);
  ::unsetenv("SLUICE_CHECKPOINT_PAGES");
}

// --- validate ----------------------------------------------------------------------------------

TEST(Config, ValidateNamesEachOutOfRangeFieldAndItsRange) {
  struct Case {
    std::function<void(Config&)> set;
    std::string message;
  };
  const Case cases[] = {
      {[](Config& c) { c.busy_timeout_ms = -1; },
       "busy_timeout_ms=-1 is out of range; valid: "
       "busy_timeout_ms 0..3600000"},
      {[](Config& c) { c.busy_timeout_ms = 3'600'001; }, "busy_timeout_ms=3600001"},
      {[](Config& c) { c.cache_size_kib = -5; }, "cache_size_kib 0..16777216"},
      {[](Config& c) { c.cache_size_kib = 16777217; }, "cache_size_kib=16777217"},
      {[](Config& c) { c.mmap_size_bytes = -1; }, "mmap_size_bytes 0..1099511627776"},
      {[](Config& c) { c.mmap_size_bytes = (1LL << 40) + 1; }, "mmap_size_bytes=1099511627777"},
      {[](Config& c) { c.journal_size_limit_bytes = -2; }, "journal_size_limit_bytes -1.."},
      {[](Config& c) { c.journal_size_limit_bytes = (1LL << 40) + 1; },
       "journal_size_limit_bytes=1099511627777"},
      {[](Config& c) { c.checkpoint_pages = 0; }, "checkpoint_pages 1..10000000"},
      {[](Config& c) { c.checkpoint_pages = 10'000'001; }, "checkpoint_pages=10000001"},
      {[](Config& c) { c.malloc_trim_threshold_bytes = -1; },
       "malloc_trim_threshold_bytes 0..1073741824"},
      {[](Config& c) { c.malloc_trim_threshold_bytes = (1LL << 30) + 1; },
       "malloc_trim_threshold_bytes=1073741825"},
      {[](Config& c) { c.pool_size = 0; }, "pool_size=0 is out of range; valid: pool_size 1..1024"},
      {[](Config& c) { c.pool_size = 1025; }, "pool_size=1025"},
      {[](Config& c) { c.max_batch_jobs = 0; }, "max_batch_jobs 1..1000000"},
      {[](Config& c) { c.max_batch_jobs = 1'000'001; }, "max_batch_jobs=1000001"},
      {[](Config& c) { c.queue_capacity = 0; }, "queue_capacity 1..10000000"},
      {[](Config& c) { c.queue_capacity = 10'000'001; }, "queue_capacity=10000001"},
      {[](Config& c) { c.enqueue_timeout_ms = -1; }, "enqueue_timeout_ms 0..3600000"},
      {[](Config& c) { c.enqueue_timeout_ms = 3'600'001; }, "enqueue_timeout_ms=3600001"},
      {[](Config& c) { c.write_deadline_ms = 0; }, "write_deadline_ms 1..86400000"},
      {[](Config& c) { c.write_deadline_ms = 86'400'001; }, "write_deadline_ms=86400001"},
      {[](Config& c) { c.read_timeout_ms = -1; }, "read_timeout_ms 0..3600000"},
      {[](Config& c) { c.read_timeout_ms = 3'600'001; }, "read_timeout_ms=3600001"},
      {[](Config& c) { c.commit_delay_us = -1; }, "commit_delay_us 0..1000000"},
      {[](Config& c) { c.commit_delay_us = 1'000'001; }, "commit_delay_us=1000001"},
      {[](Config& c) { c.synchronous = static_cast<Synchronous>(7); },
       "synchronous=7 is out of range; valid: synchronous off|normal|full|extra"},
      {[](Config& c) { c.temp_store = static_cast<TempStore>(-1); },
       "temp_store=-1 is out of range; valid: temp_store default|file|memory"},
      {[](Config& c) { c.path.clear(); }, "path is empty"},
  };
  for (const auto& k : cases) {
    Config c;
    k.set(c);
    auto msg = invalid([&] { c.validate(); });
    EXPECT_HAS(msg, k.message);
  }
}

TEST(Config, RangeEdgesAreValid) {
  Config c;
  c.busy_timeout_ms = 0;
  c.journal_size_limit_bytes = -1;
  c.mmap_size_bytes = 1LL << 40;
  c.pool_size = 1024;
  c.write_deadline_ms = 86'400'000;
  c.commit_delay_us = 1'000'000;
  EXPECT_NO_THROW(c.validate());
  c = Config::from_url("sqlite://a.db?pool_size=1&checkpoint_pages=10000000&queue_capacity=1");
  EXPECT_NO_THROW(c.validate());
}

// --- JSON --------------------------------------------------------------------------------------

TEST(Config, JsonHasEveryFieldByName) {
  Config c;
  c.synchronous = Synchronous::Full;
  auto j = nlohmann::json::parse(c.to_json());
  EXPECT_EQ(j["path"], "data/sluice.db");
  EXPECT_EQ(j["synchronous"], "full");
  EXPECT_EQ(j["temp_store"], "memory");
  EXPECT_EQ(j["busy_timeout_ms"], 5000);
  EXPECT_EQ(j["cache_size_kib"], 65536);
  EXPECT_EQ(j["wal"], true);
  EXPECT_EQ(j["vfs"], "");
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  std::vector<std::string> want = kFields;
  std::sort(keys.begin(), keys.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(keys, want);
}

TEST(Config, JsonRoundTripsThroughAUrl) {
  const Config changed = all_changed();
  const auto j = nlohmann::json::parse(changed.to_json());
  const auto defaults = nlohmann::json::parse(Config::production().to_json());
  std::string url = "sqlite://" + j["path"].get<std::string>() + "?";
  for (const auto& [key, value] : j.items()) {
    EXPECT_NE(value, defaults[key]) << key << ": all_changed() leaves it at its default";
    if (key != "path") url += key + "=" + text_of(value) + "&";
  }
  EXPECT_EQ(Config::from_url(url).to_json(), changed.to_json()) << url;
}

// Found by the libFuzzer target tests/fuzz/config_url_fuzz.cc: a path or VFS name with bytes
// that are not UTF-8 (Linux paths may hold any bytes) made to_json() throw nlohmann's
// type_error 316 — an exception that is not a sluice::Error.
TEST(Config, ToJsonOfAPathWithBytesThatAreNotUtf8DoesNotThrow) {
  const Config c = Config::from_url("sqlite://%FFdata.db?vfs=%FE");
  EXPECT_EQ(c.path,
            "\xff"
            "data.db");
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(c.to_json()));
  EXPECT_EQ(j["path"],
            "\xef\xbf\xbd"
            "data.db");  // U+FFFD, then the rest
  EXPECT_EQ(j["vfs"], "\xef\xbf\xbd");
}

// Found by the libFuzzer target tests/fuzz/config_env_fuzz.cc: SLUICE_PATH="" was accepted and
// gave a Config that validate() rejects (from_url already refused an empty path).
TEST(Config, FromEnvRejectsAnEmptySluicePath) {
  auto msg = invalid([] {
    Config::from_env(Config::production(), getenv_of({{"SLUICE_PATH", ""}}));
  });
  EXPECT_HAS(msg, "SLUICE_PATH is set but empty");
}

}  // namespace
}  // namespace sluice
