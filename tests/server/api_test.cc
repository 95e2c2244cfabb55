// The rqlite API over real HTTP: body forms, parameters, result shapes byte for byte (rqlite's
// own expected strings, from its system tests), transactions, queued writes, status endpoints.
#include <thread>
#include <vector>

#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

constexpr const char* kCreateFoo =
    R"J(["CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER)"])J";

using ApiTest = ServerTest;

TEST_F(ApiTest, ExecuteAndQueryGiveRqlitesShapes) {
  EXPECT_EQ(execute(kCreateFoo), R"J({"results":[{}]})J");
  EXPECT_EQ(execute(R"J(["INSERT INTO foo(name, age) VALUES(\"fiona\", 20)"])J"),
            R"J({"results":[{"last_insert_id":1,"rows_affected":1}]})J");
  EXPECT_EQ(
      query_get("SELECT id, name FROM foo"),
      R"J({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]]}]})J");
  // An empty result keeps columns and types but has no "values" key (rqlite-js relies on it).
  EXPECT_EQ(query_get("SELECT id, name FROM foo WHERE id = 99"),
            R"J({"results":[{"columns":["id","name"],"types":["integer","text"]}]})J");
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[1]]}]})J");
  EXPECT_EQ(query_get("SELECT * FROM bar"), R"J({"results":[{"error":"no such table: bar"}]})J");
  EXPECT_EQ(execute(R"J(["INSERT blah blah"])J"),
            R"J({"results":[{"error":"near \"blah\": syntax error"}]})J");
}

TEST_F(ApiTest, DropTableReportsTheStaleCountersAsRqliteDoes) {
  execute(kCreateFoo);
  execute(R"J(["INSERT INTO foo(name) VALUES(\"fiona\")"])J");
  EXPECT_EQ(execute(R"J(["DROP TABLE foo"])J"),
            R"J({"results":[{"last_insert_id":1,"rows_affected":1}]})J");
}

TEST_F(ApiTest, PositionalNamedNullAndMixedParameters) {
  execute(kCreateFoo);
  EXPECT_EQ(
      execute(R"J([["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20],
                        ["INSERT INTO foo(name, age) VALUES(:name, :age)", {"name": "declan", "age": 30}],
                        ["INSERT INTO foo(name, age) VALUES(@name, $age)", {"name": "sinead", "age": null}],
                        "INSERT INTO foo(name, age) VALUES('aoife', 40)"])J"),
      R"J({"results":[{"last_insert_id":1,"rows_affected":1},{"last_insert_id":2,"rows_affected":1},)J"
      R"J({"last_insert_id":3,"rows_affected":1},{"last_insert_id":4,"rows_affected":1}]})J");
  auto res = client_->post(
      "/db/query", R"J([["SELECT name, age FROM foo WHERE id IN (?, ?) ORDER BY id", 2, 3]])J");
  EXPECT_EQ(
      res.body(),
      R"J({"results":[{"columns":["name","age"],"types":["text","integer"],"values":[["declan",30],["sinead",null]]}]})J");
  // A parameter cannot inject SQL.
  execute(R"J([["INSERT INTO foo(name) VALUES(?)", "x\"); DROP TABLE foo; --"]])J");
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[5]]}]})J");
}

TEST_F(ApiTest, BlobsAsHexStringsByteArraysBase64AndBlobArray) {
  execute(R"J(["CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB)"])J");
  execute(
      R"J([["INSERT INTO b(data) VALUES(?)", "x'deadbeef'"], ["INSERT INTO b(data) VALUES(?)", [222,173,190,239]],
              "INSERT INTO b(data) VALUES('fiona')"])J");
  EXPECT_EQ(
      query_get("SELECT data FROM b ORDER BY id"),
      R"J({"results":[{"columns":["data"],"types":["blob"],"values":[["3q2+7w=="],["3q2+7w=="],["fiona"]]}]})J");
  EXPECT_EQ(
      query_get("SELECT data FROM b WHERE id = 1", "&blob_array"),
      R"J({"results":[{"columns":["data"],"types":["blob"],"values":[[[222,173,190,239]]]}]})J");
  auto bad = client_->post("/db/execute", R"J([["INSERT INTO b(data) VALUES(?)", [1, 256]]])J");
  EXPECT_EQ(bad.result_int(), 400u);
}

