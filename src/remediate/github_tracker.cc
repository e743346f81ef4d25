#include "remediate/github_tracker.h"

#include <fmt/format.h>
#include <httplib.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <thread>

namespace vigil::remediate {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Setting(const TrackerConfig& c, const std::string& key) {
  auto it = c.settings.find(key);
  return it == c.settings.end() ? std::string() : it->second;
}

std::string Env(const std::map<std::string, std::string>* env, const std::string& key) {
  if (env != nullptr) {
    auto it = env->find(key);
    return it == env->end() ? std::string() : it->second;
  }
  const char* v = std::getenv(key.c_str());
  return v == nullptr ? std::string() : std::string(v);
}

// The next page from a Link header: <https://api.github.com/...&page=2>; rel="next".
std::string NextLink(const std::string& link) {
  static const std::regex kNext(R"re(<([^>]+)>\s*;\s*rel="next")re");
  std::smatch m;
  if (std::regex_search(link, m, kNext)) return m[1];
  return "";
}

// The string at `key`, or "" when it is missing or not a string (GitHub's answers are outside
// input: json::value() would throw on a wrong type).
std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<GitHubOptions> ResolveGitHubOptions(const TrackerConfig& c,
                                           const std::map<std::string, std::string>* env) {
  GitHubOptions o;
  o.name = c.name;
  o.labels = c.labels;
  o.api_url = Setting(c, "api_url");
  if (o.api_url.empty()) o.api_url = Env(env, "GITHUB_API_URL");
  if (o.api_url.empty()) o.api_url = "https://api.github.com";
  o.repository = Setting(c, "repository");
  if (o.repository.empty()) o.repository = Env(env, "GITHUB_REPOSITORY");
  if (o.repository.empty()) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("tracker '{}': no repository (set repository: owner/name, or "
                                 "GITHUB_REPOSITORY)",
                                 c.name));
  }
  const std::string file = Setting(c, "token_file");
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("tracker '{}': cannot read token_file '{}'", c.name, file));
    }
    std::getline(in, o.token);
    o.token = Trim(o.token);
    if (o.token.empty()) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("tracker '{}': token_file '{}' is empty", c.name, file));
    }
  } else {
    std::string var = Setting(c, "token_env");
    if (var.empty()) var = "GITHUB_TOKEN";
    o.token = Env(env, var);
    if (o.token.empty()) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("tracker '{}': no token: the environment variable {} is not "
                                   "set (or give token_file)",
                                   c.name, var));
    }
  }
  for (const auto& [key, value] : c.settings) {
    if (key != "api_url" && key != "repository" && key != "token_file" && key != "token_env") {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("tracker '{}': unknown setting '{}' (api_url, repository, "
                                   "token_env, token_file, labels)",
                                   c.name, key));
    }
  }
  return o;
}

GitHubTracker::GitHubTracker(GitHubOptions o) : o_(std::move(o)) {}
GitHubTracker::~GitHubTracker() = default;

Result<std::unique_ptr<GitHubTracker>> GitHubTracker::Create(GitHubOptions o) {
  static const std::regex kUrl(R"(^(https?://[^/]+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(o.api_url, m, kUrl)) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("tracker '{}': api_url '{}' is not an http(s) URL", o.name,
                                 o.api_url));
  }
  static const std::regex kRepo(R"(^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$)");
  if (!std::regex_match(o.repository, kRepo)) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("tracker '{}': repository '{}' is not owner/name", o.name,
                                 o.repository));
  }
  if (!o.sleep) o.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  auto t = std::unique_ptr<GitHubTracker>(new GitHubTracker(std::move(o)));
  t->scheme_host_port_ = m[1];
  t->prefix_ = m[2];
  while (!t->prefix_.empty() && t->prefix_.back() == '/') t->prefix_.pop_back();
  return t;
}

Result<GitHubTracker::Response> GitHubTracker::Send(std::string_view method,
                                                    const std::string& path,
                                                    const std::string& body) {
  httplib::Client client(scheme_host_port_);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(o_.timeout);
  const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(o_.timeout - secs);
  client.set_connection_timeout(secs.count(), usecs.count());
  client.set_read_timeout(secs.count(), usecs.count());
  client.set_write_timeout(secs.count(), usecs.count());
  client.set_follow_location(false);
  httplib::Headers headers = {{"Accept", "application/vnd.github+json"},
                              {"X-GitHub-Api-Version", "2022-11-28"},
                              {"User-Agent", "vigil-remediation"},
                              {"Authorization", "Bearer " + o_.token}};
  std::chrono::milliseconds backoff = o_.initial_backoff;
  std::string last_error;
  for (int attempt = 1; attempt <= o_.max_attempts; ++attempt) {
    ++requests_;
    httplib::Result r = method == "GET"    ? client.Get(path, headers)
                        : method == "POST" ? client.Post(path, headers, body, "application/json")
                                           : client.Patch(path, headers, body, "application/json");
    std::chrono::milliseconds wait = backoff;
    if (!r) {
      last_error = fmt::format("{} {}: {}", method, path, httplib::to_string(r.error()));
    } else {
      Response resp;
      resp.status = r->status;
      resp.body = r->body;
      for (const auto& [k, v] : r->headers) resp.headers[Lower(k)] = v;
      const bool rate_limited =
          r->status == 429 ||
          (r->status == 403 && resp.headers.count("x-ratelimit-remaining") != 0 &&
           resp.headers["x-ratelimit-remaining"] == "0");
      if (r->status < 500 && !rate_limited) return resp;
      last_error = fmt::format("{} {}: HTTP {}", method, path, r->status);
      if (auto it = resp.headers.find("retry-after"); it != resp.headers.end()) {
        wait = std::chrono::seconds(std::atol(it->second.c_str()));
      } else if (rate_limited && resp.headers.count("x-ratelimit-reset") != 0) {
        const long reset = std::atol(resp.headers["x-ratelimit-reset"].c_str());
        const long now = static_cast<long>(std::time(nullptr));
        wait = std::chrono::seconds(reset > now ? reset - now : 1);
      }
    }
    if (attempt == o_.max_attempts) break;
    o_.sleep(std::min(wait, o_.max_wait));
    backoff *= 2;
  }
  return MakeError(ErrorCode::kIo, fmt::format("GitHub {}: gave up after {} attempt(s): {}",
                                               o_.repository, o_.max_attempts, last_error));
}

