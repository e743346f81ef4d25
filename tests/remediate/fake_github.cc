#include "remediate/fake_github.h"

#include <httplib.h>

#include <algorithm>
#include <ctime>

namespace vigil::testing {
namespace {

using nlohmann::json;

void Error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"message", message},
                       {"documentation_url", "https://docs.github.com/rest"}}
                      .dump(),
                  "application/json; charset=utf-8");
}

}  // namespace

FakeGitHub::FakeGitHub(std::string repository, std::string token)
    : repository_(std::move(repository)), token_(std::move(token)) {}

FakeGitHub::~FakeGitHub() { Stop(); }

std::string FakeGitHub::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

bool FakeGitHub::Start() {
  server_ = std::make_unique<httplib::Server>();
  Install();
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

void FakeGitHub::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<FakeGitHub::Request> FakeGitHub::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<FakeGitHub::Issue> FakeGitHub::issues() const {
  std::lock_guard<std::mutex> lock(mu_);
  return issues_;
}

std::size_t FakeGitHub::CountRequests(const std::string& method,
                                      const std::string& path_prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      requests_.begin(), requests_.end(), [&](const Request& r) {
        return r.method == method && r.path.rfind(path_prefix, 0) == 0;
      }));
}

void FakeGitHub::CloseWithLabel(int number, const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Issue& i : issues_) {
    if (i.number != number) continue;
    i.state = "closed";
    i.state_reason = "not_planned";
    i.labels.push_back(label);
  }
}

void FakeGitHub::AddLabel(int number, const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Issue& i : issues_) {
    if (i.number == number) i.labels.push_back(label);
  }
}

void FakeGitHub::AddNoise(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int k = 0; k < n; ++k) {
    Issue i;
    i.number = static_cast<int>(issues_.size()) + 1;
    i.title = "unrelated " + std::to_string(k);
    i.body = "no marker here";
    i.labels = {"vigil"};
    issues_.push_back(i);
  }
}

