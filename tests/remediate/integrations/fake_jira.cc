#include "remediate/integrations/fake_jira.h"

#include <algorithm>
#include <regex>

#include "remediate/base64.h"

namespace vigil::remediate::testing {
namespace {

using json = nlohmann::json;


json Errors(std::vector<std::string> messages, json fields = json::object()) {
  return {{"errorMessages", messages}, {"errors", fields}};
}

json StatusOf(const std::string& name) {
  const bool done = name == "Done";
  return {{"name", name},
          {"statusCategory", {{"key", done ? "done" : "new"}, {"name", done ? "Done" : "To Do"}}}};
}

}  // namespace

FakeJira::FakeJira(const TestCa& ca, std::string email, std::string token)
    : server_(ca.Issue("jira", true), ""), auth_("Basic " + Base64Encode(email + ":" + token)) {
  auto h = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  server_.server().Get("/.*", h);
  server_.server().Post("/.*", h);
  server_.Start();
}

std::vector<FakeJira::Request> FakeJira::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t FakeJira::creates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return creates_;
}

json FakeJira::issue(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = issues_.find(key);
  return it == issues_.end() ? json() : it->second;
}

size_t FakeJira::issue_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return issues_.size();
}

std::string FakeJira::AddIssue(const std::string& summary, const std::string& description,
                               const std::vector<std::string>& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = "SEC-" + std::to_string(next_id_++);
  issues_[key] = {{"summary", summary}, {"description", description}, {"labels", labels},
                  {"status", "To Do"}, {"comments", json::array()}};
  order_.push_back(key);
  return key;
}

void FakeJira::FailNext(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
}

void FakeJira::RateLimitNext(int seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  rate_limit_seconds_ = seconds;
}

void FakeJira::CommitThenFailNextCreate() {
  std::lock_guard<std::mutex> lock(mu_);
  commit_then_fail_ = true;
}

json FakeJira::IssueJson(const std::string& key) const {
  const json& f = issues_.at(key);
  json comments = json::array();
  for (const auto& c : f["comments"]) comments.push_back({{"body", c}});
  json fields = {{"summary", f["summary"]},
                 {"description", f["description"]},
                 {"labels", f["labels"]},
                 {"status", StatusOf(f["status"])},
                 {"resolution", f["status"] == "Done" ? json{{"name", "Done"}} : json(nullptr)},
                 {"comment", {{"comments", comments}, {"total", comments.size()}}}};
  if (f.contains("priority")) fields["priority"] = {{"name", f["priority"]}};
  return {{"id", key.substr(4)}, {"key", key}, {"self", "/rest/api/2/issue/" + key}, {"fields", fields}};
}

