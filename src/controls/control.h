// The posture controls vigil evaluates and how one evaluation becomes a compliance Finding.
//
// A control result is a findings::Finding with Finding::compliance set (findings/finding.h): the
// same model, encoders and store as detections. Its id is stable for the same control and
// resource (account, region, resource id), so re-evaluating updates one finding, and the store
// keeps the history (findings/compliance.h).
#ifndef VIGIL_CONTROLS_CONTROL_H_
#define VIGIL_CONTROLS_CONTROL_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "findings/finding.h"

namespace vigil::controls {

// The standard the AWS controls belong to (GeneratorId prefix, reference §3a).
inline constexpr std::string_view kAwsFsbp = "aws-foundational-security-best-practices/v/1.0.0";

// A control's fixed facts.
struct ControlDef {
  std::string_view id;     // "GuardDuty.5"
  std::string_view title;  // Security Hub's title
  findings::Severity severity;
  std::string_view standard;  // kAwsFsbp, or "" for vigil's own controls
  std::string_view remediation;
  std::string_view url;
  bool auto_remediation;  // Security Hub's "Remediation type"
};

// Every control vigil knows, in a fixed order (GuardDuty.1, .5–.13, EKS.1/.2/.3/.8, KubeAudit.*).
std::span<const ControlDef> AllControls();
// The control with this id; nullptr for an unknown id.
const ControlDef* FindControl(std::string_view id);
// Like FindControl, for ids that are known to exist (aborts otherwise: a programming error).
const ControlDef& Control(std::string_view id);

// What a result is about.
struct ControlSubject {
  std::string account;
  std::string region;
  std::string cluster;        // EKS or Kubernetes cluster name, when the resource is a cluster
  std::string resource_type;  // AwsGuardDutyDetector, AwsEksCluster, AwsAccount, Other
  std::string resource_id;    // ARN, "AWS::::Account:<id>", or the cluster name
};

// The status of one evaluation with its reasons and evidence.
struct ControlOutcome {
  findings::ComplianceStatus status = findings::ComplianceStatus::kNotAvailable;
  std::vector<std::string> reasons;
  std::vector<findings::ControlEvidence> evidence;
};

// The stable id of (control, account, region, resource id): a StableUuid of
// "vigil-control/v1" and those, separated by 0x1f.
std::string ControlFindingId(std::string_view control,
                             std::string_view account,
                             std::string_view region,
                             std::string_view resource_id);

// The compliance Finding for one evaluation at `now`: rule = control id, type
// "Control:AWS/<id>" (AWS controls) or "Control:Kubernetes/<id>", severity the control's when
// FAILED and INFORMATIONAL otherwise, description the title, status and reasons, resource
// {resource: resource_type, name: resource_id}, count 1,
// first_seen = last_seen = created_at = updated_at = now.
findings::Finding MakeControlFinding(const ControlDef& def,
                                     const ControlSubject& subject,
                                     ControlOutcome outcome,
                                     UnixNanos now);

// "aws", "aws-cn" or "aws-us-gov" for a region name.
std::string_view PartitionOf(std::string_view region);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_CONTROL_H_
