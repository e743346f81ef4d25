// GitHubTracker: one GitHub issue per finding, through the REST API (github.com or GitHub
// Enterprise: api_url https://ghe.example.com/api/v3).
//
// Settings (TrackerConfig::settings), each defaulting to what GitHub Actions sets:
//   api_url     GITHUB_API_URL, else https://api.github.com
//   repository  GITHUB_REPOSITORY ("owner/name")
//   token_file  a file holding the token (first line), or
//   token_env   the environment variable holding it (default GITHUB_TOKEN)
// The token is never taken from the command line and never appears in errors or logs.
//
// FindByFinding lists the repository's issues labelled `vigil` (state=all, 100 per page, following
// the Link header) and returns the one whose body carries TicketMarker(). Every request is retried
// on 5xx, 429, a 403 with X-RateLimit-Remaining: 0, connection failures and timeouts, waiting
// Retry-After or until X-RateLimit-Reset (capped by max_wait), else exponential backoff.
//
// Not thread-safe: one per thread.
#ifndef VIGIL_REMEDIATE_GITHUB_TRACKER_H_
#define VIGIL_REMEDIATE_GITHUB_TRACKER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "remediate/config.h"
#include "remediate/interfaces.h"

namespace vigil::remediate {

struct GitHubOptions {
  std::string name = "github";
  std::string api_url;     // scheme://host[:port][/prefix]
  std::string repository;  // owner/name
  std::string token;       // resolved, never logged
  std::vector<std::string> labels;
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_wait{60000};  // longest single wait (Retry-After, reset)
  std::chrono::milliseconds timeout{10000};   // connect and read timeout per request
  // How the tracker waits between attempts (tests record instead of sleeping long).
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Resolves `config` with the environment `env` (name → value; the process environment when
// null): api_url, repository, token from token_file or token_env. kConfig naming what is missing
// (never the token's value); kIo when the token file cannot be read.
Result<GitHubOptions> ResolveGitHubOptions(const TrackerConfig& config,
                                           const std::map<std::string, std::string>* env = nullptr);

class GitHubTracker final : public Tracker {
 public:
  // kConfig when api_url is not an http(s) URL or repository is not owner/name.
  static Result<std::unique_ptr<GitHubTracker>> Create(GitHubOptions options);
  ~GitHubTracker() override;

  const std::string& name() const override { return o_.name; }
  Result<std::optional<TicketRef>> FindByFinding(std::string_view finding_id) override;
  Result<TicketRef> Open(const TicketContent& content) override;
  Status Comment(const TicketRef& ticket, std::string_view markdown) override;
  Status Close(const TicketRef& ticket, std::string_view markdown) override;
  Status Reopen(const TicketRef& ticket, std::string_view markdown) override;
  Result<TicketRef> Fetch(const TicketRef& ticket) override;

  // Requests sent, including retries (for status and tests).
  std::size_t requests() const { return requests_; }

 private:
  struct Response {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
  };
  explicit GitHubTracker(GitHubOptions o);
  Result<Response> Send(std::string_view method, const std::string& path, const std::string& body);
  Result<nlohmann::json> Call(std::string_view method,
                              const std::string& path,
                              const nlohmann::json& body,
                              int expect);
  TicketRef RefOf(const nlohmann::json& issue) const;

  GitHubOptions o_;
  std::string scheme_host_port_;
  std::string prefix_;  // "/api/v3" for GitHub Enterprise
  std::size_t requests_ = 0;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_GITHUB_TRACKER_H_
