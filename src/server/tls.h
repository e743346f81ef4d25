// TlsCredentials: the server certificate and key, swappable while connections are being served.
// Install() points an SSL_CTX's certificate callback at this object, so every new handshake uses
// the credentials current at that moment; Reload() (on SIGHUP) reads the files again and keeps the
// old credentials when the new ones do not load or do not match.
//
// Thread-safety: Reload and the handshake callback may run concurrently (one mutex).
#ifndef VIGIL_SERVER_TLS_H_
#define VIGIL_SERVER_TLS_H_

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"

namespace vigil::server {

class TlsCredentials {
 public:
  // Loads `cert_file` (PEM: the certificate, then any intermediates) and `key_file` (PEM private
  // key). kConfig naming the file when either does not load or the key does not match.
  static Result<std::unique_ptr<TlsCredentials>> Load(std::string cert_file, std::string key_file);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Configures `ctx` for serving: TLS 1.2+, this object's certificate on every handshake, and —
  // when `client_ca_file` is not empty — requests (but does not require) a client certificate
  // signed by that CA; a presented certificate that does not verify fails the handshake.
  // kConfig when the CA file does not load. This object must outlive `ctx`.
  Status Install(SSL_CTX* ctx, const std::string& client_ca_file);

  // Reads the files again. On error the current credentials stay in use.
  Status Reload();

 private:
  struct Pair;
  TlsCredentials(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}
  static Result<std::shared_ptr<Pair>> Read(const std::string& cert_file,
                                            const std::string& key_file);
  static int OnCertificate(SSL* ssl, void* arg);

  std::string cert_file_;
  std::string key_file_;
  std::mutex mu_;
  std::shared_ptr<Pair> current_;
};

// The common name of the verified client certificate on `ssl`; nullopt when the client sent none
// or it did not verify.
std::optional<std::string> VerifiedClientCommonName(const SSL* ssl);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_TLS_H_
