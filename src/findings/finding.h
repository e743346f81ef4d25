// Finding: what vigil reports. One Finding aggregates every Observation that shares its dedup key
// (rule + cluster + principal + target resource by default); its id is derived from that key, so
// the same activity gives the same id on every run and every machine (DESIGN.md "Contracts").
#ifndef VIGIL_FINDINGS_FINDING_H_
#define VIGIL_FINDINGS_FINDING_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace vigil::findings {

// ASFF severity labels, in increasing order.
enum class Severity : std::uint8_t { kInformational = 0, kLow, kMedium, kHigh, kCritical };

// "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL".
std::string_view SeverityName(Severity s);
// Case-insensitive label; nullopt for anything else.
std::optional<Severity> ParseSeverity(std::string_view label);
// Falco priority (case-insensitive) to severity: EMERGENCY/ALERT/CRITICAL→CRITICAL, ERROR→HIGH,
// WARNING→MEDIUM, NOTICE→LOW, INFORMATIONAL/INFO/DEBUG→INFORMATIONAL. nullopt if unknown.
std::optional<Severity> SeverityFromFalcoPriority(std::string_view priority);
// ASFF Severity.Normalized for a label: 0, 1, 40, 70, 90.
int NormalizedSeverity(Severity s);

// Who made the request. AWS fields come from `user.extra` (EKS IAM identities) when present.
struct Principal {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::string impersonated_user;  // impersonatedUser.username, when impersonation was used
  std::string aws_arn;            // user.extra["arn"] (or canonicalArn)
  std::string aws_session_name;   // user.extra["sessionName"]
  std::string aws_access_key_id;  // user.extra["accessKeyId"]: an id, not a secret
  std::string aws_principal_id;   // user.extra["principalId"]

  friend bool operator==(const Principal&, const Principal&) = default;
};

// What the request acted on (objectRef), or the non-resource URL.
struct TargetResource {
  std::string api_group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string request_uri;  // for non-resource requests and as context

  friend bool operator==(const TargetResource&, const TargetResource&) = default;
};

struct MitreRef {
  std::string tactic;        // e.g. "Privilege Escalation"
  std::string technique_id;  // e.g. "T1610"
  std::string technique;     // e.g. "Deploy Container"

  friend bool operator==(const MitreRef&, const MitreRef&) = default;
};

struct Remediation {
  std::string text;
  std::string url;

  friend bool operator==(const Remediation&, const Remediation&) = default;
};

// One rule match on one event, fully materialised (no views into the event), already redacted.
struct Observation {
  std::string rule;  // rule name
  std::string type;  // finding type (GuardDuty name, or "Custom:Kubernetes/<rule>")
  Severity severity = Severity::kMedium;
  std::string priority;     // the rule's Falco priority as written, if any
  std::string title;        // short: the rule's description's first sentence or the rule name
  std::string description;  // the rendered output line
  std::string dedup_key;    // cluster + the rule's dedup_by values; the id is derived from it
  std::string cluster;
  std::string account;
  std::string region;
  std::string audit_id;
  std::string stage;
  UnixNanos time = 0;
  Principal principal;
  std::vector<std::string> source_ips;
  std::string user_agent;
  TargetResource resource;
  int response_code = -1;
  std::string verb;
  std::vector<MitreRef> mitre;
  Remediation remediation;
  std::vector<std::string> tags;
  std::map<std::string, std::string> output_fields;  // field → rendered value, as Falco's JSON
  std::map<std::string, std::string> context;        // rule-specific facts (threat list, …)
                                                      // caller_ip, caller_country, caller_asn,
                                                      // caller_as_org: see CallerGeoOf
  std::string evidence;                              // the redacted event as compact JSON
};

// The id of the finding that a rule's observations with this dedup key aggregate into: a
// StableUuid of "vigil-finding/v1", the rule name and the dedup key, separated by 0x1f. Same input,
// same id, on every run and machine. Changing the recipe would re-open every finding, so the
// version tag in it only changes together with a store migration.
std::string FindingId(std::string_view rule, std::string_view dedup_key);

// The default dedup key when a rule sets no `dedup_by`: cluster, principal username and target
// resource (api group, resource, subresource, namespace, name; the request URI for non-resource
// requests), joined with 0x1f.
std::string DefaultDedupKey(const Observation& obs);
// The same, appended to `out` (reusing its storage).
void AppendDefaultDedupKey(const Observation& obs, std::string& out);

// The identity of one evidence event, (auditID, stage), as a 16-byte digest, with the event's time.
// A FindingStore keeps these per finding so that feeding it the same event twice (a re-scan of the
// same file, a redelivered batch) does not count it twice. Events without an auditID are
// identified by their time and redacted body instead.
struct EventRef {
  std::array<std::uint8_t, 16> digest{};
  UnixNanos time = 0;

  friend bool operator==(const EventRef&, const EventRef&) = default;
};
EventRef EventRefOf(const Observation& obs);

// The digest EventRefOf gives an event with this auditID and stage, as 32 lower-case hex
// characters: the Nats-Msg-Id the JetStream front publishes the event with (docs/scale-out.md).
std::string EventIdHex(std::string_view audit_id, std::string_view stage);