TEST_F(ApiTest, LargeIntegersRealsAndUnicodeRoundTrip) {
  execute(R"J(["CREATE TABLE v (i INTEGER, r REAL, t TEXT)"])J");
  execute(R"J([["INSERT INTO v VALUES(?, ?, ?)", 9223372036854775807, 3.0, "こんにちは <&>"],
              ["INSERT INTO v VALUES(?, ?, ?)", -9223372036854775808, 1e-7, "tab\t"]])J");
  EXPECT_EQ(
      query_get("SELECT i, r, t FROM v ORDER BY rowid"),
      R"J({"results":[{"columns":["i","r","t"],"types":["integer","real","text"],"values":[)J"
      R"J([9223372036854775807,3,"こんにちは \u003c\u0026\u003e"],[-9223372036854775808,1e-7,"tab\t"]]}]})J");
  // REALs as Go's encoding/json writes them: the shortest digits, zero-padded below 1e21.
  EXPECT_EQ(query_get("SELECT 9223372036854775807.0, -123456789012345678.0, 0.000123, 1e20, 1e21, "
                      "61.5, 0.0"),
            R"J({"results":[{"columns":["9223372036854775807.0","-123456789012345678.0",)J"
            R"J("0.000123","1e20","1e21","61.5","0.0"],"types":["real","real","real","real",)J"
            R"J("real","real","real"],"values":[[9223372036854776000,-123456789012345680,)J"
            R"J(0.000123,100000000000000000000,1e+21,61.5,0]]}]})J");
}

TEST_F(ApiTest, TextPlainBodiesAndMultiStatementStrings) {
  auto res = client_->post("/db/execute", "CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)",
                           "text/plain");
  EXPECT_EQ(res.body(), R"J({"results":[{}]})J");
  execute(R"J(["CREATE TABLE bar (id INTEGER PRIMARY KEY, name TEXT)"])J");
  // rqlite's Test_SingleNodeSQLInjection: every statement runs; the last one's result.
  EXPECT_EQ(
      execute(
          R"J(["INSERT INTO foo(name) VALUES(\"alice\");DROP TABLE foo;INSERT INTO bar(name) VALUES(\"bob\")"])J"),
      R"J({"results":[{"last_insert_id":1,"rows_affected":1}]})J");
  EXPECT_EQ(query_get("SELECT * FROM foo"), R"J({"results":[{"error":"no such table: foo"}]})J");
  auto empty = client_->post("/db/query", "", "text/plain");
  EXPECT_EQ(empty.body(), R"J({"results":[]})J");
}

TEST_F(ApiTest, TransactionStopsAtTheFirstErrorAndRollsBackTheRequest) {
  execute(kCreateFoo);
  EXPECT_EQ(
      execute(
          R"J(["INSERT INTO foo(id, name) VALUES(1, \"a\")", "INSERT INTO foo(id, name) VALUES(2, \"b\")",
                        "INSERT INTO foo(id, name) VALUES(1, \"c\")", "INSERT INTO foo(id, name) VALUES(4, \"d\")"])J",
          "?transaction"),
      R"J({"results":[{"last_insert_id":1,"rows_affected":1},{"last_insert_id":2,"rows_affected":1},)J"
      R"J({"error":"UNIQUE constraint failed: foo.id"}]})J");
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[0]]}]})J");
  // Without ?transaction each statement stands alone: the good ones stay.
  execute(
      R"J(["INSERT INTO foo(id, name) VALUES(1, \"a\")", "INSERT INTO foo(id, name) VALUES(1, \"b\")",
              "INSERT INTO foo(id, name) VALUES(3, \"c\")"])J");
  EXPECT_EQ(query_get("SELECT id FROM foo ORDER BY id"),
            R"J({"results":[{"columns":["id"],"types":["integer"],"values":[[1],[3]]}]})J");
}

TEST_F(ApiTest, ConcurrentRequestsAllCommit) {
  execute(kCreateFoo);
  constexpr int kClients = 16, kEach = 5;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client client(port());
      for (int i = 0; i < kEach; ++i) {
        auto res = client.post("/db/execute", "[[\"INSERT INTO foo(name) VALUES(?)\", \"c" +
                                                  std::to_string(c) + "\"]]");
        if (res.result_int() == 200 && res.body().find("rows_affected\":1") != std::string::npos) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[80]]}]})J");
}

