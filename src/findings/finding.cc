#include "findings/finding.h"

#include <fmt/format.h>

#include <cctype>

#include "base/hash.h"

namespace vigil::findings {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr char kSep = '\x1f';

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 0;  // Sha256Hex only produces lower-case hex
}

}  // namespace

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInformational:
      return "INFORMATIONAL";
    case Severity::kLow:
      return "LOW";
    case Severity::kMedium:
      return "MEDIUM";
    case Severity::kHigh:
      return "HIGH";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "MEDIUM";
}

std::optional<Severity> ParseSeverity(std::string_view label) {
  for (Severity s : {Severity::kInformational, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    if (EqualsIgnoreCase(label, SeverityName(s))) return s;
  }
  return std::nullopt;
}

std::optional<Severity> SeverityFromFalcoPriority(std::string_view priority) {
  struct Entry {
    std::string_view name;
    Severity severity;
  };
  static constexpr Entry kTable[] = {
      {"EMERGENCY", Severity::kCritical},
      {"ALERT", Severity::kCritical},
      {"CRITICAL", Severity::kCritical},
      {"ERROR", Severity::kHigh},
      {"WARNING", Severity::kMedium},
      {"NOTICE", Severity::kLow},
      {"INFORMATIONAL", Severity::kInformational},
      {"INFO", Severity::kInformational},
      {"DEBUG", Severity::kInformational},
  };
  for (const Entry& e : kTable) {
    if (EqualsIgnoreCase(priority, e.name)) return e.severity;
  }
  return std::nullopt;
}

int NormalizedSeverity(Severity s) {
  switch (s) {
    case Severity::kInformational:
      return 0;
    case Severity::kLow:
      return 1;
    case Severity::kMedium:
      return 40;
    case Severity::kHigh:
      return 70;
    case Severity::kCritical:
      return 90;
  }
  return 40;
}

std::string_view WorkflowStatusName(WorkflowStatus s) {
  switch (s) {
    case WorkflowStatus::kNew:
      return "NEW";
    case WorkflowStatus::kNotified:
      return "NOTIFIED";
    case WorkflowStatus::kResolved:
      return "RESOLVED";
    case WorkflowStatus::kSuppressed:
      return "SUPPRESSED";
  }
  return "NEW";
}

std::optional<WorkflowStatus> ParseWorkflowStatus(std::string_view name) {
  for (WorkflowStatus s : {WorkflowStatus::kNew, WorkflowStatus::kNotified,
                           WorkflowStatus::kResolved, WorkflowStatus::kSuppressed}) {
    if (EqualsIgnoreCase(name, WorkflowStatusName(s))) return s;
  }
  return std::nullopt;
}

std::string_view ComplianceStatusName(ComplianceStatus s) {
  switch (s) {
    case ComplianceStatus::kPassed:
      return "PASSED";
    case ComplianceStatus::kWarning:
      return "WARNING";
    case ComplianceStatus::kFailed:
      return "FAILED";
    case ComplianceStatus::kNotAvailable:
      return "NOT_AVAILABLE";
  }
  return "NOT_AVAILABLE";
}

std::optional<ComplianceStatus> ParseComplianceStatus(std::string_view name) {
  for (ComplianceStatus s : {ComplianceStatus::kPassed, ComplianceStatus::kWarning,
                             ComplianceStatus::kFailed, ComplianceStatus::kNotAvailable}) {
    if (EqualsIgnoreCase(name, ComplianceStatusName(s))) return s;
  }
  return std::nullopt;
}

std::string FindingId(std::string_view rule, std::string_view dedup_key) {
  std::string material = "vigil-finding/v1";
  material += kSep;
  material += rule;
  material += kSep;
  material += dedup_key;
  return StableUuid(material);
}

std::string DefaultDedupKey(const Observation& obs) {
  std::string key;
  AppendDefaultDedupKey(obs, key);
  return key;
}

void AppendDefaultDedupKey(const Observation& obs, std::string& key) {
  const TargetResource& r = obs.resource;
  for (std::string_view part :
       {std::string_view(obs.cluster), std::string_view(obs.principal.username),
        std::string_view(r.api_group), std::string_view(r.resource),
        std::string_view(r.subresource), std::string_view(r.ns), std::string_view(r.name)}) {
    key += part;
    key += kSep;
  }
  // The request URI only identifies non-resource requests; for resource requests it carries query
  // parameters (resourceVersion, watch) that would split one finding into many.
  if (r.resource.empty()) key += r.request_uri;
}

namespace {
std::string EventMaterial(std::string_view audit_id, std::string_view stage) {
  return fmt::format("event/v1{}{}{}{}", kSep, audit_id, kSep, stage);
}
}  // namespace

std::string EventIdHex(std::string_view audit_id, std::string_view stage) {
  return Sha256Hex(EventMaterial(audit_id, stage)).substr(0, 32);
}

EventRef EventRefOf(const Observation& obs) {
  std::string material;
  if (!obs.audit_id.empty()) {
    material = EventMaterial(obs.audit_id, obs.stage);
  } else {
    material = fmt::format("event-noid/v1{}{}{}{}", kSep, obs.time, kSep, obs.evidence);
  }
  std::string hex = Sha256Hex(material);
  EventRef ref;
  for (size_t i = 0; i < ref.digest.size(); ++i) {
    ref.digest[i] = static_cast<std::uint8_t>(HexValue(hex[2 * i]) * 16 + HexValue(hex[2 * i + 1]));
  }
  ref.time = obs.time;
  return ref;
}

bool SameContent(const Finding& a, const Finding& b) {
  return a.id == b.id && a.rule == b.rule && a.type == b.type && a.severity == b.severity &&
         a.priority == b.priority && a.title == b.title && a.description == b.description &&
         a.dedup_key == b.dedup_key && a.count == b.count && a.audit_ids == b.audit_ids &&
         a.audit_ids_truncated == b.audit_ids_truncated && a.first_seen == b.first_seen &&
         a.last_seen == b.last_seen && a.cluster == b.cluster && a.account == b.account &&
         a.region == b.region && a.principal == b.principal && a.source_ips == b.source_ips &&
         a.user_agent == b.user_agent && a.resource == b.resource && a.mitre == b.mitre &&
         a.remediation == b.remediation && a.tags == b.tags && a.output_fields == b.output_fields &&
         a.context == b.context && a.evidence == b.evidence && a.workflow == b.workflow &&
         a.compliance == b.compliance;
}

std::optional<CallerGeo> CallerGeoOf(const Finding& f) {
  auto get = [&](const char* key) -> std::string {
    auto it = f.context.find(key);
    return it == f.context.end() ? std::string() : it->second;
  };
  CallerGeo g;
  g.country = get("caller_country");
  const std::string asn = get("caller_asn");
  std::uint64_t n = 0;
  bool digits = !asn.empty() && asn.size() <= 10;
  for (char c : asn) {
    if (c < '0' || c > '9') digits = false;
    if (digits) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (digits && n > 0 && n <= 0xffffffffULL) g.asn = static_cast<std::uint32_t>(n);
  if (g.country.empty() && g.asn == 0) return std::nullopt;
  g.ip = get("caller_ip");
  if (g.asn != 0) g.as_org = get("caller_as_org");
  return g;
}

}  // namespace vigil::findings
