#include "server/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace vigil::server {
namespace {

std::string OpenSslReason() {
  unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace

struct TlsCredentials::Pair {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509) * chain = nullptr;
  ~Pair() {
    X509_free(cert);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
  }
};

TlsCredentials::~TlsCredentials() = default;

Result<std::shared_ptr<TlsCredentials::Pair>> TlsCredentials::Read(const std::string& cert_file,
                                                                   const std::string& key_file) {
  auto p = std::make_shared<Pair>();
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new_file(cert_file.c_str(), "r"),
                                                     BIO_free);
  if (!cert_bio) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("TLS certificate '{}': cannot read the file", cert_file));
  }
  p->cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  if (p->cert == nullptr) {
    return MakeError(
        ErrorCode::kConfig,
        fmt::format("TLS certificate '{}': no PEM certificate ({})", cert_file, OpenSslReason()));
  }
  p->chain = sk_X509_new_null();
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(p->chain, extra);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new_file(key_file.c_str(), "r"), BIO_free);
  if (!key_bio) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("TLS key '{}': cannot read the file", key_file));
  }
  p->key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (p->key == nullptr) {
    ERR_clear_error();
    return MakeError(ErrorCode::kConfig,
                     fmt::format("TLS key '{}': no unencrypted PEM private key", key_file));
  }
  if (X509_check_private_key(p->cert, p->key) != 1) {
    ERR_clear_error();
    return MakeError(
        ErrorCode::kConfig,
        fmt::format("TLS key '{}' does not belong to the certificate '{}'", key_file, cert_file));
  }
  return p;
}

Result<std::unique_ptr<TlsCredentials>> TlsCredentials::Load(std::string cert_file,
                                                             std::string key_file) {
  std::unique_ptr<TlsCredentials> c(new TlsCredentials(std::move(cert_file), std::move(key_file)));
  VIGIL_TRY(c->current_, Read(c->cert_file_, c->key_file_));
  return c;
}

Status TlsCredentials::Reload() {
  VIGIL_TRY(auto fresh, Read(cert_file_, key_file_));
  std::lock_guard lock(mu_);
  current_ = std::move(fresh);
  return Ok();
}

int TlsCredentials::OnCertificate(SSL* ssl, void* arg) {
  auto* self = static_cast<TlsCredentials*>(arg);
  std::shared_ptr<Pair> pair;
  {
    std::lock_guard lock(self->mu_);
    pair = self->current_;
  }
  if (!pair) return 0;
  return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, 1) == 1 ? 1 : 0;
}

Status TlsCredentials::Install(SSL_CTX* ctx, const std::string& client_ca_file) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cert_cb(ctx, &TlsCredentials::OnCertificate, this);
  if (!client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, client_ca_file.c_str(), nullptr) != 1) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("client CA '{}': {}", client_ca_file, OpenSslReason()));
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.c_str());
    if (names == nullptr) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("client CA '{}': no PEM certificate", client_ca_file));
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return Ok();
}

std::optional<std::string> VerifiedClientCommonName(const SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> guard(peer, X509_free);
  if (SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  char cn[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  if (n <= 0) return std::string();
  return std::string(cn, static_cast<size_t>(n));
}

}  // namespace vigil::server