TEST_F(ApiTest, AssociativePrettyAndTimings) {
  execute(kCreateFoo);
  EXPECT_EQ(
      execute(R"J([["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20]])J", "?associative"),
      R"J({"results":[{"last_insert_id":1,"rows_affected":1,"rows":null}]})J");
  EXPECT_EQ(
      query_get("SELECT * FROM foo", "&associative"),
      R"J({"results":[{"types":{"age":"integer","id":"integer","name":"text"},"rows":[{"age":20,"id":1,"name":"fiona"}]}]})J");
  EXPECT_EQ(
      query_get("SELECT * FROM foo WHERE id = 7", "&associative"),
      R"J({"results":[{"types":{"age":"integer","id":"integer","name":"text"},"rows":[]}]})J");
  EXPECT_EQ(
      query_get("SELECT name FROM foo", "&pretty"),
      "{\n    \"results\": [\n        {\n            \"columns\": [\n                \"name\"\n"
      "            ],\n            \"types\": [\n                \"text\"\n            ],\n"
      "            \"values\": [\n                [\n                    \"fiona\"\n"
      "                ]\n            ]\n        }\n    ]\n}");
  const auto timed = nlohmann::json::parse(query_get("SELECT name FROM foo", "&timings"));
  EXPECT_GT(timed["time"].get<double>(), 0);
  EXPECT_GT(timed["results"][0]["time"].get<double>(), 0);
}

TEST_F(ApiTest, RequestEndpointRoutesReadsAndWrites) {
  execute(kCreateFoo);
  auto mixed =
      client_->post("/db/request", R"J([["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20],
                                                 ["SELECT name FROM foo"], ["SELECT * FROM bar"]])J");
  EXPECT_EQ(
      mixed.body(),
      R"J({"results":[{"last_insert_id":1,"rows_affected":1},{"columns":["name"],"types":["text"],"values":[["fiona"]]},)J"
      R"J({"error":"no such table: bar"}]})J");
  auto reads = client_->post("/db/request", R"J(["SELECT COUNT(*) FROM foo"])J");
  EXPECT_EQ(reads.body(),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[1]]}]})J");
}

TEST_F(ApiTest, QueuedWritesAnswerWithSequenceNumbers) {
  execute(kCreateFoo);
  // rqlite's QueuedResponseRegex: ^{"results":\[\],"sequence_number":\d+}$ (std::regex is
  // avoided: GCC 12 warns inside it under ASan).
  const auto queued_shape = [](const std::string& body) {
    const std::string head = R"J({"results":[],"sequence_number":)J";
    if (body.rfind(head, 0) != 0 || body.size() < head.size() + 2 || body.back() != '}')
      return false;
    const std::string digits = body.substr(head.size(), body.size() - head.size() - 1);
    return digits.find_first_not_of("0123456789") == std::string::npos;
  };
  auto first = client_->post("/db/execute?queue", R"J(["INSERT INTO foo(name) VALUES(\"q1\")"])J");
  ASSERT_EQ(first.result_int(), 200u);
  EXPECT_TRUE(queued_shape(first.body())) << first.body();
  auto waited =
      client_->post("/db/execute?queue&wait", R"J(["INSERT INTO foo(name) VALUES(\"q2\")"])J");
  EXPECT_TRUE(queued_shape(waited.body())) << waited.body();
  const auto n1 = nlohmann::json::parse(first.body())["sequence_number"].get<std::int64_t>();
  const auto n2 = nlohmann::json::parse(waited.body())["sequence_number"].get<std::int64_t>();
  EXPECT_GT(n2, n1);
  // ?wait answers after the commit, and the queue is FIFO: both rows are visible now.
  EXPECT_EQ(query_get("SELECT COUNT(*) FROM foo"),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[2]]}]})J");
  EXPECT_EQ(status_json()["http"]["queue"]["_default"]["sequence_number"].get<std::int64_t>(), n2);
  EXPECT_EQ(client_->post("/db/execute?queue&wait", "[]").result_int(), 200u);
  auto none = client_->post("/db/execute?queue", "[]");
  EXPECT_EQ(none.result_int(), 400u);
  EXPECT_EQ(none.body(), "no statements\n");
}

