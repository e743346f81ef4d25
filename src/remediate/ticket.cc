#include "remediate/ticket.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/time.h"

namespace vigil::remediate {
namespace {

// Keeps table cells on one line and stops a value from closing the HTML comment or the table.
std::string Cell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string TicketMarker(std::string_view finding_id) {
  return fmt::format("<!-- vigil-finding: {} -->", finding_id);
}

std::string TicketStatusLine(const findings::Finding& f) {
  if (f.compliance) return std::string(findings::ComplianceStatusName(f.compliance->status));
  return fmt::format("{}, {} event{}", findings::WorkflowStatusName(f.workflow), f.count,
                     f.count == 1 ? "" : "s");
}

TicketContent RenderTicket(const findings::Finding& f,
                           std::string_view playbook,
                           std::string_view mode,
                           const std::vector<std::string>& extra_labels) {
  TicketContent t;
  t.finding_id = f.id;
  t.severity = f.compliance && f.compliance->status == findings::ComplianceStatus::kFailed
                   ? f.compliance->control_severity
                   : f.severity;
  const std::string subject = f.compliance ? f.compliance->control_id : f.type;
  std::string where = f.compliance ? f.compliance->resource_id : f.cluster;
  if (!f.compliance && !f.resource.name.empty()) {
    where = fmt::format("{}/{}{}", f.cluster, f.resource.ns.empty() ? "" : f.resource.ns + "/",
                        f.resource.name);
  }
  t.title = fmt::format("[vigil] {} {}: {}", findings::SeverityName(t.severity), subject,
                        Cell(f.title));
  if (!where.empty()) t.title += fmt::format(" ({})", Cell(where));
  if (t.title.size() > 250) t.title.resize(250);

  std::string b;
  b += "**This issue was automatically created by vigil's auto-remediation.**\n\n";
  b += "| Field | Value |\n|---|---|\n";
  b += fmt::format("| Finding ID | `{}` |\n", f.id);
  if (f.compliance) {
    b += fmt::format("| Finding ARN / resource | `{}` ({}) |\n", Cell(f.compliance->resource_id),
                     Cell(f.compliance->resource_type));
    b += fmt::format("| Control | {} — {} |\n", Cell(f.compliance->control_id),
                     findings::ComplianceStatusName(f.compliance->status));
    if (!f.compliance->standard.empty())
      b += fmt::format("| Standard | {} |\n", Cell(f.compliance->standard));
  } else {
    b += fmt::format("| Finding type | {} |\n", Cell(f.type));
    b += fmt::format("| Rule | {} |\n", Cell(f.rule));
  }
  b += fmt::format("| Severity | {} |\n", findings::SeverityName(t.severity));
  b += fmt::format("| Remediation type | auto-remediation (playbook `{}`, mode `{}`) |\n",
                   Cell(playbook), mode);
  b += fmt::format("| Created | {} |\n",
                   FormatRfc3339(f.created_at != 0 ? f.created_at : f.first_seen, 0));
  if (!f.account.empty()) b += fmt::format("| Account | {} |\n", Cell(f.account));
  if (!f.region.empty()) b += fmt::format("| Region | {} |\n", Cell(f.region));
  if (!f.cluster.empty()) b += fmt::format("| Cluster | {} |\n", Cell(f.cluster));
  if (!f.compliance) {
    if (!f.principal.username.empty())
      b += fmt::format("| Principal | `{}` |\n", Cell(f.principal.username));
    std::string res = f.resource.resource;
    if (!f.resource.ns.empty()) res += " " + f.resource.ns + "/" + f.resource.name;
    else if (!f.resource.name.empty()) res += " " + f.resource.name;
    if (!res.empty()) b += fmt::format("| Resource | `{}` |\n", Cell(res));
    b += fmt::format("| Events | {} |\n", f.count);
  }
  b += "\n### Description\n\n";
  b += (f.description.empty() ? f.title : f.description) + "\n";
  if (f.compliance && !f.compliance->reasons.empty()) {
    b += "\n### Why\n\n";
    for (const std::string& r : f.compliance->reasons) b += "- " + r + "\n";
  }
  if (!f.remediation.text.empty() || !f.remediation.url.empty()) {
    b += "\n### Remediation\n\n";
    if (!f.remediation.text.empty()) b += f.remediation.text + "\n";
    if (!f.remediation.url.empty()) b += "\n" + f.remediation.url + "\n";
  }
  b += "\n_This issue was automatically created by vigil's auto-remediation. It closes when the "
       "fix is verified; closing it with the `accepted-risk` label accepts the risk._\n\n";
  b += TicketMarker(f.id) + "\n";
  t.body = std::move(b);

  t.labels.push_back("vigil");
  t.labels.push_back("severity:" + Lower(findings::SeverityName(t.severity)));
  for (const std::string& l : extra_labels) {
    if (std::find(t.labels.begin(), t.labels.end(), l) == t.labels.end()) t.labels.push_back(l);
  }
  return t;
}

}  // namespace vigil::remediate
