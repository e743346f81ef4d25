// WriteComplianceTable (table.h): the control results for people.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>
#include <vector>

#include "findings/encode/table.h"
#include "findings/encode/text.h"

namespace vigil::findings {
namespace {

// Table order: FAILED, NOT_AVAILABLE, WARNING, PASSED.
int Rank(ComplianceStatus s) {
  switch (s) {
    case ComplianceStatus::kFailed:
      return 0;
    case ComplianceStatus::kNotAvailable:
      return 1;
    case ComplianceStatus::kWarning:
      return 2;
    case ComplianceStatus::kPassed:
      return 3;
  }
  return 4;
}

std::string_view StatusColor(ComplianceStatus s) {
  switch (s) {
    case ComplianceStatus::kFailed:
      return "\x1b[31m";
    case ComplianceStatus::kNotAvailable:
    case ComplianceStatus::kWarning:
      return "\x1b[33m";
    case ComplianceStatus::kPassed:
      return "\x1b[32m";
  }
  return "";
}

// "GuardDuty.5" < "GuardDuty.10": the numeric suffix compares as a number.
std::pair<std::string_view, long> ControlKey(std::string_view id) {
  const size_t dot = id.rfind('.');
  if (dot == std::string_view::npos) return {id, 0};
  long n = 0;
  for (char c : id.substr(dot + 1)) {
    if (c < '0' || c > '9') return {id, 0};
    n = n * 10 + (c - '0');
  }
  return {id.substr(0, dot), n};
}

std::string Cell(std::string_view text, size_t max) {
  std::string out = ValidUtf8(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
  }
  return FitWidth(out, max);
}

}  // namespace

std::string ComplianceSummaryLine(std::span<const Finding> findings) {
  std::array<size_t, 4> counts{};
  size_t total = 0;
  for (const Finding& f : findings) {
    if (!f.compliance) continue;
    ++counts[static_cast<size_t>(Rank(f.compliance->status))];
    ++total;
  }
  std::string line = fmt::format("{} result{}", total, total == 1 ? "" : "s");
  std::string sep = ": ";
  constexpr std::array<ComplianceStatus, 4> kOrder = {
      ComplianceStatus::kFailed, ComplianceStatus::kNotAvailable, ComplianceStatus::kWarning,
      ComplianceStatus::kPassed};
  for (ComplianceStatus s : kOrder) {
    const size_t n = counts[static_cast<size_t>(Rank(s))];
    if (n == 0) continue;
    line += fmt::format("{}{} {}", sep, n, ComplianceStatusName(s));
    sep = ", ";
  }
  return line;
}

void WriteComplianceTable(std::ostream& out,
                          std::span<const Finding> findings,
                          const TableOptions& options) {
  std::vector<const Finding*> rows;
  for (const Finding& f : findings) {
    if (f.compliance) rows.push_back(&f);
  }
  std::sort(rows.begin(), rows.end(), [](const Finding* a, const Finding* b) {
    return std::make_tuple(Rank(a->compliance->status), ControlKey(a->compliance->control_id),
                           a->account, a->region, a->cluster, a->compliance->resource_id) <
           std::make_tuple(Rank(b->compliance->status), ControlKey(b->compliance->control_id),
                           b->account, b->region, b->cluster, b->compliance->resource_id);
  });
  if (!rows.empty()) {
    std::vector<std::array<std::string, 7>> cells;
    cells.push_back({"STATUS", "CONTROL", "SEVERITY", "ACCOUNT", "REGION", "RESOURCE", "REASON"});
    for (const Finding* f : rows) {
      const Compliance& c = *f->compliance;
      std::string reason = c.reasons.empty() ? std::string() : c.reasons.front();
      if (c.reasons.size() > 1) reason += fmt::format(" (+{} more)", c.reasons.size() - 1);
      cells.push_back(
          {std::string(ComplianceStatusName(c.status)), c.control_id,
           std::string(SeverityName(f->severity)), Cell(f->account, 20), Cell(f->region, 16),
           Cell(f->cluster.empty() ? c.resource_id : f->cluster, options.max_resource_width),
           Cell(reason, 120)});
    }
    std::array<size_t, 7> widths{};
    for (const auto& row : cells) {
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
    for (size_t r = 0; r < cells.size(); ++r) {
      std::string line;
      for (size_t i = 0; i < cells[r].size(); ++i) {
        const std::string& cell = cells[r][i];
        const bool last = i + 1 == cells[r].size();
        if (options.color && r > 0 && i == 0) {
          line += StatusColor(rows[r - 1]->compliance->status);
          line += cell;
          line += "\x1b[0m";
        } else {
          line += cell;
        }
        if (!last) line.append(widths[i] - DisplayWidth(cell) + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << '\n';
    }
  }
  out << ComplianceSummaryLine(findings) << '\n';
}

}  // namespace vigil::findings
