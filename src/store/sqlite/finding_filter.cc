#include "store/sqlite/finding_filter.h"

#include <fmt/format.h>

#include <cctype>

namespace vigil::store::sqlite {

int SqlFilter::Bind(Statement& st, int index) const {
  for (const auto& p : params) {
    if (const auto* i = std::get_if<std::int64_t>(&p)) {
      st.Bind(index++, *i);
    } else {
      st.Bind(index++, std::get<std::string>(p));
    }
  }
  return index;
}

void SqlFilter::And(std::string condition) {
  where += where.empty() ? " WHERE " : " AND ";
  where += condition;
}

SqlFilter BuildFilter(const FindingQuery& q) {
  SqlFilter f;
  if (q.min_severity) {
    f.And("severity >= ?");
    f.params.emplace_back(static_cast<std::int64_t>(*q.min_severity));
  }
  if (!q.severities.empty()) {
    std::string in = "severity IN (";
    for (size_t i = 0; i < q.severities.size(); ++i) {
      in += i == 0 ? "?" : ", ?";
      f.params.emplace_back(static_cast<std::int64_t>(q.severities[i]));
    }
    f.And(in + ")");
  }
  if (!q.type.empty()) {
    f.And("type = ?");
    f.params.emplace_back(q.type);
  }
  if (!q.type_prefix.empty()) {
    f.And("substr(type, 1, length(?)) = ?");
    f.params.emplace_back(q.type_prefix);
    f.params.emplace_back(q.type_prefix);
  }
  for (const auto& [column, value] :
       {std::pair<const char*, const std::string*>{"cluster", &q.cluster},
        {"principal", &q.principal},
        {"namespace", &q.ns}}) {
    if (value->empty()) continue;
    f.And(fmt::format("{} = ?", column));
    f.params.emplace_back(*value);
  }
  if (q.since) {
    f.And("last_seen >= ?");
    f.params.emplace_back(std::int64_t{*q.since});
  }
  if (q.until) {
    f.And("first_seen <= ?");
    f.params.emplace_back(std::int64_t{*q.until});
  }
  if (q.updated_after) {
    f.And("updated_at > ?");
    f.params.emplace_back(std::int64_t{*q.updated_after});
  }
  if (!q.workflow.empty()) {
    std::string in = "workflow IN (";
    for (size_t i = 0; i < q.workflow.size(); ++i) {
      in += i == 0 ? "?" : ", ?";
      f.params.emplace_back(std::string(findings::WorkflowStatusName(q.workflow[i])));
    }
    f.And(in + ")");
  }
  if (!q.text.empty()) {
    // Everything but the columns lives in `doc` (native JSON): title, description, principal,
    // resource, source IPs, user agent, MITRE, output fields. ASCII case-folded, as SQLite lower().
    std::string needle;
    for (char c : q.text) {
      needle += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    f.And("(instr(lower(doc), ?) > 0 OR instr(id, ?) > 0)");
    f.params.emplace_back(needle);
    f.params.emplace_back(needle);
  }
  return f;
}

std::string OrderBy(const FindingQuery& q) {
  std::string_view column = "last_seen";
  switch (q.sort) {
    case FindingSort::kLastSeen:
      break;
    case FindingSort::kFirstSeen:
      column = "first_seen";
      break;
    case FindingSort::kUpdatedAt:
      column = "updated_at";
      break;
    case FindingSort::kSeverity:
      column = "severity";
      break;
    case FindingSort::kCount:
      column = "count";
      break;
    case FindingSort::kType:
      column = "type";
      break;
    case FindingSort::kTitle:
      column = "json_extract(doc, '$.title')";
      break;
    case FindingSort::kCluster:
      column = "cluster";
      break;
    case FindingSort::kPrincipal:
      column = "principal";
      break;
    case FindingSort::kNamespace:
      column = "namespace";
      break;
    case FindingSort::kStatus:
      column = "workflow";
      break;
  }
  const char* dir = q.ascending ? "ASC" : "DESC";
  // The default order as it always was (its index is (last_seen DESC, id)).
  if (q.sort == FindingSort::kLastSeen) return fmt::format(" ORDER BY last_seen {}, id", dir);
  // Ties by row number in the same direction: deterministic, so pages never overlap, and every
  // index on the column serves both directions (an index holds the row number).
  return fmt::format(" ORDER BY {0} {1}, seq {1}", column, dir);
}

}  // namespace vigil::store::sqlite
