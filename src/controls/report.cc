#include "controls/report.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "controls/control.h"
#include "controls/evaluate.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using ojson = nlohmann::ordered_json;

std::string Time(UnixNanos t) { return t == 0 ? std::string("-") : FormatRfc3339(t, 0); }

std::string Where(const findings::Finding& f) {
  std::string where = f.account.empty() ? std::string() : f.account;
  if (!f.region.empty()) where += (where.empty() ? "" : "/") + f.region;
  if (!f.cluster.empty()) where += (where.empty() ? "" : " ") + std::string("cluster ") + f.cluster;
  if (where.empty()) where = f.compliance->resource_id;
  return where;
}

std::string_view Status(const findings::Finding& f) {
  return findings::ComplianceStatusName(f.compliance->status);
}

// Markdown table cells: no newlines, pipes escaped.
std::string Md(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string Html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Evidence(const findings::Compliance& c, std::string_view sep) {
  std::vector<std::string> parts;
  for (const auto& e : c.evidence) parts.push_back(fmt::format("{}: {}", e.file, e.said));
  return fmt::format("{}", fmt::join(parts, sep));
}

std::map<std::string, size_t> Counts(const std::vector<ReportRow>& rows) {
  std::map<std::string, size_t> counts;
  for (const ReportRow& r : rows) ++counts[std::string(Status(r.finding))];
  return counts;
}

}  // namespace

Result<std::vector<ReportRow>> LoadReport(store::FindingStore& store) {
  store::FindingQuery q;
  q.type_prefix = "Control:";
  q.limit = 0;
  VIGIL_TRY(store::FindingPage page, store.List(q));
  std::vector<findings::Finding> list;
  for (findings::Finding& f : page.findings) {
    if (f.compliance) list.push_back(std::move(f));
  }
  SortControlFindings(list);
  std::vector<ReportRow> rows;
  for (findings::Finding& f : list) {
    ReportRow row;
    VIGIL_TRY(row.history, store.ComplianceHistory(f.id));
    row.finding = std::move(f);
    rows.push_back(std::move(row));
  }
  return rows;
}

void WriteReportMarkdown(std::ostream& out, const std::vector<ReportRow>& rows, UnixNanos now) {
  out << "# vigil controls report\n\nGenerated " << Time(now) << ". ";
  const auto counts = Counts(rows);
  std::vector<std::string> parts;
  for (const auto& [status, n] : counts) parts.push_back(fmt::format("{} {}", n, status));
  out << rows.size() << " results" << (parts.empty() ? "" : ": ")
      << fmt::format("{}", fmt::join(parts, ", ")) << ".\n";
  std::string current;
  for (const ReportRow& r : rows) {
    const findings::Finding& f = r.finding;
    const findings::Compliance& c = *f.compliance;
    if (c.control_id != current) {
      current = c.control_id;
      out << "\n## " << Md(c.control_id) << " — " << Md(f.title) << "\n\n";
      out << "| Account / cluster | Status | Severity | Since | Last evaluated | Reasons | "
             "Evidence |\n";
      out << "|---|---|---|---|---|---|---|\n";
    }
    out << "| " << Md(Where(f)) << " | " << Status(f) << " | " << findings::SeverityName(f.severity)
        << " | " << Time(c.status_since) << " | " << Time(f.last_seen) << " | "
        << Md(fmt::format("{}", fmt::join(c.reasons, "; "))) << " | " << Md(Evidence(c, "; "))
        << " |\n";
  }
  if (!rows.empty()) {
    out << "\n## History\n\n| Control | Account / cluster | At | Status |\n|---|---|---|---|\n";
    for (const ReportRow& r : rows) {
      for (const store::ComplianceChange& h : r.history) {
        out << "| " << Md(h.control) << " | " << Md(Where(r.finding)) << " | " << Time(h.at)
            << " | " << findings::ComplianceStatusName(h.status) << " |\n";
      }
    }
  }
}

void WriteReportHtml(std::ostream& out, const std::vector<ReportRow>& rows, UnixNanos now) {
  out << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<title>vigil controls report</title><style>"
         "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
         "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
         ".FAILED{color:#b00}.PASSED{color:#070}.NOT_AVAILABLE,.WARNING{color:#a60}"
         "</style></head><body>\n<h1>vigil controls report</h1>\n<p>Generated "
      << Html(Time(now)) << "; " << rows.size() << " results.</p>\n";
  std::string current;
  for (const ReportRow& r : rows) {
    const findings::Finding& f = r.finding;
    const findings::Compliance& c = *f.compliance;
    if (c.control_id != current) {
      if (!current.empty()) out << "</table>\n";
      current = c.control_id;
      out << "<h2>" << Html(c.control_id) << " — " << Html(f.title) << "</h2>\n<table><tr>"
          << "<th>Account / cluster</th><th>Status</th><th>Severity</th><th>Since</th>"
          << "<th>Last evaluated</th><th>Reasons</th><th>Evidence</th><th>History</th></tr>\n";
    }
    std::vector<std::string> history;
    for (const store::ComplianceChange& h : r.history) {
      history.push_back(fmt::format("{} {}", Time(h.at), findings::ComplianceStatusName(h.status)));
    }
    out << "<tr><td>" << Html(Where(f)) << "</td><td class=\"" << Status(f) << "\">" << Status(f)
        << "</td><td>" << findings::SeverityName(f.severity) << "</td><td>"
        << Html(Time(c.status_since)) << "</td><td>" << Html(Time(f.last_seen)) << "</td><td>"
        << Html(fmt::format("{}", fmt::join(c.reasons, "\n"))) << "</td><td>"
        << Html(Evidence(c, "\n")) << "</td><td>"
        << Html(fmt::format("{}", fmt::join(history, "\n"))) << "</td></tr>\n";
  }
  if (!current.empty()) out << "</table>\n";
  out << "</body></html>\n";
}

void WriteReportJson(std::ostream& out, const std::vector<ReportRow>& rows, UnixNanos now) {
  ojson j;
  j["generated_at"] = FormatRfc3339(now, 0);
  ojson summary = ojson::object();
  for (const auto& [status, n] : Counts(rows)) summary[status] = n;
  j["summary"] = std::move(summary);
  ojson results = ojson::array();
  for (const ReportRow& r : rows) {
    const findings::Finding& f = r.finding;
    const findings::Compliance& c = *f.compliance;
    ojson e;
    e["control"] = c.control_id;
    e["title"] = f.title;
    e["account"] = f.account;
    e["region"] = f.region;
    e["cluster"] = f.cluster;
    e["resource"] = c.resource_id;
    e["status"] = Status(f);
    e["severity"] = findings::SeverityName(f.severity);
    e["status_since"] = FormatRfc3339(c.status_since, 0);
    e["last_evaluated"] = FormatRfc3339(f.last_seen, 0);
    e["workflow_status"] = findings::WorkflowStatusName(f.workflow);
    e["reasons"] = c.reasons;
    ojson evidence = ojson::array();
    for (const auto& ev : c.evidence) evidence.push_back({{"file", ev.file}, {"said", ev.said}});
    e["evidence"] = std::move(evidence);
    ojson history = ojson::array();
    for (const store::ComplianceChange& h : r.history) {
      history.push_back({{"at", FormatRfc3339(h.at, 0)},
                         {"status", findings::ComplianceStatusName(h.status)},
                         {"reasons", h.reasons}});
    }
    e["history"] = std::move(history);
    results.push_back(std::move(e));
  }
  j["results"] = std::move(results);
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace vigil::controls
