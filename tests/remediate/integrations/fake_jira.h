// FakeJira: a loopback HTTPS server answering the parts of Jira's REST API v2 that JiraTracker
// uses as Jira does: create issue (400 with errorMessages/errors on a bad project, issue type or
// priority), search with JQL (`project = "K" AND labels = "L"`) paged by startAt/maxResults/total
// with maxResults capped by the server, get issue, comments, workflow transitions (To Do → Done →
// Reopen), basic-auth checks (401), and injected faults: 500 bursts, 429 with Retry-After, and a
// create that is committed but answered with 500. Every request is recorded.
#ifndef VIGIL_TESTS_REMEDIATE_INTEGRATIONS_FAKE_JIRA_H_
#define VIGIL_TESTS_REMEDIATE_INTEGRATIONS_FAKE_JIRA_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "remediate/integrations/loopback_server.h"

namespace vigil::remediate::testing {

class FakeJira {
 public:
  FakeJira(const TestCa& ca, std::string email, std::string token);

  std::string url() const { return server_.url("https"); }

  struct Request {
    std::string method;
    std::string path;
    std::string body;
    int status = 0;
    std::string start_at;  // the search's startAt parameter, "" when absent
  };
  std::vector<Request> requests() const;
  size_t creates() const;  // POST /rest/api/2/issue that answered 201 or committed

  // The issue as stored (fields: summary, description, labels, priority, status, comments).
  nlohmann::json issue(const std::string& key) const;
  size_t issue_count() const;
  // Adds an issue directly (as a person would), returning its key.
  std::string AddIssue(const std::string& summary, const std::string& description,
                       const std::vector<std::string>& labels);

  // The next `n` requests answer 500 (a burst).
  void FailNext(int n);
  // The next request answers 429 with Retry-After: seconds.
  void RateLimitNext(int seconds);
  // The next create is stored but answered with 500.
  void CommitThenFailNextCreate();
  void set_max_results_cap(int n) { max_results_cap_ = n; }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);
  nlohmann::json IssueJson(const std::string& key) const;

  LoopbackServer server_;
  std::string auth_;
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> issues_;  // key → stored fields
  std::vector<std::string> order_;
  std::vector<Request> requests_;
  int next_id_ = 1;
  int fail_next_ = 0;
  int rate_limit_seconds_ = 0;
  bool commit_then_fail_ = false;
  int max_results_cap_ = 50;
  size_t creates_ = 0;
};

}  // namespace vigil::remediate::testing

#endif  // VIGIL_TESTS_REMEDIATE_INTEGRATIONS_FAKE_JIRA_H_
