#include "server/api_bodies.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "base/time.h"

namespace vigil::server {
namespace {

using nlohmann::json;

Result<json> ParseObject(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kParse, "the body is not valid JSON");
  if (!j.is_object()) return MakeError(ErrorCode::kParse, "the body must be a JSON object");
  return j;
}

Status OnlyKnownMembers(const json& j, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return MakeError(ErrorCode::kParse,
                       fmt::format("unknown member '{}' (known: {})", key, list));
    }
  }
  return Ok();
}

// A string member, "" when absent or null.
Result<std::string> StringMember(const json& j, const char* name, std::size_t max_len = 1024) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return MakeError(ErrorCode::kParse, fmt::format("{}: expected a string", name));
  }
  std::string s = it->get<std::string>();
  if (s.size() > max_len) {
    return MakeError(ErrorCode::kParse, fmt::format("{}: longer than {} bytes", name, max_len));
  }
  return s;
}

}  // namespace

Result<WorkflowUpdate> ParseWorkflowUpdate(std::string_view body) {
  VIGIL_TRY(json j, ParseObject(body));
  VIGIL_TRY_STATUS(OnlyKnownMembers(j, {"status", "note"}));
  VIGIL_TRY(std::string status, StringMember(j, "status"));
  auto parsed = findings::ParseWorkflowStatus(status);
  if (!parsed) {
    return MakeError(ErrorCode::kParse, "status: expected NEW, NOTIFIED, RESOLVED or SUPPRESSED");
  }
  WorkflowUpdate u;
  u.status = *parsed;
  VIGIL_TRY(u.note, StringMember(j, "note", 4096));
  return u;
}

Result<store::Suppression> ParseSuppressionRequest(std::string_view body) {
  VIGIL_TRY(json j, ParseObject(body));
  VIGIL_TRY_STATUS(
      OnlyKnownMembers(j, {"type", "principal", "namespace", "image_prefix", "expires", "note"}));
  store::Suppression s;
  VIGIL_TRY(s.type, StringMember(j, "type"));
  VIGIL_TRY(s.principal, StringMember(j, "principal"));
  VIGIL_TRY(s.ns, StringMember(j, "namespace"));
  VIGIL_TRY(s.image_prefix, StringMember(j, "image_prefix"));
  VIGIL_TRY(s.note, StringMember(j, "note", 4096));
  VIGIL_TRY(std::string expires, StringMember(j, "expires"));
  if (!expires.empty()) {
    auto t = ParseRfc3339(expires);
    if (!t) {
      return MakeError(ErrorCode::kParse,
                       "expires: expected an RFC 3339 time such as 2026-12-31T00:00:00Z");
    }
    s.expires_at = *t;
  }
  if (s.type.empty() && s.principal.empty() && s.ns.empty() && s.image_prefix.empty()) {
    return MakeError(
        ErrorCode::kParse,
        "a suppression needs at least one of type, principal, namespace, image_prefix");
  }
  return s;
}

}  // namespace vigil::server
