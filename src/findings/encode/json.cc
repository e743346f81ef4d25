#include "findings/encode/json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "base/json_text.h"
#include "base/time.h"
#include "findings/encode/line_batch.h"
#include "findings/encode/text.h"

namespace vigil::findings {
namespace {

using ojson = nlohmann::ordered_json;

constexpr int kFractionDigits = 6;

std::string Time(UnixNanos t) { return FormatRfc3339(t, kFractionDigits); }

ojson Strings(const std::vector<std::string>& v) {
  ojson a = ojson::array();
  for (const std::string& s : v) a.push_back(s);
  return a;
}

ojson StringMap(const std::map<std::string, std::string>& m) {
  ojson o = ojson::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

ojson EvidenceJson(const std::string& evidence) {
  if (evidence.empty()) return nullptr;
  ojson parsed = ojson::parse(evidence, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return ojson{{"unparsed", evidence}};
  return parsed;
}

ojson ComplianceJson(const Compliance& c) {
  ojson j;
  j["control"] = c.control_id;
  j["status"] = ComplianceStatusName(c.status);
  j["control_severity"] = SeverityName(c.control_severity);
  j["standard"] = c.standard;
  j["reasons"] = Strings(c.reasons);
  j["resource_type"] = c.resource_type;
  j["resource_id"] = c.resource_id;
  j["remediation_type"] = c.auto_remediation ? "auto" : "manual";
  ojson evidence = ojson::array();
  for (const ControlEvidence& e : c.evidence) {
    evidence.push_back(ojson{{"file", e.file}, {"said", e.said}});
  }
  j["evidence"] = std::move(evidence);
  j["status_since"] = Time(c.status_since);
  return j;
}

// ---- decoding ----

Error ParseError(std::string_view member, std::string_view what) {
  return MakeError(ErrorCode::kParse, fmt::format("finding JSON: member '{}' {}", member, what));
}

const ojson* Member(const ojson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

Status GetString(const ojson& j, const char* key, std::string& out) {
  const ojson* m = Member(j, key);
  if (m == nullptr) return Ok();
  if (!m->is_string()) return ParseError(key, "must be a string");
  out = m->get<std::string>();
  return Ok();
}

Status GetStrings(const ojson& j, const char* key, std::vector<std::string>& out) {
  const ojson* m = Member(j, key);
  if (m == nullptr) return Ok();
  if (!m->is_array()) return ParseError(key, "must be an array of strings");
  out.clear();
  for (const auto& e : *m) {
    if (!e.is_string()) return ParseError(key, "must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return Ok();
}

Status GetStringMap(const ojson& j, const char* key, std::map<std::string, std::string>& out) {
  const ojson* m = Member(j, key);
  if (m == nullptr) return Ok();
  if (!m->is_object()) return ParseError(key, "must be an object of strings");
  out.clear();
  for (const auto& [k, v] : m->items()) {
    if (!v.is_string()) return ParseError(key, "must be an object of strings");
    out[k] = v.get<std::string>();
  }
  return Ok();
}

Status GetTime(const ojson& j, const char* key, UnixNanos& out) {
  std::string text;
  VIGIL_TRY_STATUS(GetString(j, key, text));
  if (text.empty()) return Ok();
  auto t = ParseRfc3339(text);
  if (!t) return ParseError(key, fmt::format("is not an RFC 3339 time: '{}'", text));
  out = *t;
  return Ok();
}

Status GetObject(const ojson& j, const char* key, const ojson*& out) {
  out = Member(j, key);
  if (out != nullptr && !out->is_object()) return ParseError(key, "must be an object");
  return Ok();
}

Result<Compliance> ComplianceFromJson(const ojson& j) {
  Compliance c;
  VIGIL_TRY_STATUS(GetString(j, "control", c.control_id));
  std::string text;
  VIGIL_TRY_STATUS(GetString(j, "status", text));
  auto status = ParseComplianceStatus(text);
  if (!status) return ParseError("compliance.status", fmt::format("is not a status: '{}'", text));
  c.status = *status;
  text.clear();
  VIGIL_TRY_STATUS(GetString(j, "control_severity", text));
  if (!text.empty()) {
    auto s = ParseSeverity(text);
    if (!s) return ParseError("compliance.control_severity", fmt::format("is '{}'", text));
    c.control_severity = *s;
  }
  VIGIL_TRY_STATUS(GetString(j, "standard", c.standard));
  VIGIL_TRY_STATUS(GetStrings(j, "reasons", c.reasons));
  VIGIL_TRY_STATUS(GetString(j, "resource_type", c.resource_type));
  VIGIL_TRY_STATUS(GetString(j, "resource_id", c.resource_id));
  text.clear();
  VIGIL_TRY_STATUS(GetString(j, "remediation_type", text));
  c.auto_remediation = text == "auto";
  if (const ojson* evidence = Member(j, "evidence")) {
    if (!evidence->is_array()) return ParseError("compliance.evidence", "must be an array");
    for (const auto& e : *evidence) {
      if (!e.is_object()) return ParseError("compliance.evidence", "must hold objects");
      ControlEvidence item;
      VIGIL_TRY_STATUS(GetString(e, "file", item.file));
      VIGIL_TRY_STATUS(GetString(e, "said", item.said));
      c.evidence.push_back(std::move(item));
    }
  }
  VIGIL_TRY_STATUS(GetTime(j, "status_since", c.status_since));
  return c;
}

}  // namespace

namespace {

// The members before "evidence", in output order.
ojson HeadJson(const Finding& f) {
  ojson j;
  j["id"] = f.id;
  j["rule"] = f.rule;
  j["type"] = f.type;
  j["severity"] = SeverityName(f.severity);
  j["title"] = f.title;
  j["description"] = f.description;
  j["dedup_key"] = f.dedup_key;
  j["count"] = f.count;
  j["audit_ids"] = Strings(f.audit_ids);
  j["audit_ids_truncated"] = f.audit_ids_truncated;
  j["first_seen"] = Time(f.first_seen);
  j["last_seen"] = Time(f.last_seen);
  j["cluster"] = f.cluster;
  j["account"] = f.account;
  j["region"] = f.region;

  const Principal& p = f.principal;
  ojson principal;
  principal["username"] = p.username;
  principal["uid"] = p.uid;
  principal["groups"] = Strings(p.groups);
  principal["impersonated_user"] = p.impersonated_user;
  ojson aws = ojson::object();
  if (!p.aws_arn.empty()) aws["arn"] = p.aws_arn;
  if (!p.aws_session_name.empty()) aws["session_name"] = p.aws_session_name;
  if (!p.aws_access_key_id.empty()) aws["access_key_id"] = p.aws_access_key_id;
  if (!p.aws_principal_id.empty()) aws["principal_id"] = p.aws_principal_id;
  if (!aws.empty()) principal["aws"] = std::move(aws);
  j["principal"] = std::move(principal);

  j["source_ips"] = Strings(f.source_ips);
  j["user_agent"] = f.user_agent;
  const TargetResource& r = f.resource;
  j["resource"] =
      ojson{{"api_group", r.api_group}, {"resource", r.resource}, {"subresource", r.subresource},
            {"namespace", r.ns},        {"name", r.name},         {"request_uri", r.request_uri}};
  ojson mitre = ojson::array();
  for (const MitreRef& m : f.mitre) {
    mitre.push_back(
        ojson{{"tactic", m.tactic}, {"technique_id", m.technique_id}, {"technique", m.technique}});
  }
  j["mitre"] = std::move(mitre);
  j["remediation"] = ojson{{"text", f.remediation.text}, {"url", f.remediation.url}};
  j["tags"] = Strings(f.tags);
  j["priority"] = f.priority;
  j["output_fields"] = StringMap(f.output_fields);
  j["context"] = StringMap(f.context);
  return j;
}

// The members after "evidence": vigil's own values only (no event data).
ojson TailJson(const Finding& f) {
  ojson j;
  j["workflow_status"] = WorkflowStatusName(f.workflow);
  j["created_at"] = Time(f.created_at);
  j["updated_at"] = Time(f.updated_at);
  if (f.compliance) {
    // The control-result summary that issue 4 asks of the native JSON, beside account, region,
    // resource and severity; the `compliance` object is the authoritative, complete form.
    j["control"] = f.compliance->control_id;
    j["status"] = ComplianceStatusName(f.compliance->status);
    j["reasons"] = Strings(f.compliance->reasons);
    j["compliance"] = ComplianceJson(*f.compliance);
  }
  if (!f.related_findings.empty()) j["related_findings"] = Strings(f.related_findings);
  return j;
}

std::string Dump(const ojson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether `text` is exactly one JSON value on one line, checked with simdjson (fast) rather than
// nlohmann.
bool IsOneJsonLine(const std::string& text) {
  // Two finds, not find_first_of("\r\n"), which calls memchr over the set once per character.
  if (text.find('\n') != std::string::npos || text.find('\r') != std::string::npos) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(text).get(root) == simdjson::SUCCESS;
}

}  // namespace

nlohmann::ordered_json FindingToJson(const Finding& f) {
  ojson j = HeadJson(f);
  j["evidence"] = EvidenceJson(f.evidence);
  const ojson tail = TailJson(f);
  for (auto it = tail.begin(); it != tail.end(); ++it) j[it.key()] = it.value();
  return j;
}

// ---- writing the line directly ----
//
// What follows writes the same bytes as Dump(FindingToJson(f)) without building the tree: member
// names are constants spelled out below in FindingToJson's order, values go through the
// json_text.h writers (byte-identical to nlohmann's dump with error_handler_t::replace).
// tests/findings/json_line_test.cc compares the two over every finding the examples give.
namespace {

void AppendTime(std::string& out, UnixNanos t) { AppendJsonString(out, Time(t)); }

// `prefix` (the member's name with its separators, e.g. `,"rule":`) and a string value.
void AppendMember(std::string& out, std::string_view prefix, std::string_view value) {
  out += prefix;
  AppendJsonString(out, value);
}

void AppendStrings(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, v[i]);
  }
  out += ']';
}

void AppendStringMap(std::string& out, const std::map<std::string, std::string>& m) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, k);
    out += ':';
    AppendJsonString(out, v);
  }
  out += '}';
}

// principal.aws: only the non-empty members, and nothing when all are empty.
void AppendAws(std::string& out, const Principal& p) {
  const std::pair<std::string_view, const std::string*> members[] = {
      {"\"arn\":", &p.aws_arn},
      {"\"session_name\":", &p.aws_session_name},
      {"\"access_key_id\":", &p.aws_access_key_id},
      {"\"principal_id\":", &p.aws_principal_id}};
  bool first = true;
  for (const auto& [key, value] : members) {
    if (value->empty()) continue;
    out += first ? ",\"aws\":{" : ",";
    first = false;
    out += key;
    AppendJsonString(out, *value);
  }
  if (!first) out += '}';
}

void AppendCompliance(std::string& out, const Compliance& c) {
  AppendMember(out, "{\"control\":", c.control_id);
  AppendMember(out, ",\"status\":", ComplianceStatusName(c.status));
  AppendMember(out, ",\"control_severity\":", SeverityName(c.control_severity));
  AppendMember(out, ",\"standard\":", c.standard);
  out += ",\"reasons\":";
  AppendStrings(out, c.reasons);
  AppendMember(out, ",\"resource_type\":", c.resource_type);
  AppendMember(out, ",\"resource_id\":", c.resource_id);
  out += c.auto_remediation ? ",\"remediation_type\":\"auto\"" : ",\"remediation_type\":\"manual\"";
  out += ",\"evidence\":[";
  for (std::size_t i = 0; i < c.evidence.size(); ++i) {
    if (i > 0) out += ',';
    AppendMember(out, "{\"file\":", c.evidence[i].file);
    AppendMember(out, ",\"said\":", c.evidence[i].said);
    out += '}';
  }
  out += "],\"status_since\":";
  AppendTime(out, c.status_since);
  out += '}';
}

// HeadJson's members, from '{' to the end of "context" (no closing brace).
void AppendHead(std::string& out, const Finding& f) {
  AppendMember(out, "{\"id\":", f.id);
  AppendMember(out, ",\"rule\":", f.rule);
  AppendMember(out, ",\"type\":", f.type);
  AppendMember(out, ",\"severity\":", SeverityName(f.severity));
  AppendMember(out, ",\"title\":", f.title);
  AppendMember(out, ",\"description\":", f.description);
  AppendMember(out, ",\"dedup_key\":", f.dedup_key);
  out += ",\"count\":";
  AppendJsonUint(out, f.count);
  out += ",\"audit_ids\":";
  AppendStrings(out, f.audit_ids);
  out += f.audit_ids_truncated ? ",\"audit_ids_truncated\":true" : ",\"audit_ids_truncated\":false";
  out += ",\"first_seen\":";
  AppendTime(out, f.first_seen);
  out += ",\"last_seen\":";
  AppendTime(out, f.last_seen);
  AppendMember(out, ",\"cluster\":", f.cluster);
  AppendMember(out, ",\"account\":", f.account);
  AppendMember(out, ",\"region\":", f.region);

  const Principal& p = f.principal;
  AppendMember(out, ",\"principal\":{\"username\":", p.username);
  AppendMember(out, ",\"uid\":", p.uid);
  out += ",\"groups\":";
  AppendStrings(out, p.groups);
  AppendMember(out, ",\"impersonated_user\":", p.impersonated_user);
  AppendAws(out, p);
  out += '}';

  out += ",\"source_ips\":";
  AppendStrings(out, f.source_ips);
  AppendMember(out, ",\"user_agent\":", f.user_agent);
  const TargetResource& r = f.resource;
  AppendMember(out, ",\"resource\":{\"api_group\":", r.api_group);
  AppendMember(out, ",\"resource\":", r.resource);
  AppendMember(out, ",\"subresource\":", r.subresource);
  AppendMember(out, ",\"namespace\":", r.ns);
  AppendMember(out, ",\"name\":", r.name);
  AppendMember(out, ",\"request_uri\":", r.request_uri);
  out += "},\"mitre\":[";
  for (std::size_t i = 0; i < f.mitre.size(); ++i) {
    if (i > 0) out += ',';
    AppendMember(out, "{\"tactic\":", f.mitre[i].tactic);
    AppendMember(out, ",\"technique_id\":", f.mitre[i].technique_id);
    AppendMember(out, ",\"technique\":", f.mitre[i].technique);
    out += '}';
  }
  AppendMember(out, "],\"remediation\":{\"text\":", f.remediation.text);
  AppendMember(out, ",\"url\":", f.remediation.url);
  out += "},\"tags\":";
  AppendStrings(out, f.tags);
  AppendMember(out, ",\"priority\":", f.priority);
  out += ",\"output_fields\":";
  AppendStringMap(out, f.output_fields);
  out += ",\"context\":";
  AppendStringMap(out, f.context);
}

// TailJson's members, each after a ',', then the closing '}'.
void AppendTail(std::string& out, const Finding& f) {
  AppendMember(out, ",\"workflow_status\":", WorkflowStatusName(f.workflow));
  out += ",\"created_at\":";
  AppendTime(out, f.created_at);
  out += ",\"updated_at\":";
  AppendTime(out, f.updated_at);
  if (f.compliance) {
    AppendMember(out, ",\"control\":", f.compliance->control_id);
    AppendMember(out, ",\"status\":", ComplianceStatusName(f.compliance->status));
    out += ",\"reasons\":";
    AppendStrings(out, f.compliance->reasons);
    out += ",\"compliance\":";
    AppendCompliance(out, *f.compliance);
  }
  if (!f.related_findings.empty()) {
    out += ",\"related_findings\":";
    AppendStrings(out, f.related_findings);
  }
  out += '}';
}

// The finding's line (no newline) appended to `out`.
void AppendFindingJson(std::string& out, const Finding& f) {
  out.reserve(out.size() + f.evidence.size() + f.description.size() + 1024);
  AppendHead(out, f);
  out += ",\"evidence\":";
  // Evidence is the redacted event as compact JSON, often kilobytes: when it is valid JSON on one
  // line it is written as it is rather than parsed and printed again (the same bytes, much
  // faster). Anything else (none, not JSON, several lines) takes nlohmann's path, as before.
  if (f.evidence.empty()) {
    out += "null";
  } else if (IsOneJsonLine(f.evidence)) {
    out += f.evidence;
  } else {
    out += Dump(EvidenceJson(f.evidence));
  }
  AppendTail(out, f);
}

}  // namespace

std::string EncodeFindingJson(const Finding& f) {
  std::string line;
  AppendFindingJson(line, f);
  return line;
}

void WriteFindingJsonLines(std::ostream& out, std::span<const Finding> findings) {
  LineBatch batch(out);
  for (const Finding& f : findings) {
    AppendFindingJson(batch.text(), f);
    batch.EndLine();
  }
  batch.Flush();
}

Result<Finding> FindingFromJson(const nlohmann::ordered_json& j) {
  if (!j.is_object()) return MakeError(ErrorCode::kParse, "finding JSON: not an object");
  Finding f;
  VIGIL_TRY_STATUS(GetString(j, "id", f.id));
  VIGIL_TRY_STATUS(GetString(j, "rule", f.rule));
  VIGIL_TRY_STATUS(GetString(j, "type", f.type));
  std::string severity;
  VIGIL_TRY_STATUS(GetString(j, "severity", severity));
  if (!severity.empty()) {
    auto s = ParseSeverity(severity);
    if (!s) return ParseError("severity", fmt::format("is not a severity label: '{}'", severity));
    f.severity = *s;
  }
  VIGIL_TRY_STATUS(GetString(j, "title", f.title));
  VIGIL_TRY_STATUS(GetString(j, "description", f.description));
  VIGIL_TRY_STATUS(GetString(j, "dedup_key", f.dedup_key));
  if (const ojson* count = Member(j, "count")) {
    if (!count->is_number_unsigned() && !(count->is_number_integer() && *count >= 0)) {
      return ParseError("count", "must be a non-negative integer");
    }
    f.count = count->get<std::uint64_t>();
  }
  VIGIL_TRY_STATUS(GetStrings(j, "audit_ids", f.audit_ids));
  if (const ojson* t = Member(j, "audit_ids_truncated")) {
    if (!t->is_boolean()) return ParseError("audit_ids_truncated", "must be a boolean");
    f.audit_ids_truncated = t->get<bool>();
  }
  VIGIL_TRY_STATUS(GetTime(j, "first_seen", f.first_seen));
  VIGIL_TRY_STATUS(GetTime(j, "last_seen", f.last_seen));
  VIGIL_TRY_STATUS(GetString(j, "cluster", f.cluster));
  VIGIL_TRY_STATUS(GetString(j, "account", f.account));
  VIGIL_TRY_STATUS(GetString(j, "region", f.region));

  const ojson* principal = nullptr;
  VIGIL_TRY_STATUS(GetObject(j, "principal", principal));
  if (principal != nullptr) {
    Principal& p = f.principal;
    VIGIL_TRY_STATUS(GetString(*principal, "username", p.username));
    VIGIL_TRY_STATUS(GetString(*principal, "uid", p.uid));
    VIGIL_TRY_STATUS(GetStrings(*principal, "groups", p.groups));
    VIGIL_TRY_STATUS(GetString(*principal, "impersonated_user", p.impersonated_user));
    const ojson* aws = nullptr;
    VIGIL_TRY_STATUS(GetObject(*principal, "aws", aws));
    if (aws != nullptr) {
      VIGIL_TRY_STATUS(GetString(*aws, "arn", p.aws_arn));
      VIGIL_TRY_STATUS(GetString(*aws, "session_name", p.aws_session_name));
      VIGIL_TRY_STATUS(GetString(*aws, "access_key_id", p.aws_access_key_id));
      VIGIL_TRY_STATUS(GetString(*aws, "principal_id", p.aws_principal_id));
    }
  }
  VIGIL_TRY_STATUS(GetStrings(j, "source_ips", f.source_ips));
  VIGIL_TRY_STATUS(GetString(j, "user_agent", f.user_agent));

  const ojson* resource = nullptr;
  VIGIL_TRY_STATUS(GetObject(j, "resource", resource));
  if (resource != nullptr) {
    TargetResource& r = f.resource;
    VIGIL_TRY_STATUS(GetString(*resource, "api_group", r.api_group));
    VIGIL_TRY_STATUS(GetString(*resource, "resource", r.resource));
    VIGIL_TRY_STATUS(GetString(*resource, "subresource", r.subresource));
    VIGIL_TRY_STATUS(GetString(*resource, "namespace", r.ns));
    VIGIL_TRY_STATUS(GetString(*resource, "name", r.name));
    VIGIL_TRY_STATUS(GetString(*resource, "request_uri", r.request_uri));
  }
  if (const ojson* mitre = Member(j, "mitre")) {
    if (!mitre->is_array()) return ParseError("mitre", "must be an array of objects");
    for (const auto& e : *mitre) {
      if (!e.is_object()) return ParseError("mitre", "must be an array of objects");
      MitreRef m;
      VIGIL_TRY_STATUS(GetString(e, "tactic", m.tactic));
      VIGIL_TRY_STATUS(GetString(e, "technique_id", m.technique_id));
      VIGIL_TRY_STATUS(GetString(e, "technique", m.technique));
      f.mitre.push_back(std::move(m));
    }
  }
  const ojson* remediation = nullptr;
  VIGIL_TRY_STATUS(GetObject(j, "remediation", remediation));
  if (remediation != nullptr) {
    VIGIL_TRY_STATUS(GetString(*remediation, "text", f.remediation.text));
    VIGIL_TRY_STATUS(GetString(*remediation, "url", f.remediation.url));
  }
  VIGIL_TRY_STATUS(GetStrings(j, "tags", f.tags));
  VIGIL_TRY_STATUS(GetString(j, "priority", f.priority));
  VIGIL_TRY_STATUS(GetStringMap(j, "output_fields", f.output_fields));
  VIGIL_TRY_STATUS(GetStringMap(j, "context", f.context));
  if (const ojson* evidence = Member(j, "evidence")) {
    if (evidence->is_string()) {
      f.evidence = evidence->get<std::string>();
    } else {
      auto unparsed = evidence->is_object() && evidence->size() == 1 ? evidence->find("unparsed")
                                                                     : evidence->end();
      if (unparsed != evidence->end() && unparsed->is_string()) {
        f.evidence = unparsed->get<std::string>();
      } else {
        f.evidence = evidence->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
    }
  }
  std::string workflow;
  VIGIL_TRY_STATUS(GetString(j, "workflow_status", workflow));
  if (!workflow.empty()) {
    auto w = ParseWorkflowStatus(workflow);
    if (!w) return ParseError("workflow_status", fmt::format("is not a status: '{}'", workflow));
    f.workflow = *w;
  }
  VIGIL_TRY_STATUS(GetTime(j, "created_at", f.created_at));
  VIGIL_TRY_STATUS(GetTime(j, "updated_at", f.updated_at));
  const ojson* compliance = nullptr;
  VIGIL_TRY_STATUS(GetObject(j, "compliance", compliance));
  if (compliance != nullptr) {
    VIGIL_TRY(f.compliance, ComplianceFromJson(*compliance));
  }
  VIGIL_TRY_STATUS(GetStrings(j, "related_findings", f.related_findings));
  return f;
}

Result<Finding> ParseFindingJson(std::string_view text) {
  ojson j = ojson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kParse, "finding JSON: not valid JSON");
  return FindingFromJson(j);
}

}  // namespace vigil::findings
