// HttpClient: the one HTTP(S) client every remediation integration talks through (Jira, webhooks,
// Slack, the Kubernetes API; GitHub after the merge). It adds what each of them needs and none of
// them should write again: a base URL and default headers, JSON bodies, timeouts, TLS that is
// always verified (against a configurable CA bundle or in-memory PEM, with an optional client
// certificate), and retries with exponential backoff and jitter on connection errors, timeouts,
// 5xx and 429, honouring Retry-After and the rate-limit reset headers, inside a bounded total time.
//
// Errors name the method, the host and the path (without the query string, or without the path
// when the options say the path is itself a secret, as a Slack webhook URL is); they never contain
// a header value, so an Authorization header or token cannot leak through an error.
//
// Thread-safety: Send() may be called from several threads at once; each call uses its own
// connection. An HttpClient owns copies of its options.
#ifndef VIGIL_REMEDIATE_HTTP_CLIENT_H_
#define VIGIL_REMEDIATE_HTTP_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace vigil::remediate {

// How long to wait between attempts and when to give up. Attempt n (0-based) waits a random time
// in [d/2, d] with d = min(max_backoff, initial_backoff * 2^n) ("equal jitter"), or what the
// server asked for (Retry-After, X-RateLimit-Reset/RateLimit-Reset) when that is longer. A wait
// that would end after `total_budget` (counted from the first attempt) is not taken: the last
// answer or error is returned instead.
struct RetryPolicy {
  int max_attempts = 5;  // 1 = no retries
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds total_budget{120'000};
};

struct HttpClientOptions {
  // "https://host[:port][/prefix]". "http://" is accepted only for a loopback host (127.0.0.1,
  // ::1, localhost): credentials never cross a network in clear text.
  std::string base_url;
  // Sent with every request (e.g. Authorization). Never logged nor put into errors.
  std::vector<std::pair<std::string, std::string>> headers;
  // Trust: a PEM bundle file, or PEM text (kubeconfig certificate-authority-data). With neither,
  // the system's CA store. Verification of the server's certificate and host name is always on.
  std::string ca_file;
  std::string ca_pem;
  // An optional client certificate and key, PEM text.
  std::string client_cert_pem;
  std::string client_key_pem;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds read_timeout{30'000};
  RetryPolicy retry;
  // When the path of base_url or of a request carries a secret (Slack and other webhook URLs),
  // errors name only the host.
  bool path_is_secret = false;
  // How to wait between attempts; tests pass one that records and returns at once.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  int attempts = 0;                                 // how many requests it took

  // The first value of a header (name in any case), or "" when absent.
  std::string Header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path;    // appended to the base URL's prefix; may carry a query string
  std::string body;
  std::string content_type;  // empty when there is no body
  std::vector<std::pair<std::string, std::string>> headers;  // in addition to the defaults
  // False for a request that must not be sent twice (a create without an idempotency key): it is
  // then retried only when it certainly did not reach the server (connection refused).
  bool idempotent = true;
};

// Whether an answer is worth another attempt: 5xx, 429, and 403 with X-RateLimit-Remaining: 0
// (GitHub's primary rate limit).
bool IsRetryableStatus(const HttpResponse& response);

// The wait a server asked for in Retry-After (seconds or an HTTP date), X-RateLimit-Reset (epoch
// seconds) or RateLimit-Reset (seconds from now), whichever is present first; zero when none.
std::chrono::milliseconds ServerRequestedDelay(const HttpResponse& response,
                                               std::chrono::system_clock::time_point now);

struct ClientIdentity;

class HttpClient {
 public:
  ~HttpClient();
  // kConfig when the base URL, the CA or the client certificate cannot be used.
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);

  // Sends one logical request, retrying as RetryPolicy says. Returns the final answer whatever
  // its status (the caller decides what a 404 or 409 means); kIo when no answer came (connection
  // refused, TLS failure, timeout) after the retries, naming the last transport error.
  Result<HttpResponse> Send(const HttpRequest& request);

  // Shorthands with a JSON body ("application/json") or none.
  Result<HttpResponse> Get(std::string path);
  Result<HttpResponse> Delete(std::string path);
  Result<HttpResponse> SendJson(std::string method, std::string path, const nlohmann::json& body,
                                std::string content_type = "application/json");

  // "GET host/path" without the query string (or "GET host" when the path is secret): how errors
  // name a request.
  std::string Describe(std::string_view method, std::string_view path) const;

  const std::string& host() const { return host_; }
  const RetryPolicy& retry() const { return options_.retry; }

  // Sleeps as Send() does between attempts: the jittered backoff for attempt `attempt` (0-based),
  // or what `response` asked for when longer. For callers that retry a non-idempotent request
  // themselves after checking it did not happen (a Jira create).
  void WaitBeforeRetry(int attempt, const HttpResponse* response);

 private:
  explicit HttpClient(HttpClientOptions options) : options_(std::move(options)) {}
  std::chrono::milliseconds Backoff(int attempt);

  HttpClientOptions options_;
  bool tls_ = true;
  std::string host_;
  int port_ = 443;
  std::string prefix_;  // path prefix of base_url without a trailing '/'
  std::shared_ptr<ClientIdentity> identity_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

// Decodes a response body as JSON; kParse naming `what` when it is not JSON.
Result<nlohmann::json> ParseJsonBody(const HttpResponse& response, std::string_view what);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_HTTP_CLIENT_H_
