// The HTTP layer: keep-alive, pipelining, limits, the slowloris deadline, the connection limit
// and graceful shutdown.
#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

using HttpTest = ServerTest;

std::string get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

TEST_F(HttpTest, KeepAliveServesManyRequestsOnOneConnection) {
  for (int i = 0; i < 20; ++i) {
    auto res = client_->get("/db/query?q=SELECT%20" + std::to_string(i));
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(server_->metrics().get(Counter::ConnectionsAccepted), 1);
}

TEST_F(HttpTest, PipelinedRequestsAreAnsweredInOrder) {
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY)"])J");
  const std::string body = R"J(["INSERT INTO foo(id) VALUES(NULL)"])J";
  const std::string post =
      "POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  client_->send_raw(get_request("/db/query?q=SELECT%201") + post + post +
                    get_request("/db/query?q=SELECT%20COUNT(*)%20FROM%20foo"));
  EXPECT_EQ(client_->read_response().body(),
            R"J({"results":[{"columns":["1"],"types":["integer"],"values":[[1]]}]})J");
  EXPECT_EQ(client_->read_response().body(),
            R"J({"results":[{"last_insert_id":1,"rows_affected":1}]})J");
  EXPECT_EQ(client_->read_response().body(),
            R"J({"results":[{"last_insert_id":2,"rows_affected":1}]})J");
  EXPECT_EQ(client_->read_response().body(),
            R"J({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[2]]}]})J");
}

TEST_F(HttpTest, OversizedBodyIs413BeforeItIsRead) {
  // Announces 1 GB and sends nothing: refused on the header alone.
  Client c(port());
  c.send_raw("POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n");
  auto res = c.read_response();
  EXPECT_EQ(res.result_int(), 413u);
  // A real body over the limit (64 KiB in the fixture).
  Client d(port());
  const std::string big = "[\"" + std::string(100 * 1024, 'x') + "\"]";
  d.send_raw("POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(big.size()) + "\r\n\r\n");
  EXPECT_EQ(d.read_response().result_int(), 413u);
  EXPECT_EQ(server_->metrics().get(Counter::BodyTooLarge), 2);
  // The server keeps serving.
  EXPECT_EQ(client_->get("/readyz").result_int(), 200u);
}

TEST_F(HttpTest, OversizedHeaderIs431AndGarbageIs400) {
  Client c(port());
  c.send_raw("GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  EXPECT_EQ(c.read_response().result_int(), 431u);
  Client d(port());
  d.send_raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(d.read_response().result_int(), 400u);
  EXPECT_EQ(client_->get("/healthz").result_int(), 200u);
}

TEST_F(HttpTest, SlowClientIsCutAtTheRequestDeadline) {
  ServerOptions o = default_options();
  o.request_deadline = std::chrono::milliseconds(200);
  start(o);
  Client slow(port());
  slow.send_raw("GET /status HTTP/1.1\r\nHo");  // ... and never the rest
  // Other clients are served meanwhile.
  EXPECT_EQ(client_->get("/healthz").result_int(), 200u);
  // The server closes the slow connection without an answer (read_until_closed gives up after
  // 20 s, which would fail here).
  EXPECT_EQ(slow.read_until_closed(), "");
  // Beast closes the socket from its timer before the read handler counts the cut.
  EXPECT_TRUE(eventually([&] { return server_->metrics().get(Counter::DeadlineCuts) == 1; }));
}

TEST_F(HttpTest, ConnectionsOverTheLimitAreClosedAtAccept) {
  ServerOptions o = default_options();
  o.max_connections = 2;
  start(o);  // client_ is connection 1
  Client second(port());
  ASSERT_EQ(second.get("/healthz").result_int(), 200u);  // both are now open sessions
  Client third(port());
  EXPECT_EQ(third.read_until_closed(), "");
  EXPECT_EQ(server_->metrics().get(Counter::ConnectionsRefused), 1);
  EXPECT_EQ(client_->get("/healthz").result_int(), 200u);
}

TEST_F(HttpTest, StopClosesIdleConnectionsAndKeepsAcknowledgedWrites) {
  execute(R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY)", "INSERT INTO foo(id) VALUES(7)"])J");
  Client idle(port());
  ASSERT_EQ(idle.get("/healthz").result_int(), 200u);
  server_->stop();
  EXPECT_EQ(idle.read_until_closed(), "");
  EXPECT_THROW(Client late(port()), boost::system::system_error);
  // Reopen: the acknowledged write is there.
  const std::string path = db_->path();
  db_.reset();
  Database reopened = Database::open(path);
  EXPECT_EQ(reopened.read(
                [](Connection& c) { return c.query("SELECT id FROM foo").scalar<std::int64_t>(); }),
            7);
  reopened.close();
  db_.emplace(Database::open(path));
  server_.reset();
}

}  // namespace
}  // namespace sluice::server::testing
