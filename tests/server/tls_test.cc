// `vigil serve` with TLS on a non-loopback address (allowed because TLS and authentication are
// configured): webhook callers authenticate with a client certificate whose CN names the cluster,
// a certificate from another CA fails the handshake, and SIGHUP swaps the server certificate for
// new connections. Uses the test-only material in tests/data/server/tls.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server/serve_process.h"

namespace vigil::server::testing {
namespace {

const std::string kTls = std::string(VIGIL_SOURCE_DIR) + "/tests/data/server/tls/";

// The CN of the certificate the server presents on a new TLS connection to 127.0.0.1:port.
std::string ServerCommonName(int port) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  BIO* bio = BIO_new_ssl_connect(ctx.get());
  const std::string target = "127.0.0.1:" + std::to_string(port);
  BIO_set_conn_hostname(bio, target.c_str());
  std::string cn;
  if (BIO_do_connect(bio) == 1 && BIO_do_handshake(bio) == 1) {
    SSL* ssl = nullptr;
    BIO_get_ssl(bio, &ssl);
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char buf[256] = {};
      int n =
          X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
      if (n > 0) cn.assign(buf, static_cast<size_t>(n));
      X509_free(peer);
    }
  }
  BIO_free_all(bio);
  return cn;
}

std::unique_ptr<httplib::SSLClient> Client(int port,
                                           const std::string& cert = "",
                                           const std::string& key = "") {
  auto cli = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", port, cert, key);
  cli->set_ca_cert_path((kTls + "ca.pem").c_str());
  cli->enable_server_certificate_verification(true);
  cli->set_connection_timeout(5);
  cli->set_read_timeout(30);
  return cli;
}

TEST(ServeTlsTest, ClientCertificatesNameTheClusterAndSighupSwapsTheCertificate) {
  TempDir dir;
  namespace fs = std::filesystem;
  fs::copy_file(kTls + "server.pem", dir.File("tls.pem"));
  fs::copy_file(kTls + "server.key", dir.File("tls.key"));
  WriteFile(dir.File("api.tokens"), "tls-admin admin ops\n");
  WriteFile(dir.File("hook.tokens"), "tls-hook staging\n");
  const std::string db = dir.File("vigil.db");
  ServeProcess p(
      {"--listen", "0.0.0.0:0", "--db", db, "--tls-cert", dir.File("tls.pem"), "--tls-key",
       dir.File("tls.key"), "--client-ca", kTls + "ca.pem", "--api-token-file",
       dir.File("api.tokens"), "--webhook-token-file", dir.File("hook.tokens")},
      dir.File("serve.log"));
  auto port = p.WaitForPort();
  ASSERT_TRUE(port) << p.log();
  const std::string batch = R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]})";

  auto with_cert = Client(*port, kTls + "client-prod.pem", kTls + "client-prod.key");
  auto r = with_cert->Post("/k8s-audit", batch, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["cluster"], "prod");
  auto other = with_cert->Post("/k8s-audit?cluster=staging", batch, "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);

  auto anonymous = Client(*port);
  auto none = anonymous->Post("/k8s-audit", batch, "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  httplib::Headers bearer = {{"Authorization", "Bearer tls-hook"}};
  auto by_token = anonymous->Post("/k8s-audit", bearer, batch, "application/json");
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->status, 200);
  EXPECT_EQ(nlohmann::json::parse(by_token->body)["cluster"], "staging");

  auto rogue = Client(*port, kTls + "rogue.pem", kTls + "rogue.key");
  auto refused = rogue->Post("/k8s-audit", batch, "application/json");
  EXPECT_FALSE(refused && refused->status == 200) << "a certificate from another CA is refused";

  httplib::Client plain("127.0.0.1", *port);
  plain.set_connection_timeout(2);
  plain.set_read_timeout(2);
  auto cleartext = plain.Get("/healthz");
  EXPECT_FALSE(cleartext && cleartext->status == 200);

  EXPECT_EQ(ServerCommonName(*port), "vigil-server");
  fs::copy_file(kTls + "server2.pem", dir.File("tls.pem"), fs::copy_options::overwrite_existing);
  fs::copy_file(kTls + "server2.key", dir.File("tls.key"), fs::copy_options::overwrite_existing);
  p.Signal(SIGHUP);
  std::string cn;
  for (int i = 0; i < 100 && cn != "vigil-server2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cn = ServerCommonName(*port);
  }
  EXPECT_EQ(cn, "vigil-server2");
  // A broken key on the next reload leaves the working certificate in place.
  WriteFile(dir.File("tls.key"), "not a key");
  p.Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(ServerCommonName(*port), "vigil-server2");
  EXPECT_NE(p.log().find("TLS reload failed"), std::string::npos);

  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace vigil::server::testing
