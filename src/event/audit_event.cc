#include "event/audit_event.h"

#include <fmt/format.h>

#include <cstring>

namespace vigil::event {
namespace {

// `key == literal` with the length known at compile time, so the comparison is inlined.
template <std::size_t N>
bool Is(std::string_view key, const char (&literal)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), literal, N - 1) == 0;
}

// Maps a top-level key to a Member; kCount for keys vigil does not index.
Member MemberForKey(std::string_view key) {
  // Dispatch on length first: every key below has a distinct (length, first char) pair except
  // where compared in full.
  switch (key.size()) {
    case 4:
      if (Is(key, "kind")) return Member::kKind;
      if (Is(key, "verb")) return Member::kVerb;
      if (Is(key, "user")) return Member::kUser;
      break;
    case 5:
      if (Is(key, "level")) return Member::kLevel;
      if (Is(key, "stage")) return Member::kStage;
      break;
    case 7:
      if (Is(key, "auditID")) return Member::kAuditId;
      break;
    case 8:
      if (Is(key, "metadata")) return Member::kMetadata;
      break;
    case 9:
      if (Is(key, "sourceIPs")) return Member::kSourceIps;
      if (Is(key, "userAgent")) return Member::kUserAgent;
      if (Is(key, "objectRef")) return Member::kObjectRef;
      if (Is(key, "timestamp")) return Member::kTimestamp;
      break;
    case 10:
      if (Is(key, "apiVersion")) return Member::kApiVersion;
      if (Is(key, "requestURI")) return Member::kRequestUri;
      break;
    case 11:
      if (Is(key, "annotations")) return Member::kAnnotations;
      break;
    case 13:
      if (Is(key, "requestObject")) return Member::kRequestObject;
      break;
    case 14:
      if (Is(key, "responseStatus")) return Member::kResponseStatus;
      if (Is(key, "responseObject")) return Member::kResponseObject;
      if (Is(key, "stageTimestamp")) return Member::kStageTimestamp;
      break;
    case 16:
      if (Is(key, "impersonatedUser")) return Member::kImpersonatedUser;
      break;
    case 24:
      if (Is(key, "requestReceivedTimestamp")) return Member::kRequestReceivedTimestamp;
      break;
    default:
      break;
  }
  return Member::kCount;
}

}  // namespace

Stage ParseStage(std::string_view name) {
  if (name == "ResponseComplete") return Stage::kResponseComplete;
  if (name == "ResponseStarted") return Stage::kResponseStarted;
  if (name == "RequestReceived") return Stage::kRequestReceived;
  if (name == "Panic") return Stage::kPanic;
  return Stage::kUnknown;
}

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kRequestReceived: return "RequestReceived";
    case Stage::kResponseStarted: return "ResponseStarted";
    case Stage::kResponseComplete: return "ResponseComplete";
    case Stage::kPanic: return "Panic";
    case Stage::kUnknown: break;
  }
  return "";
}

std::optional<simdjson::dom::element> FindKey(simdjson::dom::element object,
                                              std::string_view key) {
  simdjson::dom::object obj;
  if (object.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  for (auto field : obj) {
    if (field.key == key) return field.value;
  }
  return std::nullopt;
}

std::string_view AsString(simdjson::dom::element element) {
  std::string_view s;
  if (element.get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

Result<AuditEvent> AuditEvent::FromElement(simdjson::dom::element root) {
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kParse, "event is not a JSON object");
  }
  AuditEvent ev;
  ev.root_ = root;
  for (auto field : obj) {
    Member m = MemberForKey(field.key);
    if (m == Member::kCount) continue;
    auto idx = static_cast<unsigned>(m);
    if (ev.present_ & (1u << idx)) continue;  // first occurrence wins, as in the API server
    ev.present_ |= 1u << idx;
    ev.members_[idx] = field.value;
  }
  if (!ev.Has(Member::kAuditId)) return MakeError(ErrorCode::kParse, "event has no auditID");
  ev.audit_id_ = ev.GetString(Member::kAuditId);
  if (ev.audit_id_.empty()) {
    return MakeError(ErrorCode::kParse, "event auditID is not a non-empty string");
  }
  if (!ev.Has(Member::kStage)) return MakeError(ErrorCode::kParse, "event has no stage");
  ev.stage_name_ = ev.GetString(Member::kStage);
  if (ev.stage_name_.empty()) {
    return MakeError(ErrorCode::kParse, "event stage is not a non-empty string");
  }
  ev.stage_ = ParseStage(ev.stage_name_);
  ev.verb_ = ev.GetString(Member::kVerb);
  ev.resource_ = ev.ObjectRef("resource");
  ev.subresource_ = ev.ObjectRef("subresource");
  return ev;
}

std::string_view AuditEvent::GetString(Member m) const {
  auto e = Get(m);
  return e ? AsString(*e) : std::string_view();
}

std::string_view AuditEvent::user_name() const {
  auto user = Get(Member::kUser);
  if (!user) return {};
  auto name = FindKey(*user, "username");
  return name ? AsString(*name) : std::string_view();
}

std::string_view AuditEvent::ObjectRef(std::string_view key) const {
  auto ref = Get(Member::kObjectRef);
  if (!ref) return {};
  auto v = FindKey(*ref, key);
  return v ? AsString(*v) : std::string_view();
}

int AuditEvent::response_code() const {
  auto status = Get(Member::kResponseStatus);
  if (!status) return -1;
  auto code = FindKey(*status, "code");
  if (!code) return -1;
  std::int64_t v;
  if (code->get_int64().get(v) != simdjson::SUCCESS) return -1;
  if (v < 0 || v > 999) return -1;
  return static_cast<int>(v);
}

std::string_view AuditEvent::Annotation(std::string_view key) const {
  auto ann = Get(Member::kAnnotations);
  if (!ann) return {};
  auto v = FindKey(*ann, key);
  return v ? AsString(*v) : std::string_view();
}

UnixNanos AuditEvent::ParseTime() const {
  for (Member m : {Member::kStageTimestamp, Member::kTimestamp, Member::kRequestReceivedTimestamp}) {
    std::string_view s = GetString(m);
    if (s.empty()) continue;
    if (auto t = ParseRfc3339(s)) return *t;
  }
  if (auto md = Get(Member::kMetadata)) {
    if (auto ct = FindKey(*md, "creationTimestamp")) {
      if (auto t = ParseRfc3339(AsString(*ct))) return *t;
    }
  }
  return 0;
}

std::optional<simdjson::dom::element> AuditEvent::AtPointer(std::string_view pointer) const {
  if (pointer.empty()) return root_;
  // Fast path for a top-level member ("/stage"), the most common pointer in Falco's rules.
  if (pointer.size() > 1 && pointer[0] == '/' &&
      pointer.find_first_of("/~", 1) == std::string_view::npos) {
    Member m = MemberForKey(pointer.substr(1));
    if (m != Member::kCount) return Get(m);
  }
  simdjson::dom::element out;
  if (root_.at_pointer(pointer).get(out) != simdjson::SUCCESS) return std::nullopt;
  return out;
}

}  // namespace vigil::event
