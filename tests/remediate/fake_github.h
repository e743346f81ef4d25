// FakeGitHub: a local server on loopback that answers the parts of the GitHub Issues REST API vigil
// uses, as GitHub does: POST/GET/PATCH /repos/{o}/{r}/issues[/{n}], POST .../comments, GET the
// issue list with state/labels filters, per_page/page pagination and a Link header; 401 for a
// wrong token, 404/422 with GitHub's error bodies; X-RateLimit-* headers on every answer. Every
// request is recorded. Failures can be injected: the next N answers are HTTP 500, or stall past
// the client's timeout, or are 403 rate-limited with X-RateLimit-Reset.
//
// Used by tests in-process and (through fake_github_main.cc) as a program.
#ifndef VIGIL_TESTS_REMEDIATE_FAKE_GITHUB_H_
#define VIGIL_TESTS_REMEDIATE_FAKE_GITHUB_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace vigil::testing {

class FakeGitHub {
 public:
  struct Request {
    std::string method;
    std::string path;  // with the query string
    std::string body;
    std::string authorization;
  };
  struct Issue {
    int number = 0;
    std::string title;
    std::string body;
    std::string state = "open";
    std::string state_reason;
    std::vector<std::string> labels;
    std::vector<std::string> comments;
  };

  FakeGitHub(std::string repository, std::string token);
  ~FakeGitHub();
  FakeGitHub(const FakeGitHub&) = delete;
  FakeGitHub& operator=(const FakeGitHub&) = delete;

  // Starts listening on 127.0.0.1 at an ephemeral port; returns false when it cannot.
  bool Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT

  // Fault injection: the next `n` requests are answered with 500 / stall for `stall` / 403
  // rate-limited (X-RateLimit-Remaining: 0, Reset one second ahead).
  void FailNext(int n) { fail_next_ = n; }
  void StallNext(int n, std::chrono::milliseconds stall) {
    stall_ms_ = static_cast<int>(stall.count());
    stall_next_ = n;
  }
  void RateLimitNext(int n) { rate_limit_next_ = n; }
  // Process a POST /issues but answer 500 (the create happened, the client does not know).
  void LoseNextCreateAnswer() { lose_create_answer_ = true; }

  std::vector<Request> requests() const;
  std::vector<Issue> issues() const;
  std::size_t CountRequests(const std::string& method, const std::string& path_prefix) const;
  // As a person on github.com would: close with labels, add a label.
  void CloseWithLabel(int number, const std::string& label);
  void AddLabel(int number, const std::string& label);
  void set_page_size_cap(int cap) { page_cap_ = cap; }
  // Adds `n` unrelated issues (labelled vigil) so that the list spans several pages.
  void AddNoise(int n);

 private:
  void Install();

  std::string repository_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::vector<Issue> issues_;
  std::atomic<int> fail_next_{0};
  std::atomic<int> stall_next_{0};
  std::atomic<int> stall_ms_{0};
  std::atomic<int> rate_limit_next_{0};
  std::atomic<bool> lose_create_answer_{false};
  int page_cap_ = 100;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_REMEDIATE_FAKE_GITHUB_H_