void FakeGitHub::Install() {
  const std::string base = "/repos/" + repository_ + "/issues";
  auto issue_json = [this](const Issue& i) {
    json labels = json::array();
    for (const auto& l : i.labels) labels.push_back({{"name", l}});
    return json{{"number", i.number},
                {"title", i.title},
                {"body", i.body},
                {"state", i.state},
                {"state_reason", i.state_reason.empty() ? json(nullptr) : json(i.state_reason)},
                {"labels", labels},
                {"html_url", "https://github.example/" + repository_ + "/issues/" +
                                 std::to_string(i.number)},
                {"comments", i.comments.size()}};
  };
  // Every answer: record, inject faults, check the token, add rate-limit headers.
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::string path = req.path;
    if (!req.params.empty()) {
      std::string q;
      for (const auto& [k, v] : req.params) q += (q.empty() ? "?" : "&") + k + "=" + v;
      path += q;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({req.method, path, req.body, req.get_header_value("Authorization")});
    }
    res.set_header("X-RateLimit-Limit", "5000");
    res.set_header("X-RateLimit-Remaining", "4999");
    res.set_header("X-RateLimit-Reset", std::to_string(std::time(nullptr) + 3600));
    if (stall_next_ > 0) {
      --stall_next_;
      std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms_.load()));
      Error(res, 504, "stalled");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (fail_next_ > 0) {
      --fail_next_;
      Error(res, 500, "Server Error");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (rate_limit_next_ > 0) {
      --rate_limit_next_;
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("X-RateLimit-Reset", std::to_string(std::time(nullptr) + 1));
      Error(res, 403, "API rate limit exceeded");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      Error(res, 401, "Bad credentials");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  server_->Get(base, [this, issue_json, base](const httplib::Request& req,
                                               httplib::Response& res) {
    const std::string state = req.has_param("state") ? req.get_param_value("state") : "open";
    const std::string label = req.get_param_value("labels");
    int per_page = req.has_param("per_page") ? std::stoi(req.get_param_value("per_page")) : 30;
    per_page = std::clamp(per_page, 1, page_cap_);
    const int page = req.has_param("page") ? std::max(1, std::stoi(req.get_param_value("page"))) : 1;
    std::vector<Issue> matching;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Issue& i : issues_) {
        if (state != "all" && i.state != state) continue;
        if (!label.empty() &&
            std::find(i.labels.begin(), i.labels.end(), label) == i.labels.end())
          continue;
        matching.push_back(i);
      }
    }
    // Newest first, as GitHub sorts by default.
    std::reverse(matching.begin(), matching.end());
    json out = json::array();
    const std::size_t from = static_cast<std::size_t>((page - 1) * per_page);
    for (std::size_t k = from; k < matching.size() && k < from + per_page; ++k)
      out.push_back(issue_json(matching[k]));
    const int last = static_cast<int>((matching.size() + per_page - 1) / per_page);
    if (page < last) {
      const std::string q = "?state=" + state + (label.empty() ? "" : "&labels=" + label) +
                            "&per_page=" + std::to_string(per_page);
      res.set_header("Link", "<" + url() + base + q + "&page=" + std::to_string(page + 1) +
                                 ">; rel=\"next\", <" + url() + base + q +
                                 "&page=" + std::to_string(last) + ">; rel=\"last\"");
    }
    res.set_content(out.dump(), "application/json; charset=utf-8");
  });

  server_->Post(base, [this, issue_json](const httplib::Request& req, httplib::Response& res) {
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("title") ||
        !body["title"].is_string() || body["title"].get<std::string>().empty()) {
      res.status = 422;
      res.set_content(json{{"message", "Validation Failed"},
                           {"errors", json::array({{{"resource", "Issue"},
                                                    {"code", "missing_field"},
                                                    {"field", "title"}}})}}
                          .dump(),
                      "application/json");
      return;
    }
    Issue i;
    i.title = body["title"];
    i.body = body.value("body", "");
    if (body.contains("labels"))
      for (const auto& l : body["labels"]) i.labels.push_back(l.get<std::string>());
    json answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      i.number = static_cast<int>(issues_.size()) + 1;
      issues_.push_back(i);
      answer = issue_json(i);
    }
    if (lose_create_answer_.exchange(false)) {
      Error(res, 500, "Server Error");
      return;
    }
    res.status = 201;
    res.set_content(answer.dump(), "application/json");
  });

  server_->Get(base + R"(/(\d+))", [this, issue_json](const httplib::Request& req,
                                                       httplib::Response& res) {
    const int n = std::stoi(req.matches[1]);
    std::lock_guard<std::mutex> lock(mu_);
    for (const Issue& i : issues_) {
      if (i.number == n) {
        res.set_content(issue_json(i).dump(), "application/json");
        return;
      }
    }
    Error(res, 404, "Not Found");
  });

  server_->Patch(base + R"(/(\d+))", [this, issue_json](const httplib::Request& req,
                                                         httplib::Response& res) {
    const int n = std::stoi(req.matches[1]);
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      Error(res, 400, "Problems parsing JSON");
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (Issue& i : issues_) {
      if (i.number != n) continue;
      if (body.contains("state")) {
        const std::string s = body["state"];
        if (s != "open" && s != "closed") {
          res.status = 422;
          res.set_content(json{{"message", "Validation Failed"}}.dump(), "application/json");
          return;
        }
        i.state = s;
        i.state_reason = body.value("state_reason", "");
      }
      res.set_content(issue_json(i).dump(), "application/json");
      return;
    }
    Error(res, 404, "Not Found");
  });

  server_->Post(base + R"(/(\d+)/comments)", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
    const int n = std::stoi(req.matches[1]);
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("body")) {
      res.status = 422;
      res.set_content(json{{"message", "Validation Failed"}}.dump(), "application/json");
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (Issue& i : issues_) {
      if (i.number != n) continue;
      i.comments.push_back(body["body"]);
      res.status = 201;
      res.set_content(json{{"id", i.comments.size()}, {"body", body["body"]}}.dump(),
                      "application/json");
      return;
    }
    Error(res, 404, "Not Found");
  });
}

}  // namespace vigil::testing
