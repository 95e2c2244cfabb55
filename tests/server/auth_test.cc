// HTTP basic auth with rqlite's credentials file: the "*" user, per-user permissions, bcrypt
// and plaintext passwords, 401 (never 403) with WWW-Authenticate.
#include <fstream>

#include "server/auth.h"
#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

std::string basic(const std::string& user, const std::string& password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return "Basic " + out;
}

class AuthTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    const auto file = dir_ / "users.json";
    std::ofstream(file) << R"J([
      {"username": "bob", "password": ")J"
                        << Auth::hash_password("secret1", 4) << R"J(", "perms": ["all"]},
      {"username": "mary", "password": "secret2", "perms": ["query", "backup"]},
      {"username": "*", "perms": ["status", "ready"]}])J";
    ServerOptions o = default_options();
    o.auth_file = file.string();
    start(o);
  }

  unsigned send(http::verb verb, const std::string& target, const std::string& auth,
                const std::string& body = "[\"SELECT 1\"]") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "x");
    if (!auth.empty()) req.set(http::field::authorization, auth);
    if (verb == http::verb::post) req.body() = body;
    req.prepare_payload();
    std::ostringstream raw;
    raw << req;
    client_->send_raw(raw.str());
    auto res = client_->read_response();
    if (res.result_int() == 401) {
      EXPECT_EQ(res.body(), "");
      EXPECT_EQ(res[http::field::www_authenticate], "Basic realm=\"rqlite\"");
    }
    return res.result_int();
  }
};

TEST_F(AuthTest, PermissionsFollowRqlitesRules) {
  const auto post = http::verb::post, get = http::verb::get;
  // "*" grants status and ready to everyone, with or without credentials.
  EXPECT_EQ(send(get, "/status", ""), 200u);
  EXPECT_EQ(send(get, "/readyz", ""), 200u);
  EXPECT_EQ(send(get, "/status", basic("nobody", "x")), 200u);
  // Everything else needs a known user, the right password and the permission.
  EXPECT_EQ(send(post, "/db/execute", ""), 401u);
  EXPECT_EQ(send(post, "/db/execute", basic("bob", "secret1")), 200u);
  EXPECT_EQ(send(post, "/db/execute", basic("bob", "secret1")), 200u);  // the cached check
  EXPECT_EQ(send(post, "/db/execute", basic("bob", "wrong")), 401u);
  EXPECT_EQ(send(post, "/db/execute", basic("bob", "secret1x")), 401u);
  EXPECT_EQ(send(post, "/db/execute", basic("mary", "secret2")), 401u);
  EXPECT_EQ(send(get, "/db/query?q=SELECT%201", basic("mary", "secret2")), 200u);
  EXPECT_EQ(send(get, "/db/backup", basic("mary", "secret2")), 200u);
  EXPECT_EQ(send(post, "/db/request", basic("mary", "secret2")), 401u);  // needs execute too
  EXPECT_EQ(send(post, "/db/request", basic("bob", "secret1")), 200u);
  EXPECT_EQ(send(get, "/db/query?q=SELECT%201", basic("mary", "secret1")), 401u);
  EXPECT_EQ(send(get, "/db/query?q=SELECT%201", "Bearer abc"), 401u);
  EXPECT_EQ(send(http::verb::options, "/db/execute", ""), 200u);
  EXPECT_EQ(status_json()["http"]["auth"], "enabled");
}

TEST(AuthFile, BadFilesAreRefusedWithTheReason) {
  EXPECT_THROW(Auth::parse("{}"), Error);
  EXPECT_THROW(Auth::parse(R"J([{"password": "x"}])J"), Error);
  try {
    Auth::parse(R"J([{"username": "a", "password": "x", "perms": ["everything"]}])J");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown permission 'everything'"), std::string::npos);
  }
  EXPECT_THROW(Auth::parse(R"J([{"username": "a", "password": "$2b$10$short", "perms": []}])J"),
               Error);
  const Auth plain = Auth::parse(R"J([{"username": "a", "password": "x", "perms": ["all"]}])J");
  ASSERT_EQ(plain.warnings().size(), 1u);
}

}  // namespace
}  // namespace sluice::server::testing