void FakeJira::Handle(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard<std::mutex> lock(mu_);
  Request rec{req.method, req.path, req.body, 0, req.get_param_value("startAt")};
  auto reply = [&](int code, const json& body) {
    res.status = code;
    if (!body.is_null()) res.set_content(body.dump(), "application/json");
    rec.status = code;
    requests_.push_back(rec);
  };
  if (req.get_header_value("Authorization") != auth_) {
    return reply(401, Errors({"You are not authenticated. Authentication required to perform this operation."}));
  }
  if (rate_limit_seconds_ > 0) {
    res.set_header("Retry-After", std::to_string(rate_limit_seconds_));
    rate_limit_seconds_ = 0;
    return reply(429, Errors({"Rate limit exceeded."}));
  }
  if (fail_next_ > 0) {
    --fail_next_;
    return reply(500, Errors({"Internal server error"}));
  }
  json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return reply(400, Errors({"Unexpected character in the JSON body"}));
  std::smatch m;
  static const std::regex kIssue(R"(^/rest/api/2/issue/(SEC-\d+)$)");
  static const std::regex kComment(R"(^/rest/api/2/issue/(SEC-\d+)/comment$)");
  static const std::regex kTransitions(R"(^/rest/api/2/issue/(SEC-\d+)/transitions$)");

  if (req.method == "POST" && req.path == "/rest/api/2/issue") {
    const json f = body.value("fields", json::object());
    json errors = json::object();
    if (f.value("project", json::object()).value("key", "") != "SEC") errors["project"] = "valid project is required";
    const std::string type = f.value("issuetype", json::object()).value("name", "");
    if (type != "Task" && type != "Bug") errors["issuetype"] = "Specify a valid issue type";
    if (f.value("summary", "").empty()) errors["summary"] = "You must specify a summary of the issue.";
    if (f.contains("priority")) {
      const std::string p = f["priority"].value("name", "");
      static const std::vector<std::string> kPriorities = {"Highest", "High", "Medium", "Low", "Lowest"};
      if (std::find(kPriorities.begin(), kPriorities.end(), p) == kPriorities.end()) {
        errors["priority"] = "The priority selected is invalid.";
      }
    }
    if (!errors.empty()) return reply(400, Errors({}, errors));
    const std::string key = "SEC-" + std::to_string(next_id_++);
    issues_[key] = {{"summary", f["summary"]}, {"description", f.value("description", "")},
                    {"labels", f.value("labels", json::array())}, {"status", "To Do"},
                    {"comments", json::array()}};
    if (f.contains("priority")) issues_[key]["priority"] = f["priority"]["name"];
    order_.push_back(key);
    ++creates_;
    if (commit_then_fail_) {
      commit_then_fail_ = false;
      return reply(500, Errors({"Internal server error"}));
    }
    return reply(201, {{"id", key.substr(4)}, {"key", key}, {"self", "/rest/api/2/issue/" + key}});
  }
  if (req.method == "GET" && req.path == "/rest/api/2/search") {
    const std::string jql = req.get_param_value("jql");
    static const std::regex kJql(R"re(^project = "(\w+)" AND labels = "([^"]+)" ORDER BY created ASC$)re");
    std::smatch q;
    if (!std::regex_match(jql, q, kJql)) {
      return reply(400, Errors({"Error in the JQL Query: unexpected query '" + jql + "'"}));
    }
    const int start = req.has_param("startAt") ? std::stoi(req.get_param_value("startAt")) : 0;
    int max = req.has_param("maxResults") ? std::stoi(req.get_param_value("maxResults")) : 50;
    max = std::min(max, max_results_cap_);
    std::vector<std::string> hits;
    for (const auto& key : order_) {
      const json& labels = issues_[key]["labels"];
      if (q[1] == "SEC" && std::find(labels.begin(), labels.end(), q[2].str()) != labels.end()) {
        hits.push_back(key);
      }
    }
    json page = json::array();
    for (int i = start; i < static_cast<int>(hits.size()) && i < start + max; ++i) {
      page.push_back(IssueJson(hits[static_cast<size_t>(i)]));
    }
    return reply(200, {{"startAt", start}, {"maxResults", max}, {"total", hits.size()}, {"issues", page}});
  }
  if (std::regex_match(req.path, m, kIssue) && req.method == "GET") {
    if (issues_.count(m[1]) == 0) return reply(404, Errors({"Issue does not exist or you do not have permission to see it."}));
    return reply(200, IssueJson(m[1]));
  }
  if (std::regex_match(req.path, m, kComment) && req.method == "POST") {
    if (issues_.count(m[1]) == 0) return reply(404, Errors({"Issue does not exist or you do not have permission to see it."}));
    if (!body.contains("body") || !body["body"].is_string()) return reply(400, Errors({}, {{"comment", "Comment body can not be empty!"}}));
    issues_[m[1]]["comments"].push_back(body["body"]);
    return reply(201, {{"id", "1"}, {"body", body["body"]}});
  }
  if (std::regex_match(req.path, m, kTransitions)) {
    if (issues_.count(m[1]) == 0) return reply(404, Errors({"Issue does not exist or you do not have permission to see it."}));
    json& issue = issues_[m[1]];
    const bool done = issue["status"] == "Done";
    json transitions = done ? json::array({{{"id", "41"}, {"name", "Reopen"}, {"to", StatusOf("To Do")}}})
                            : json::array({{{"id", "21"}, {"name", "Start Progress"}, {"to", StatusOf("In Progress")}},
                                           {{"id", "31"}, {"name", "Resolve"}, {"to", StatusOf("Done")}}});
    if (req.method == "GET") return reply(200, {{"expand", "transitions"}, {"transitions", transitions}});
    const std::string id = body.value("transition", json::object()).value("id", "");
    auto t = std::find_if(transitions.begin(), transitions.end(), [&](const json& x) { return x["id"] == id; });
    if (t == transitions.end()) {
      return reply(400, Errors({"Transition id '" + id + "' is not valid for this issue."}));
    }
    issue["status"] = (*t)["to"]["name"];
    if (body.contains("update")) {
      for (const auto& c : body["update"].value("comment", json::array())) {
        issue["comments"].push_back(c["add"]["body"]);
      }
    }
    return reply(204, json());
  }
  return reply(404, Errors({"null for uri: " + req.path}));
}

}  // namespace vigil::remediate::testing
