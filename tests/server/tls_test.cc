// HTTPS: with --tls-cert/--tls-key the server speaks TLS (Asio's OpenSSL stream) and the API is
// unchanged; plain HTTP on that port gets no answer; a bad certificate or key stops the start.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <memory>

#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

namespace ssl = boost::asio::ssl;

// A self-signed P-256 certificate for 127.0.0.1 and its key, as PEM files.
void write_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  ASSERT_NE(pkey, nullptr);
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), &X509_free);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  ASSERT_GT(X509_sign(x509.get(), pkey.get(), EVP_sha256()), 0);
  std::FILE* f = std::fopen(cert.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_X509(f, x509.get());
  std::fclose(f);
  f = std::fopen(key.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

// One HTTPS request on a fresh connection that trusts only `ca`.
HttpResponse https_request(std::uint16_t port, const std::filesystem::path& ca, http::verb verb,
                           const std::string& target, const std::string& body = "") {
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca.string());
  ctx.set_verify_mode(ssl::verify_peer);
  boost::beast::ssl_stream<tcp::socket> stream(io, ctx);
  stream.next_layer().connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  stream.handshake(ssl::stream_base::client);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (verb == http::verb::post) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  HttpResponse res;
  http::read(stream, buffer, res);
  return res;
}

class TlsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    cert_ = dir_ / "cert.pem";
    key_ = dir_ / "key.pem";
    write_self_signed(cert_, key_);
  }
  ServerOptions tls_options() const {
    ServerOptions o = default_options();
    o.tls_cert_file = cert_.string();
    o.tls_key_file = key_.string();
    return o;
  }
  std::filesystem::path cert_, key_;
};

TEST_F(TlsTest, TheApiWorksOverHttps) {
  start(tls_options());
  auto res = https_request(port(), cert_, http::verb::post, "/db/execute",
                           R"J(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)",
                               ["INSERT INTO foo(name) VALUES(?)", "fiona"]])J");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res.body(), R"J({"results":[{},{"last_insert_id":1,"rows_affected":1}]})J");
  res = https_request(port(), cert_, http::verb::get,
                      "/db/query?q=" + encode("SELECT id, name FROM foo"));
  EXPECT_EQ(
      res.body(),
      R"J({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]]}]})J");
  EXPECT_EQ(https_request(port(), cert_, http::verb::get, "/healthz").body(), "ok\n");
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortGetsNoAnswer) {
  start(tls_options());
  Client plain(port());
  plain.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string got = plain.read_until_closed();
  EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos) << got;
  // The server still serves TLS clients.
  EXPECT_EQ(https_request(port(), cert_, http::verb::get, "/healthz").body(), "ok\n");
}

TEST_F(TlsTest, ABadCertificateOrKeyStopsTheStart) {
  auto expect_refused = [&](ServerOptions o, const std::string& names) {
    try {
      Server server(*db_, o);
      ADD_FAILURE() << "started with " << names;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
    }
  };
  ServerOptions o = tls_options();
  o.tls_cert_file = (dir_ / "missing.pem").string();
  expect_refused(o, "missing.pem");
  o = tls_options();
  o.tls_key_file = cert_.string();  // a certificate is not a key
  expect_refused(o, "--tls-key");
  o = tls_options();
  o.tls_key_file.clear();
  expect_refused(o, "both --tls-cert and --tls-key");
}

}  // namespace
}  // namespace sluice::server::testing
