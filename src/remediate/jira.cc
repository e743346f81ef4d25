#include "remediate/jira.h"

#include "remediate/base64.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <regex>
#include <sstream>

namespace vigil::remediate {
namespace {

using json = nlohmann::json;

constexpr std::string_view kApi = "/rest/api/2";

std::string MarkerLine(std::string_view finding_id) {
  return fmt::format("vigil-finding: {}", finding_id);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Str(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return "";
}

}  // namespace

std::string JiraFindingLabel(std::string_view finding_id) {
  return fmt::format("vigil-finding-{}", finding_id);
}

std::string MarkdownToJiraWiki(std::string_view markdown) {
  static const std::regex kMarker(R"(<!--\s*vigil-finding:\s*([^ ]+)\s*-->)");
  static const std::regex kHeading(R"(^(#{1,6})\s+(.*)$)");
  static const std::regex kBold(R"(\*\*([^*]+)\*\*)");
  static const std::regex kCode(R"(`([^`]+)`)");
  static const std::regex kLink(R"(\[([^\]]+)\]\(([^)\s]+)\))");
  static const std::regex kBullet(R"(^\s*[-*]\s+(.*)$)");
  std::istringstream in{std::string(markdown)};
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    line = std::regex_replace(line, kMarker, "vigil-finding: $1");
    std::smatch m;
    if (std::regex_match(line, m, kHeading)) {
      line = fmt::format("h{}. {}", m[1].length(), m[2].str());
    } else if (std::regex_match(line, m, kBullet)) {
      line = "* " + m[1].str();
    }
    line = std::regex_replace(line, kBold, "*$1*");
    line = std::regex_replace(line, kCode, "{{$1}}");
    line = std::regex_replace(line, kLink, "[$1|$2]");
    out += line;
    out += '\n';
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string JiraErrorText(const HttpResponse& r) {
  std::string text = fmt::format("HTTP {}", r.status);
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return text;
  if (j.contains("errorMessages") && j["errorMessages"].is_array()) {
    for (const auto& m : j["errorMessages"]) {
      if (m.is_string()) text += ": " + m.get<std::string>();
    }
  }
  if (j.contains("errors") && j["errors"].is_object()) {
    for (const auto& [field, msg] : j["errors"].items()) {
      if (msg.is_string()) text += fmt::format("; {}: {}", field, msg.get<std::string>());
    }
  }
  return text;
}

Result<std::unique_ptr<JiraTracker>> JiraTracker::Create(JiraOptions options) {
  if (options.project_key.empty()) return MakeError(ErrorCode::kConfig, "jira: project is required");
  if (options.issue_type.empty()) return MakeError(ErrorCode::kConfig, "jira: issue_type is empty");
  const bool basic = !options.email.empty() || !options.api_token.empty();
  if (basic == !options.bearer_token.empty()) {
    return MakeError(ErrorCode::kConfig,
                     "jira: configure either email + API token (basic) or a bearer token");
  }
  if (basic && (options.email.empty() || options.api_token.empty())) {
    return MakeError(ErrorCode::kConfig, "jira: basic auth needs both the email and the API token");
  }
  options.page_size = std::clamp(options.page_size, 1, 1000);
  HttpClientOptions http = options.http;
  http.headers.emplace_back("Authorization",
                            basic ? "Basic " + Base64Encode(options.email + ":" + options.api_token)
                                  : "Bearer " + options.bearer_token);
  auto client = HttpClient::Create(std::move(http));
  if (!client) return MakeError(ErrorCode::kConfig, "jira: " + client.error().message);
  return std::unique_ptr<JiraTracker>(new JiraTracker(std::move(options), std::move(*client)));
}

Error JiraTracker::Failure(std::string_view method, std::string_view path,
                           const HttpResponse& r) const {
  return MakeError(r.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo,
                   fmt::format("jira {}: {}", http_->Describe(method, path), JiraErrorText(r)));
}

TicketRef JiraTracker::RefFromIssue(const json& issue) const {
  TicketRef ref;
  ref.tracker = options_.name;
  ref.key = Str(issue, "key");
  std::string base = options_.http.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  ref.url = base + "/browse/" + ref.key;
  const json fields = issue.value("fields", json::object());
  const json status = fields.value("status", json::object());
  const json category = status.value("statusCategory", json::object());
  ref.state = Str(category, "key") == "done" ? TicketState::kClosed : TicketState::kOpen;
  if (fields.contains("labels") && fields["labels"].is_array()) {
    for (const auto& l : fields["labels"]) {
      if (l.is_string()) ref.labels.push_back(l.get<std::string>());
    }
  }
  if (ref.state == TicketState::kClosed) {
    const json comments = fields.value("comment", json::object()).value("comments", json::array());
    if (comments.is_array() && !comments.empty()) ref.closed_reason = Str(comments.back(), "body");
    if (ref.closed_reason.empty()) {
      ref.closed_reason = Str(fields.value("resolution", json::object()), "name");
    }
  }
  return ref;
}

Result<std::optional<TicketRef>> JiraTracker::FindByFinding(std::string_view finding_id) {
  const std::string jql = fmt::format(R"(project = "{}" AND labels = "{}" ORDER BY created ASC)",
                                      options_.project_key, JiraFindingLabel(finding_id));
  const std::string marker = MarkerLine(finding_id);
  int start_at = 0;
  for (int page = 0; page < 1000; ++page) {
    httplib::Params params{{"jql", jql},
                           {"startAt", std::to_string(start_at)},
                           {"maxResults", std::to_string(options_.page_size)},
                           {"fields", "summary,description,status,labels,resolution,comment"}};
    const std::string path =
        std::string(kApi) + "/search?" + httplib::detail::params_to_query_str(params);
    VIGIL_TRY(HttpResponse r, http_->Get(path));
    if (!r.ok()) return Failure("GET", path, r);
    VIGIL_TRY(json body, ParseJsonBody(r, "jira search"));
    const json issues = body.value("issues", json::array());
    if (!issues.is_array()) return MakeError(ErrorCode::kParse, "jira search: 'issues' is not a list");
    for (const auto& issue : issues) {
      const std::string description = Str(issue.value("fields", json::object()), "description");
      if (description.find(marker) != std::string::npos) {
        return std::optional<TicketRef>(RefFromIssue(issue));
      }
    }
    const int total = body.value("total", 0);
    start_at += static_cast<int>(issues.size());
    if (issues.empty() || start_at >= total) break;
  }
  return std::optional<TicketRef>();
}

Result<TicketRef> JiraTracker::Open(const TicketContent& content) {
  json fields = {{"project", {{"key", options_.project_key}}},
                 {"issuetype", {{"name", options_.issue_type}}},
                 {"summary", content.title.substr(0, 254)}};
  std::string description = MarkdownToJiraWiki(content.body);
  if (description.find(MarkerLine(content.finding_id)) == std::string::npos) {
    description += "\n\n" + MarkerLine(content.finding_id);
  }
  fields["description"] = description;
  json labels = json::array();
  // Jira labels cannot hold spaces.
  auto label = [](std::string l) {
    std::replace(l.begin(), l.end(), ' ', '-');
    return l;
  };
  for (const auto& l : options_.labels) labels.push_back(label(l));
  for (const auto& l : content.labels) labels.push_back(label(l));
  labels.push_back(JiraFindingLabel(content.finding_id));
  fields["labels"] = labels;
  if (auto it = options_.priorities.find(content.severity); it != options_.priorities.end()) {
    fields["priority"] = {{"name", it->second}};
  }
  const std::string path = std::string(kApi) + "/issue";
  HttpRequest req;
  req.method = "POST";
  req.path = path;
  req.body = json{{"fields", fields}}.dump();
  req.content_type = "application/json";
  req.idempotent = false;  // retried below, only after a search shows it did not happen
  std::string last;
  const int attempts = http_->retry().max_attempts;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto r = http_->Send(req);
    if (r && r->status == 201) {
      VIGIL_TRY(json created, ParseJsonBody(*r, "jira create"));
      TicketRef ref = RefFromIssue(created);
      ref.labels.clear();
      for (const auto& l : labels) ref.labels.push_back(l.get<std::string>());
      return ref;
    }
    if (r && !IsRetryableStatus(*r)) return Failure("POST", path, *r);
    last = r ? JiraErrorText(*r) : r.error().message;
    if (attempt + 1 >= attempts) break;
    http_->WaitBeforeRetry(attempt, r ? &*r : nullptr);
    // The create may have happened before the failure: look before trying again.
    auto found = FindByFinding(content.finding_id);
    if (found && found->has_value()) return **found;
  }
  return MakeError(ErrorCode::kIo, fmt::format("jira {}: {} (after {} attempts)",
                                               http_->Describe("POST", path), last, attempts));
}

Status JiraTracker::Comment(const TicketRef& ticket, std::string_view markdown) {
  const std::string path = fmt::format("{}/issue/{}/comment", kApi, ticket.key);
  HttpRequest req;
  req.method = "POST";
  req.path = path;
  req.body = json{{"body", MarkdownToJiraWiki(markdown)}}.dump();
  req.content_type = "application/json";
  VIGIL_TRY(HttpResponse answer, http_->Send(req));
  if (!answer.ok()) return Failure("POST", path, answer);
  return Ok();
}

Status JiraTracker::Transition(const TicketRef& ticket, const std::string& wanted,
                               std::string_view markdown, bool to_done) {
  const std::string path = fmt::format("{}/issue/{}/transitions", kApi, ticket.key);
  VIGIL_TRY(HttpResponse r, http_->Get(path));
  if (!r.ok()) return Failure("GET", path, r);
  VIGIL_TRY(json body, ParseJsonBody(r, "jira transitions"));
  const json transitions = body.value("transitions", json::array());
  std::string id;
  std::string names;
  for (const auto& t : transitions) {
    const std::string name = Str(t, "name");
    const std::string to = Str(t.value("to", json::object()), "name");
    names += (names.empty() ? "" : ", ") + name;
    if (Lower(name) == Lower(wanted) || Lower(to) == Lower(wanted)) {
      id = Str(t, "id");
      break;
    }
  }
  if (id.empty()) {
    // Already where we want it? Then a comment is all that is left to do.
    VIGIL_TRY(TicketRef now, Fetch(ticket));
    if ((now.state == TicketState::kClosed) == to_done) return Comment(ticket, markdown);
    return MakeError(ErrorCode::kConfig,
                     fmt::format("jira {}: no transition named '{}' from its current status "
                                 "(available: {})",
                                 ticket.key, wanted, names.empty() ? "none" : names));
  }
  json payload = {{"transition", {{"id", id}}}};
  if (!markdown.empty()) {
    payload["update"] = {{"comment", {{{"add", {{"body", MarkdownToJiraWiki(markdown)}}}}}}};
  }
  HttpRequest req;
  req.method = "POST";
  req.path = path;
  req.body = payload.dump();
  req.content_type = "application/json";
  VIGIL_TRY(HttpResponse done, http_->Send(req));
  if (!done.ok()) return Failure("POST", path, done);
  return Ok();
}

Status JiraTracker::Close(const TicketRef& ticket, std::string_view markdown) {
  return Transition(ticket, options_.close_transition, markdown, true);
}

Status JiraTracker::Reopen(const TicketRef& ticket, std::string_view markdown) {
  return Transition(ticket, options_.reopen_transition, markdown, false);
}

Result<TicketRef> JiraTracker::Fetch(const TicketRef& ticket) {
  const std::string path = fmt::format("{}/issue/{}?fields=summary,status,labels,resolution,comment",
                                       kApi, ticket.key);
  VIGIL_TRY(HttpResponse r, http_->Get(path));
  if (!r.ok()) return Failure("GET", path, r);
  VIGIL_TRY(json issue, ParseJsonBody(r, "jira issue"));
  return RefFromIssue(issue);
}

}  // namespace vigil::remediate