TEST_F(ApiTest, StatusReadyzHealthzNodesAndRouting) {
  auto status = client_->get("/status?q%5BuseLeader%5D=true");
  EXPECT_EQ(status.result_int(), 200u);
  EXPECT_EQ(status[http::field::content_type], "application/json; charset=utf-8");
  EXPECT_FALSE(status["X-RQLITE-VERSION"].empty());
  const auto j = nlohmann::json::parse(status.body());
  for (const char* key : {"build", "http", "node", "runtime", "store"})
    EXPECT_TRUE(j.contains(key));
  EXPECT_TRUE(j["store"]["ready"].get<bool>());
  auto ready = client_->get("/readyz");
  EXPECT_EQ(ready.result_int(), 200u);
  EXPECT_EQ(ready.body(), "[+]node ok\n[+]leader ok\n[+]store ok");
  EXPECT_EQ(client_->get("/readyz?noleader").body(), "[+]node ok\n[+]store ok");
  EXPECT_EQ(client_->get("/healthz").result_int(), 200u);
  const auto nodes = nlohmann::json::parse(client_->get("/nodes?ver=2").body());
  EXPECT_TRUE(nodes["nodes"][0]["leader"].get<bool>());
  EXPECT_EQ(client_->get("/db/xxx").result_int(), 404u);
  EXPECT_EQ(client_->post("/xxx", "").result_int(), 404u);
  EXPECT_EQ(client_->get("/db/execute").result_int(), 405u);
  EXPECT_EQ(client_->post("/status", "").result_int(), 405u);
  EXPECT_EQ(client_->post("/nodes", "").result_int(), 405u);
  EXPECT_EQ(client_->request(http::verb::options, "/db/execute").result_int(), 200u);
}

TEST_F(ApiTest, BadInputGetsRqlitesStatusAndMessage) {
  auto check = [&](const std::string& target, const std::string& body, unsigned status,
                   const std::string& message) {
    auto res = body.empty() && target.find("/db/query") == 0 ? client_->get(target)
                                                             : client_->post(target, body);
    EXPECT_EQ(res.result_int(), status) << target << " " << body;
    EXPECT_EQ(res.body(), message + "\n") << target << " " << body;
  };
  check("/db/execute", "[bad", 400, "invalid JSON body");
  check("/db/execute", R"J({"sql": "x"})J", 400, "invalid request");
  check("/db/execute", "[]", 400, "no statements");
  check("/db/query", "[]", 400, "no statements");
  check("/db/request", "[]", 400, "no statements");
  check("/db/execute", R"J([["INSERT INTO t VALUES(?)", {"a": {"b": 1}}]])J", 400,
        "unsupported type: object");
  check("/db/query?q=", "", 400, "query parameter not set");
  check("/db/query?q=SELECT%201&freshness=5", "", 400, "freshness is not a valid duration");
  check("/db/query?q=SELECT%201&level=fast", "", 400,
        "level must be none, weak, strong, linearizable or auto, not 'fast'");
  check("/db/execute?timeout=soon", "[\"SELECT 1\"]", 400, "timeout is not a valid duration");
  check("/db/query?q=SELECT%201&freshness_strict", "", 400, "freshness_strict requires freshness");
  std::string many = "[";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + "\"SELECT 1\"";
  many += "]";
  check("/db/execute", many, 400,
        "too many statements: 1001 (the limit is 1000, --max-statements)");
  // Valid levels and durations are accepted.
  for (const char* p : {"&level=none&freshness=1s", "&level=weak", "&level=STRONG",
                        "&level=linearizable&linearizable_timeout=1m30s"}) {
    EXPECT_EQ(client_->get(std::string("/db/query?q=SELECT%201") + p).result_int(), 200u) << p;
  }
}

TEST_F(ApiTest, MetricsExposeHttpAndEngineFigures) {
  execute(kCreateFoo);
  client_->get("/nope");
  auto res = client_->get("/metrics");
  ASSERT_EQ(res.result_int(), 200u);
  const std::string& m = res.body();
  EXPECT_NE(m.find("sluice_http_requests_total{endpoint=\"execute\",code=\"200\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find("sluice_http_requests_total{endpoint=\"other\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find("sluice_http_request_duration_seconds_count{endpoint=\"execute\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find("sluice_commits_total"), std::string::npos);
  EXPECT_NE(m.find("sluice_write_latency_microseconds"), std::string::npos);
  // The same table drives /status.
  const auto j = status_json();
  EXPECT_EQ(j["http"]["metrics"]["requests"]["execute"]["by_status"]["200"].get<int>(), 1);
}

TEST_F(ApiTest, DashboardPageAndConsoleRedirect) {
  auto page = client_->get("/");
  EXPECT_EQ(page.result_int(), 200u);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(page.body().find("<canvas"), std::string::npos);
  EXPECT_NE(page.body().find("/db/query?q="), std::string::npos);
  EXPECT_NE(page.body().find("fetch('/status')"), std::string::npos);
  EXPECT_EQ(page.body().find("http://"), std::string::npos);  // self-contained
  for (const char* path : {"/console", "/console/"}) {
    auto redirect = client_->get(path);
    EXPECT_EQ(redirect.result_int(), 302u);
    EXPECT_EQ(redirect[http::field::location], "/");
  }
}

}  // namespace
}  // namespace sluice::server::testing
