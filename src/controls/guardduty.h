// GuardDuty controls over a snapshot: GuardDuty.1 (a detector is enabled) and the detector
// feature controls GuardDuty.5–.13, which share one shape and are driven by one table
// (FeatureControls()).
//
// Multi-account semantics (Security Hub's control text, reference §2a/§2b):
//  - A standalone account: PASSED iff its own detector has the feature enabled.
//  - A member account (named by an administrator's list-members.json in the snapshot, or whose
//    get-administrator-account.json shows an enabled relationship) gets no feature result of its
//    own; only the delegated administrator reports.
//  - The delegated administrator (it has list-members.json or
//    describe-organization-configuration.json): FAILED if its own feature or the feature of any
//    associated member is not enabled — suspended members included (disassociate them to pass).
//    Members in get-member-detectors' UnprocessedAccounts, or missing from it, make the result
//    NOT_AVAILABLE with their ids named, unless some other account already FAILS it (a known
//    failure outranks an unknown). Organization auto-enable is reported but never passes a
//    member whose feature is off.
//  - No detector in a region: GuardDuty.1 FAILED; the feature controls NOT_AVAILABLE (nothing to
//    evaluate; GuardDuty.1 says why).
//  - A missing or unreadable file: NOT_AVAILABLE naming the file and the reason, never a PASS.
#ifndef VIGIL_CONTROLS_GUARDDUTY_H_
#define VIGIL_CONTROLS_GUARDDUTY_H_

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "controls/snapshot.h"
#include "findings/finding.h"

namespace vigil::controls {

// One way to satisfy a feature control: a detector feature ENABLED and, when `additional` is set,
// that additional configuration of it ENABLED too.
struct FeatureOption {
  std::string_view feature;     // e.g. "EKS_AUDIT_LOGS"
  std::string_view additional;  // e.g. "EKS_ADDON_MANAGEMENT", or ""
};

// One row of the feature-control table.
struct FeatureControl {
  std::string_view control;            // "GuardDuty.5"
  std::vector<FeatureOption> options;  // any one satisfies the control
};

// The table: GuardDuty.5 EKS_AUDIT_LOGS, .6 LAMBDA_NETWORK_LOGS, .7 RUNTIME_MONITORING (or the
// older EKS_RUNTIME_MONITORING) with EKS_ADDON_MANAGEMENT, .8 EBS_MALWARE_PROTECTION,
// .9 RDS_LOGIN_EVENTS, .10 S3_DATA_EVENTS, .11 RUNTIME_MONITORING, .12 RUNTIME_MONITORING with
// ECS_FARGATE_AGENT_MANAGEMENT, .13 RUNTIME_MONITORING with EC2_AGENT_MANAGEMENT.
std::span<const FeatureControl> FeatureControls();

// A detector's (or member's) features as the snapshot states them.
struct FeatureState {
  std::string status;                             // "ENABLED", "DISABLED", ... (upper case)
  std::map<std::string, std::string> additional;  // additional configuration name → status
  std::string source;  // where it was read: "Features[EKS_AUDIT_LOGS]" or "DataSources...."
};
using FeatureMap = std::map<std::string, FeatureState>;

// Reads `Features` (current) and `DataSources` (legacy) of a get-detector result or of one
// get-member-detectors MemberDataSourceConfigurations entry. A feature present in Features wins;
// legacy DataSources fill in EKS_AUDIT_LOGS (Kubernetes.AuditLogs), S3_DATA_EVENTS (S3Logs),
// EBS_MALWARE_PROTECTION (MalwareProtection.ScanEc2InstanceWithFindings.EbsVolumes),
// CLOUD_TRAIL, DNS_LOGS and FLOW_LOGS. Errors (kParse) name the member that has the wrong shape.
Result<FeatureMap> ParseFeatures(const nlohmann::json& detector);

// Whether `features` satisfy `control`; when not, `why` says what was seen
// ("EKS_AUDIT_LOGS is DISABLED", "RUNTIME_MONITORING is ENABLED but EKS_ADDON_MANAGEMENT is not").
bool FeatureEnabled(const FeatureControl& control, const FeatureMap& features, std::string& why);

// Evaluates GuardDuty.1 and the feature controls for every account and region of the snapshot.
// Errors only when the snapshot root cannot be listed (kIo); every per-file problem becomes a
// NOT_AVAILABLE result.
Result<std::vector<findings::Finding>> EvaluateGuardDuty(const Snapshot& snapshot, UnixNanos now);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_GUARDDUTY_H_