// Where a finding stands in people's workflow (ASFF Workflow.Status).
enum class WorkflowStatus : std::uint8_t { kNew, kNotified, kResolved, kSuppressed };
std::string_view WorkflowStatusName(WorkflowStatus s);
std::optional<WorkflowStatus> ParseWorkflowStatus(std::string_view name);

// The result of a posture control (GuardDuty.5, EKS.8, the audit-policy checks, ...): ASFF's
// Compliance.Status. PASSED, WARNING and NOT_AVAILABLE findings are INFORMATIONAL; a FAILED one
// carries the control's severity (Security Hub's rule, reference §3a).
enum class ComplianceStatus : std::uint8_t { kPassed, kWarning, kFailed, kNotAvailable };
// "PASSED", "WARNING", "FAILED", "NOT_AVAILABLE".
std::string_view ComplianceStatusName(ComplianceStatus s);
std::optional<ComplianceStatus> ParseComplianceStatus(std::string_view name);

// One piece of evidence for a control result: which input file said what.
struct ControlEvidence {
  std::string file;  // e.g. "SNAP/111122223333/us-east-1/guardduty/get-detector-abc.json"
  std::string said;  // e.g. "Features[EKS_AUDIT_LOGS].Status = DISABLED"

  friend bool operator==(const ControlEvidence&, const ControlEvidence&) = default;
};

// What makes a Finding a control (compliance) finding rather than a detection. Detection findings
// have no Compliance (Finding::compliance is empty).
struct Compliance {
  std::string control_id;  // "GuardDuty.5", "EKS.8", "KubeAudit.3", ...
  ComplianceStatus status = ComplianceStatus::kNotAvailable;
  Severity control_severity = Severity::kMedium;  // the control's own severity
  // "aws-foundational-security-best-practices/v/1.0.0" for the AWS controls; empty for vigil's.
  std::string standard;
  std::vector<std::string> reasons;  // why this status, one sentence each
  std::string resource_type;  // ASFF type: AwsGuardDutyDetector, AwsEksCluster, AwsAccount, Other
  std::string resource_id;    // ARN (AWS) or the cluster name
  bool auto_remediation = false;  // ASFF ProductFields "Remediation type": auto or manual
  std::vector<ControlEvidence> evidence;
  // When the status last changed (wall clock); kept by the store across evaluations.
  UnixNanos status_since = 0;

  friend bool operator==(const Compliance&, const Compliance&) = default;
};

struct Finding {
  std::string id;  // StableUuid of the dedup key
  std::string rule;
  std::string type;
  Severity severity = Severity::kMedium;
  std::string priority;
  std::string title;
  std::string description;  // from the first observation
  std::string dedup_key;
  std::uint64_t count = 0;             // observations aggregated
  std::vector<std::string> audit_ids;  // evidence, first kMaxAuditIds
  bool audit_ids_truncated = false;    // more events than audit_ids holds
  UnixNanos first_seen = 0;
  UnixNanos last_seen = 0;
  std::string cluster;
  std::string account;
  std::string region;
  Principal principal;
  std::vector<std::string> source_ips;  // union over observations, capped at kMaxSourceIps
  std::string user_agent;               // the latest observation's
  TargetResource resource;
  std::vector<MitreRef> mitre;
  Remediation remediation;
  std::vector<std::string> tags;
  std::map<std::string, std::string> output_fields;  // the first observation's
  std::map<std::string, std::string> context;        // the first observation's
  std::string evidence;                              // the first observation's redacted event
  WorkflowStatus workflow = WorkflowStatus::kNew;
  UnixNanos created_at = 0;  // when vigil first recorded it (wall clock)
  UnixNanos updated_at = 0;  // when vigil last changed it (wall clock)
  // Set for control findings only (vigil controls check); see Compliance.
  std::optional<Compliance> compliance;
  // Ids of other findings this one should be read with: for a detection, the failing control
  // findings that would blind audit-based detection for the same account or cluster (a threat
  // seen through a half-blind policy means others were missed). Filled when findings are read
  // from a store that holds control findings (controls/blinding.h); not stored.
  std::vector<std::string> related_findings;

  // Transient, never encoded: the events folded into this Finding since it was last handed out,
  // filled by a FindingAggregator created with track_events. FindingStore::Upsert counts only the
  // ones it has not seen before for this finding, so a re-scan leaves counts unchanged. Empty
  // means "not tracked": the store then adds `count` as it is.
  std::vector<EventRef> events;
  // Transient, never encoded: this finding describes everything so far (an attack sequence's
  // whole window), so when it is at least as recent as a stored one, MergeFinding takes its
  // title, description, principal, mitre and context instead of keeping the earliest ones.
  bool cumulative = false;

  static constexpr size_t kMaxAuditIds = 20;
  static constexpr size_t kMaxSourceIps = 16;
};

// True when every field except created_at, updated_at and events is equal: "would storing `b` over
// `a` change what anyone sees".
bool SameContent(const Finding& a, const Finding& b);

// The caller's address and where it is (country, autonomous system), as the engine records them
// in a finding's context from GeoIP databases; nullopt when the finding has no country and no AS.
struct CallerGeo {
  std::string ip;       // "" when unknown
  std::string country;  // ISO 3166 code; "" when unknown
  std::uint32_t asn = 0;  // 0 when unknown
  std::string as_org;
};
std::optional<CallerGeo> CallerGeoOf(const Finding& f);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_FINDING_H_
