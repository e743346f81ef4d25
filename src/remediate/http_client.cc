#include "remediate/http_client.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <thread>

namespace vigil::remediate {
namespace {

using std::chrono::milliseconds;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "[::1]" || host == "localhost";
}

std::string OpenSslReason() {
  unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
}

// A store holding every certificate of `pem`; nullptr when it holds none.
X509_STORE* StoreFromPem(const std::string& pem) {
  BioPtr bio = MemBio(pem);
  X509_STORE* store = X509_STORE_new();
  int n = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++n;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (n == 0) {
    X509_STORE_free(store);
    return nullptr;
  }
  return store;
}

std::string TransportError(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "connection failed";
    case httplib::Error::Read: return "reading the answer failed or timed out";
    case httplib::Error::Write: return "sending the request failed or timed out";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "TLS CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate verification failed (wrong CA or host name)";
    default: return httplib::to_string(e);
  }
}

// Transport errors after which the request certainly never reached the server.
bool NeverSent(httplib::Error e) {
  return e == httplib::Error::Connection || e == httplib::Error::ConnectionTimeout ||
         e == httplib::Error::SSLConnection || e == httplib::Error::SSLServerVerification ||
         e == httplib::Error::SSLLoadingCerts;
}

// TLS verification failures do not get better by retrying.
bool Permanent(httplib::Error e) {
  return e == httplib::Error::SSLServerVerification || e == httplib::Error::SSLLoadingCerts;
}

}  // namespace

// The client certificate and key, parsed once.
struct ClientIdentity {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  ~ClientIdentity() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

std::string HttpResponse::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool IsRetryableStatus(const HttpResponse& response) {
  if (response.status >= 500 || response.status == 429) return true;
  return response.status == 403 && response.Header("x-ratelimit-remaining") == "0";
}

milliseconds ServerRequestedDelay(const HttpResponse& response,
                                  std::chrono::system_clock::time_point now) {
  auto parse_int = [](const std::string& s, long long& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  long long n = 0;
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  if (std::string v = response.Header("retry-after"); !v.empty()) {
    if (parse_int(v, n)) return milliseconds(std::max(0LL, n) * 1000);
    std::tm tm{};
    // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
    if (strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
      long long at = static_cast<long long>(timegm(&tm));
      return milliseconds(std::max(0LL, at - now_s.count()) * 1000);
    }
  }
  if (std::string v = response.Header("x-ratelimit-reset"); !v.empty() && parse_int(v, n)) {
    return milliseconds(std::max(0LL, n - now_s.count()) * 1000);
  }
  if (std::string v = response.Header("ratelimit-reset"); !v.empty() && parse_int(v, n)) {
    return milliseconds(std::max(0LL, n) * 1000);
  }
  return milliseconds(0);
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  std::unique_ptr<HttpClient> c(new HttpClient(std::move(options)));
  std::string_view url = c->options_.base_url;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    c->tls_ = false;
    c->port_ = 80;
    url.remove_prefix(7);
  } else {
    return MakeError(ErrorCode::kConfig,
                     "base URL must start with https:// (or http:// for a loopback host)");
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) c->prefix_ = std::string(url.substr(slash));
  while (!c->prefix_.empty() && c->prefix_.back() == '/') c->prefix_.pop_back();
  if (authority.find('@') != std::string_view::npos) {
    return MakeError(ErrorCode::kConfig,
                     "base URL must not carry credentials; configure a token instead");
  }
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return MakeError(ErrorCode::kConfig, "base URL: bad host");
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return MakeError(ErrorCode::kConfig, "base URL: bad host");
      port = authority.substr(close + 2);
      has_port = true;
    }
    authority = authority.substr(1, close - 1);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    port = authority.substr(colon + 1);
    has_port = true;
    authority = authority.substr(0, colon);
  }
  if (has_port) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      return MakeError(ErrorCode::kConfig, fmt::format("base URL: bad port '{}'", port));
    }
    c->port_ = p;
  }
  if (authority.empty()) return MakeError(ErrorCode::kConfig, "base URL has no host");
  c->host_ = std::string(authority);
  if (!c->tls_ && !IsLoopback(c->host_)) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("base URL for '{}' must use https:// (http:// is only allowed "
                                 "for loopback hosts)",
                                 c->host_));
  }
  if (!c->options_.ca_pem.empty()) {
    X509_STORE* probe = StoreFromPem(c->options_.ca_pem);
    if (probe == nullptr) {
      return MakeError(ErrorCode::kConfig, "CA certificate data holds no PEM certificate");
    }
    X509_STORE_free(probe);
  }
  if (!c->options_.client_cert_pem.empty() || !c->options_.client_key_pem.empty()) {
    auto id = std::make_shared<ClientIdentity>();
    BioPtr cb = MemBio(c->options_.client_cert_pem);
    id->cert = PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr);
    if (id->cert == nullptr) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("client certificate: {}", OpenSslReason()));
    }
    BioPtr kb = MemBio(c->options_.client_key_pem);
    id->key = PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr);
    if (id->key == nullptr) {
      // The reason names the PEM structure, never the key's bytes.
      return MakeError(ErrorCode::kConfig, fmt::format("client key: {}", OpenSslReason()));
    }
    if (X509_check_private_key(id->cert, id->key) != 1) {
      ERR_clear_error();
      return MakeError(ErrorCode::kConfig, "client key does not match the client certificate");
    }
    c->identity_ = std::move(id);
  }
  if (!c->options_.sleep) {
    c->options_.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  }
  c->options_.retry.max_attempts = std::max(1, c->options_.retry.max_attempts);
  return c;
}

HttpClient::~HttpClient() = default;