Result<json> GitHubTracker::Call(std::string_view method,
                                 const std::string& path,
                                 const json& body,
                                 int expect) {
  VIGIL_TRY(Response r, Send(method, prefix_ + path, body.is_null() ? "" : body.dump()));
  if (r.status != expect) {
    std::string message;
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded()) message = Str(j, "message");
    return MakeError(r.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo,
                     fmt::format("GitHub {} {}: HTTP {}{}", method, path, r.status,
                                 message.empty() ? "" : ": " + message.substr(0, 300)));
  }
  if (r.body.empty()) return json::object();
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kParse, fmt::format("GitHub {} {}: the answer is not JSON", method,
                                                    path));
  }
  return j;
}

TicketRef GitHubTracker::RefOf(const json& issue) const {
  TicketRef t;
  t.tracker = o_.name;
  t.key = issue.contains("number") && issue["number"].is_number_integer()
              ? std::to_string(issue["number"].get<std::int64_t>())
              : "";
  t.url = Str(issue, "html_url");
  t.state = Str(issue, "state") == "closed" ? TicketState::kClosed : TicketState::kOpen;
  if (issue.contains("labels") && issue["labels"].is_array()) {
    for (const auto& l : issue["labels"]) {
      if (l.is_object() && l.contains("name") && l["name"].is_string())
        t.labels.push_back(l["name"].get<std::string>());
      else if (l.is_string())
        t.labels.push_back(l.get<std::string>());
    }
  }
  t.closed_reason = Str(issue, "state_reason");
  return t;
}

Result<std::optional<TicketRef>> GitHubTracker::FindByFinding(std::string_view finding_id) {
  const std::string marker = TicketMarker(finding_id);
  std::string path = prefix_ + fmt::format("/repos/{}/issues?state=all&labels=vigil&per_page=100",
                                           o_.repository);
  for (int page = 0; page < 1000 && !path.empty(); ++page) {
    VIGIL_TRY(Response r, Send("GET", path, ""));
    if (r.status != 200) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("GitHub: listing issues of {}: HTTP {}", o_.repository, r.status));
    }
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      return MakeError(ErrorCode::kParse, "GitHub: the issue list is not a JSON array");
    }
    for (const auto& issue : j) {
      if (!issue.is_object() || issue.contains("pull_request")) continue;
      const auto& body = issue.contains("body") && issue["body"].is_string()
                             ? issue["body"].get_ref<const std::string&>()
                             : std::string();
      if (body.find(marker) != std::string::npos) return std::optional<TicketRef>(RefOf(issue));
    }
    std::string next = NextLink(r.headers["link"]);
    if (next.rfind(scheme_host_port_, 0) == 0) next = next.substr(scheme_host_port_.size());
    path = next;
  }
  return std::optional<TicketRef>();
}

Result<TicketRef> GitHubTracker::Open(const TicketContent& c) {
  json labels = json::array();
  for (const std::string& l : c.labels) labels.push_back(l);
  for (const std::string& l : o_.labels) {
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  }
  if (std::find(labels.begin(), labels.end(), "vigil") == labels.end()) labels.push_back("vigil");
  std::string body = c.body;
  if (body.find(TicketMarker(c.finding_id)) == std::string::npos)
    body += "\n" + TicketMarker(c.finding_id) + "\n";
  VIGIL_TRY(json issue, Call("POST", fmt::format("/repos/{}/issues", o_.repository),
                             {{"title", c.title}, {"body", body}, {"labels", labels}}, 201));
  TicketRef ref = RefOf(issue);
  if (ref.key.empty()) {
    return MakeError(ErrorCode::kParse, "GitHub: the created issue has no number");
  }
  return ref;
}

Status GitHubTracker::Comment(const TicketRef& t, std::string_view markdown) {
  VIGIL_TRY(json r, Call("POST", fmt::format("/repos/{}/issues/{}/comments", o_.repository, t.key),
                         {{"body", markdown}}, 201));
  (void)r;
  return Ok();
}

Status GitHubTracker::Close(const TicketRef& t, std::string_view markdown) {
  if (!markdown.empty()) VIGIL_TRY_STATUS(Comment(t, markdown));
  VIGIL_TRY(json r, Call("PATCH", fmt::format("/repos/{}/issues/{}", o_.repository, t.key),
                         {{"state", "closed"}, {"state_reason", "completed"}}, 200));
  (void)r;
  return Ok();
}

Status GitHubTracker::Reopen(const TicketRef& t, std::string_view markdown) {
  VIGIL_TRY(json r, Call("PATCH", fmt::format("/repos/{}/issues/{}", o_.repository, t.key),
                         {{"state", "open"}, {"state_reason", "reopened"}}, 200));
  (void)r;
  if (!markdown.empty()) VIGIL_TRY_STATUS(Comment(t, markdown));
  return Ok();
}

Result<TicketRef> GitHubTracker::Fetch(const TicketRef& t) {
  VIGIL_TRY(json issue,
            Call("GET", fmt::format("/repos/{}/issues/{}", o_.repository, t.key), nullptr, 200));
  return RefOf(issue);
}

}  // namespace vigil::remediate
