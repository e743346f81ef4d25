#include "remediate/integrations/test_pki.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace vigil::remediate::testing {
namespace {

std::atomic<long> serial{1};

EVP_PKEY* NewKey() { return EVP_EC_gen("P-256"); }

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* NewCert(const std::string& cn, EVP_PKEY* key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24L * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

TestCa::TestCa(const std::string& common_name) {
  key_ = NewKey();
  cert_ = NewCert(common_name, key_);
  X509_set_issuer_name(cert_, X509_get_subject_name(cert_));
  AddExt(cert_, cert_, NID_basic_constraints, "critical,CA:TRUE");
  AddExt(cert_, cert_, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(cert_, cert_, NID_subject_key_identifier, "hash");
  X509_sign(cert_, key_, EVP_sha256());
  cert_pem_ = ToPem(cert_);
}

TestCa::~TestCa() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

KeyPair TestCa::Issue(const std::string& common_name, bool server) const {
  EVP_PKEY* key = NewKey();
  X509* cert = NewCert(common_name, key);
  X509_set_issuer_name(cert, X509_get_subject_name(cert_));
  AddExt(cert, cert_, NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert, cert_, NID_authority_key_identifier, "keyid");
  if (server) {
    AddExt(cert, cert_, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    AddExt(cert, cert_, NID_ext_key_usage, "serverAuth");
  } else {
    AddExt(cert, cert_, NID_ext_key_usage, "clientAuth");
  }
  X509_sign(cert, key_, EVP_sha256());
  KeyPair out{ToPem(cert), ToPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

X509* ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* ParseKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

X509_STORE* ParseStore(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  X509* cert = ParseCert(pem);
  X509_STORE_add_cert(store, cert);
  X509_free(cert);
  return store;
}

}  // namespace vigil::remediate::testing
