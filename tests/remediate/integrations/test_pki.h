// Test-only TLS material made fresh by each test with OpenSSL's APIs: a CA, a server certificate
// for 127.0.0.1/localhost signed by it, and client certificates signed by it. Nothing is written
// to the repository; everything lives in memory as PEM text.
#ifndef VIGIL_TESTS_REMEDIATE_INTEGRATIONS_TEST_PKI_H_
#define VIGIL_TESTS_REMEDIATE_INTEGRATIONS_TEST_PKI_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace vigil::remediate::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }
  // A leaf certificate signed by this CA; `server` adds SANs 127.0.0.1 and localhost.
  KeyPair Issue(const std::string& common_name, bool server) const;

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string cert_pem_;
};

// PEM text → objects the caller owns (for httplib::SSLServer).
X509* ParseCert(const std::string& pem);
EVP_PKEY* ParseKey(const std::string& pem);
X509_STORE* ParseStore(const std::string& pem);

}  // namespace vigil::remediate::testing

#endif  // VIGIL_TESTS_REMEDIATE_INTEGRATIONS_TEST_PKI_H_
