#include "findings/encode/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <vector>

#include "base/time.h"
#include "findings/encode/text.h"

namespace vigil::findings {
namespace {

constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";

std::string_view SeverityColor(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "\x1b[1;31m";  // bold red
    case Severity::kHigh:
      return "\x1b[31m";  // red
    case Severity::kMedium:
      return "\x1b[33m";  // yellow
    case Severity::kLow:
      return "\x1b[36m";  // cyan
    case Severity::kInformational:
      return "\x1b[2m";  // dim
  }
  return "";
}

// Table cells never contain control characters (they would break the alignment, or worse, be
// interpreted by the terminal: these strings come from audit events).
std::string Clean(std::string_view text) {
  std::string out = ValidUtf8(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
  }
  return out;
}

void Pad(std::string& line, std::string_view cell, size_t width) {
  line += cell;
  const size_t w = DisplayWidth(cell);
  if (w < width) line.append(width - w, ' ');
}

}  // namespace

std::string ResourceLabel(const TargetResource& r) {
  std::string label;
  if (!r.ns.empty()) label = r.ns + "/";
  if (!r.name.empty()) {
    label += r.name;
  } else if (!r.resource.empty()) {
    label += r.resource + "/*";
  } else {
    label += r.request_uri;
  }
  return label;
}

std::string PrincipalLabel(const Principal& p) {
  if (p.impersonated_user.empty()) return p.username;
  return fmt::format("{} (as {})", p.username, p.impersonated_user);
}

std::string SummaryLine(std::span<const Finding> findings) {
  std::array<size_t, 5> counts{};
  for (const Finding& f : findings) ++counts[static_cast<size_t>(f.severity)];
  std::string line = fmt::format("{} finding{}", findings.size(), findings.size() == 1 ? "" : "s");
  std::string sep = ": ";
  for (size_t i = counts.size(); i-- > 0;) {
    if (counts[i] == 0) continue;
    line += fmt::format("{}{} {}", sep, counts[i], SeverityName(static_cast<Severity>(i)));
    sep = ", ";
  }
  return line;
}

void WriteTable(std::ostream& out, std::span<const Finding> findings, const TableOptions& options) {
  std::vector<const Finding*> rows;
  rows.reserve(findings.size());
  for (const Finding& f : findings) rows.push_back(&f);
  std::sort(rows.begin(), rows.end(), [](const Finding* a, const Finding* b) {
    return std::make_tuple(b->severity, b->count, b->last_seen, a->id) <
           std::make_tuple(a->severity, a->count, a->last_seen, b->id);
  });

  constexpr size_t kColumns = 6;
  const std::array<std::string_view, kColumns> header = {"SEVERITY",  "TYPE",     "COUNT",
                                                         "PRINCIPAL", "RESOURCE", "LAST SEEN"};
  std::vector<std::array<std::string, kColumns>> cells;
  cells.reserve(rows.size());
  for (const Finding* f : rows) {
    cells.push_back({std::string(SeverityName(f->severity)),
                     FitWidth(Clean(f->type.empty() ? f->rule : f->type), options.max_type_width),
                     std::to_string(f->count),
                     FitWidth(Clean(PrincipalLabel(f->principal)), options.max_principal_width),
                     FitWidth(Clean(ResourceLabel(f->resource)), options.max_resource_width),
                     FormatRfc3339(f->last_seen, 0)});
  }
  std::array<size_t, kColumns> width{};
  for (size_t c = 0; c < kColumns; ++c) width[c] = header[c].size();
  for (const auto& row : cells) {
    for (size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }

  auto emit = [&](const std::array<std::string, kColumns>& row, std::string_view color) {
    std::string line;
    for (size_t c = 0; c < kColumns; ++c) {
      const bool last = c + 1 == kColumns;
      if (c == 0 && !color.empty()) {
        line += color;
        line += row[c];
        line += kReset;
        const size_t w = DisplayWidth(row[c]);
        if (w < width[c]) line.append(width[c] - w, ' ');
      } else if (c == 2) {  // COUNT is right-aligned
        const size_t w = DisplayWidth(row[c]);
        if (w < width[c]) line.append(width[c] - w, ' ');
        line += row[c];
      } else if (last) {
        line += row[c];
      } else {
        Pad(line, row[c], width[c]);
      }
      if (!last) line += "  ";
    }
    return line;
  };

  if (!cells.empty()) {
    std::array<std::string, kColumns> head;
    for (size_t c = 0; c < kColumns; ++c) head[c] = std::string(header[c]);
    if (options.color) {
      out << kBold << emit(head, "") << kReset << '\n';
    } else {
      out << emit(head, "") << '\n';
    }
    for (size_t i = 0; i < cells.size(); ++i) {
      out << emit(cells[i], options.color ? SeverityColor(rows[i]->severity) : "") << '\n';
    }
  }
  out << SummaryLine(findings) << '\n';
}

}  // namespace vigil::findings