std::string HttpClient::Describe(std::string_view method, std::string_view path) const {
  if (options_.path_is_secret) return fmt::format("{} {}", method, host_);
  std::string_view p = path.substr(0, path.find('?'));
  return fmt::format("{} {}{}{}", method, host_, prefix_, p);
}

milliseconds HttpClient::Backoff(int attempt) {
  const auto& r = options_.retry;
  long long d = r.initial_backoff.count();
  for (int i = 0; i < attempt && d < r.max_backoff.count(); ++i) d *= 2;
  d = std::min<long long>(d, r.max_backoff.count());
  std::lock_guard<std::mutex> lock(rng_mu_);
  std::uniform_int_distribution<long long> dist(d / 2, std::max(d / 2, d));
  return milliseconds(dist(rng_));
}

void HttpClient::WaitBeforeRetry(int attempt, const HttpResponse* response) {
  milliseconds wait = Backoff(attempt);
  if (response != nullptr) {
    wait = std::max(wait, ServerRequestedDelay(*response, std::chrono::system_clock::now()));
  }
  options_.sleep(std::min(wait, options_.retry.total_budget));
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  const std::string target = prefix_ + request.path;
  httplib::Headers headers;
  for (const auto& [k, v] : options_.headers) headers.emplace(k, v);
  for (const auto& [k, v] : request.headers) headers.emplace(k, v);
  if (headers.find("Accept") == headers.end()) headers.emplace("Accept", "application/json");

  std::string last_error;
  std::optional<HttpResponse> last_response;
  const int max_attempts = options_.retry.max_attempts;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    std::unique_ptr<httplib::ClientImpl> cli;
    if (tls_) {
      auto ssl = identity_ ? std::make_unique<httplib::SSLClient>(host_, port_, identity_->cert,
                                                                  identity_->key)
                           : std::make_unique<httplib::SSLClient>(host_, port_);
      if (!options_.ca_pem.empty()) {
        ssl->set_ca_cert_store(StoreFromPem(options_.ca_pem));  // takes ownership
        // Without a file or directory, httplib would add the system's CAs to this store on
        // first use; a directory that holds nothing keeps trust to the configured CA alone.
        ssl->set_ca_cert_path("", "/nonexistent/vigil-trusts-only-the-configured-ca");
      } else if (!options_.ca_file.empty()) {
        ssl->set_ca_cert_path(options_.ca_file);
      }
      ssl->enable_server_certificate_verification(true);
      cli = std::move(ssl);
    } else {
      cli = std::make_unique<httplib::ClientImpl>(host_, port_);
    }
    auto secs = [](milliseconds d) { return static_cast<time_t>(d.count() / 1000); };
    auto usecs = [](milliseconds d) { return static_cast<time_t>((d.count() % 1000) * 1000); };
    cli->set_connection_timeout(secs(options_.connect_timeout), usecs(options_.connect_timeout));
    cli->set_read_timeout(secs(options_.read_timeout), usecs(options_.read_timeout));
    cli->set_write_timeout(secs(options_.read_timeout), usecs(options_.read_timeout));
    cli->set_keep_alive(false);

    httplib::Request req;
    req.method = request.method;
    req.path = target;
    req.headers = headers;
    if (!request.content_type.empty()) {
      req.headers.emplace("Content-Type", request.content_type);
      req.body = request.body;
    } else if (request.method == "POST" || request.method == "PUT" ||
               request.method == "PATCH") {
      req.body = request.body;
    }
    httplib::Result res = cli->send(req);

    milliseconds wait(0);
    if (res) {
      HttpResponse out;
      out.status = res->status;
      out.body = res->body;
      for (const auto& [k, v] : res->headers) out.headers.emplace(Lower(k), v);
      out.attempts = attempt + 1;
      if (!IsRetryableStatus(out)) return out;
      wait = std::max(Backoff(attempt), ServerRequestedDelay(out, std::chrono::system_clock::now()));
      last_error = fmt::format("HTTP {}", out.status);
      last_response = std::move(out);
      if (!request.idempotent) break;  // it may have been done; the caller checks and decides
    } else {
      const httplib::Error e = res.error();
      last_error = TransportError(e);
      last_response.reset();
      if (Permanent(e) || (!request.idempotent && !NeverSent(e))) break;
      wait = Backoff(attempt);
    }
    if (attempt + 1 >= max_attempts) break;
    if (std::chrono::steady_clock::now() - start + wait > options_.retry.total_budget) {
      last_error += fmt::format(" (a further wait of {} ms would exceed the {} ms budget)",
                                wait.count(), options_.retry.total_budget.count());
      break;
    }
    options_.sleep(wait);
  }
  if (last_response) return std::move(*last_response);
  return MakeError(ErrorCode::kIo,
                   fmt::format("{}: {}", Describe(request.method, request.path), last_error));
}

Result<HttpResponse> HttpClient::Get(std::string path) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return Send(r);
}

Result<HttpResponse> HttpClient::Delete(std::string path) {
  HttpRequest r;
  r.method = "DELETE";
  r.path = std::move(path);
  return Send(r);
}

Result<HttpResponse> HttpClient::SendJson(std::string method, std::string path,
                                          const nlohmann::json& body, std::string content_type) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = body.dump();
  r.content_type = std::move(content_type);
  r.idempotent = r.method != "POST";
  return Send(r);
}

Result<nlohmann::json> ParseJsonBody(const HttpResponse& response, std::string_view what) {
  auto j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kParse,
                     fmt::format("{}: the answer (HTTP {}) is not JSON", what, response.status));
  }
  return j;
}

}  // namespace vigil::remediate
