#include "store/finding_doc.h"

#include <fmt/format.h>

#include "findings/encode/json.h"

namespace vigil::store {
namespace {

// Members of the native JSON that live in their own columns (the columns are authoritative).
constexpr std::string_view kColumnMembers[] = {"id",         "severity",   "count",
                                               "first_seen", "last_seen",  "workflow_status",
                                               "created_at", "updated_at", "evidence"};

}  // namespace

std::string FindingDoc(const findings::Finding& f) {
  nlohmann::ordered_json j = findings::FindingToJson(f);
  for (std::string_view member : kColumnMembers) j.erase(std::string(member));
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<findings::Finding> FindingFromRow(const FindingRow& row) {
  auto parsed = findings::ParseFindingJson(row.doc);
  if (!parsed) {
    return MakeError(ErrorCode::kIo, fmt::format("finding {} in the store is damaged: {}", row.id,
                                                 parsed.error().message));
  }
  findings::Finding f = std::move(*parsed);
  f.id = row.id;
  if (row.severity < 0 || row.severity > static_cast<std::int64_t>(findings::Severity::kCritical)) {
    return MakeError(ErrorCode::kIo, fmt::format("finding {} has severity {}", row.id, row.severity));
  }
  f.severity = static_cast<findings::Severity>(row.severity);
  f.count = static_cast<std::uint64_t>(row.count);
  f.first_seen = row.first_seen;
  f.last_seen = row.last_seen;
  auto status = findings::ParseWorkflowStatus(row.workflow);
  if (!status) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("finding {} has workflow '{}'", row.id, row.workflow));
  }
  f.workflow = *status;
  f.created_at = row.created_at;
  f.updated_at = row.updated_at;
  return f;
}

std::string ComplianceDoc(const findings::Finding& f) {
  nlohmann::ordered_json doc;
  doc["reasons"] = f.compliance->reasons;
  nlohmann::ordered_json evidence = nlohmann::ordered_json::array();
  for (const findings::ControlEvidence& e : f.compliance->evidence) {
    evidence.push_back({{"file", e.file}, {"said", e.said}});
  }
  doc["evidence"] = std::move(evidence);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ReadComplianceDoc(std::string_view text, ComplianceChange* c) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!(doc.is_object() && doc.contains("reasons") && doc["reasons"].is_array() &&
        doc.contains("evidence") && doc["evidence"].is_array())) {
    return;
  }
  for (const auto& r : doc["reasons"]) {
    if (r.is_string()) c->reasons.push_back(r.get<std::string>());
  }
  for (const auto& e : doc["evidence"]) {
    if (!e.is_object()) continue;
    auto text_of = [&e](const char* key) {
      auto it = e.find(key);
      return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    c->evidence.push_back({text_of("file"), text_of("said")});
  }
}

}  // namespace vigil::store
