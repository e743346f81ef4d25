// JiraTracker: one Jira issue per finding, through Jira's REST API **v2** (/rest/api/2), which
// Jira Server/Data Center and Jira Cloud both serve and which takes the description as wiki text
// (v3 would need Atlassian Document Format). Authentication is basic (account email + API token,
// Jira Cloud) or a bearer personal access token (Server/Data Center).
//
// How a finding's ticket is found again: every issue vigil opens carries the label
// `vigil-finding-<finding id>` and the plain line `vigil-finding: <finding id>` in its description
// (the marker of interfaces.h, made plain because Jira does not hide HTML comments).
// FindByFinding searches `project = KEY AND labels = "vigil-finding-<id>"` with JQL, page by page
// (startAt/maxResults/total), and takes the first issue whose description carries the marker line,
// so a label copied onto another issue by hand does not capture the finding.
//
// Open never creates a duplicate: a create that failed in a way that may have reached Jira (5xx,
// a lost answer) is followed by a search before it is tried again. Close and Reopen run the
// workflow transitions named in the options (looked up by transition or target status name via
// GET .../transitions), adding the comment in the same request.
//
// Thread-safety: calls may run concurrently (HttpClient is thread-safe); the tracker holds no
// other state.
#ifndef VIGIL_REMEDIATE_JIRA_H_
#define VIGIL_REMEDIATE_JIRA_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "remediate/http_client.h"
#include "remediate/interfaces.h"

namespace vigil::remediate {

struct JiraOptions {
  std::string name = "jira";  // the tracker's configured name
  HttpClientOptions http;     // base_url = the site, e.g. https://example.atlassian.net
  std::string project_key;    // "SEC"
  std::string issue_type = "Task";
  std::vector<std::string> labels;  // added to every issue, e.g. {"vigil"}
  // Jira priority names by severity; a severity without an entry sets no priority.
  std::map<findings::Severity, std::string> priorities = {
      {findings::Severity::kCritical, "Highest"}, {findings::Severity::kHigh, "High"},
      {findings::Severity::kMedium, "Medium"},    {findings::Severity::kLow, "Low"},
      {findings::Severity::kInformational, "Lowest"}};
  std::string close_transition = "Done";   // transition or target status name
  std::string reopen_transition = "Reopen";
  // Exactly one of: basic auth (email + API token) or a bearer token.
  std::string email;
  std::string api_token;
  std::string bearer_token;
  int page_size = 50;  // maxResults per search page
};

// The Jira label that ties an issue to a finding.
std::string JiraFindingLabel(std::string_view finding_id);

// Markdown as vigil renders ticket bodies → Jira wiki markup: headings, bold, inline code, links
// and bullet lists; the HTML-comment marker becomes the plain line `vigil-finding: ID`.
std::string MarkdownToJiraWiki(std::string_view markdown);

// A Jira error answer as text: "HTTP 400: errorMessages…; field: message…".
std::string JiraErrorText(const HttpResponse& response);

class JiraTracker final : public Tracker {
 public:
  // kConfig when the options are incomplete or the HTTP client cannot be made.
  static Result<std::unique_ptr<JiraTracker>> Create(JiraOptions options);

  const std::string& name() const override { return options_.name; }
  Result<std::optional<TicketRef>> FindByFinding(std::string_view finding_id) override;
  Result<TicketRef> Open(const TicketContent& content) override;
  Status Comment(const TicketRef& ticket, std::string_view markdown) override;
  Status Close(const TicketRef& ticket, std::string_view markdown) override;
  Status Reopen(const TicketRef& ticket, std::string_view markdown) override;
  Result<TicketRef> Fetch(const TicketRef& ticket) override;

 private:
  JiraTracker(JiraOptions options, std::unique_ptr<HttpClient> http)
      : options_(std::move(options)), http_(std::move(http)) {}
  TicketRef RefFromIssue(const nlohmann::json& issue) const;
  Status Transition(const TicketRef& ticket, const std::string& wanted, std::string_view markdown,
                    bool to_done);
  Error Failure(std::string_view method, std::string_view path, const HttpResponse& r) const;

  JiraOptions options_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_JIRA_H_
