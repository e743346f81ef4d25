// LoopbackServer: a real httplib server (HTTP, or HTTPS with certificates from test_pki.h) on
// 127.0.0.1 and an ephemeral port, running on its own thread for the life of the object. The fake
// Kubernetes, Jira and webhook servers register their handlers on server() before Start().
#ifndef VIGIL_TESTS_REMEDIATE_INTEGRATIONS_LOOPBACK_SERVER_H_
#define VIGIL_TESTS_REMEDIATE_INTEGRATIONS_LOOPBACK_SERVER_H_

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "remediate/integrations/test_pki.h"

namespace vigil::remediate::testing {

class LoopbackServer {
 public:
  // Plain HTTP.
  LoopbackServer() : server_(std::make_unique<httplib::Server>()) {}
  // HTTPS presenting `identity`; with `client_ca_pem`, client certificates signed by that CA are
  // verified when presented (requests without one still reach the handlers).
  LoopbackServer(const KeyPair& identity, const std::string& client_ca_pem) {
    X509* cert = ParseCert(identity.cert_pem);
    EVP_PKEY* key = ParseKey(identity.key_pem);
    X509_STORE* store = client_ca_pem.empty() ? nullptr : ParseStore(client_ca_pem);
    auto ssl = std::make_unique<httplib::SSLServer>(cert, key, store);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (store != nullptr) {
      // Ask for a certificate but let token-authenticated requests through, as kube-apiserver does.
      SSL_CTX_set_verify(ssl->ssl_context(), SSL_VERIFY_PEER, nullptr);
    }
    server_ = std::move(ssl);
  }
  ~LoopbackServer() { Stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  httplib::Server& server() { return *server_; }

  void Start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // The socket is already listening (bind_to_any_port), so early connections queue; wait only
    // so that Stop() never races listen_after_bind().
    while (!server_->is_running()) std::this_thread::yield();
  }
  void Stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vigil::remediate::testing

#endif  // VIGIL_TESTS_REMEDIATE_INTEGRATIONS_LOOPBACK_SERVER_H_
