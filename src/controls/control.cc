#include "controls/control.h"

#include <fmt/format.h>

#include <cstdlib>

#include "base/hash.h"

namespace vigil::controls {
namespace {

using findings::Severity;

constexpr std::string_view kCis = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/";

// Remediation text follows the reference's §2d API calls.
constexpr ControlDef kControls[] = {
    {"GuardDuty.1", "GuardDuty should be enabled", Severity::kHigh, kAwsFsbp,
     "Create or re-enable the GuardDuty detector: aws guardduty create-detector --enable (or "
     "update-detector --detector-id D --enable).",
     "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_settingup.html", true},
    {"GuardDuty.5", "GuardDuty EKS Audit Log Monitoring should be enabled", Severity::kHigh,
     kAwsFsbp,
     "aws guardduty update-detector --detector-id D --features "
     "'[{\"Name\":\"EKS_AUDIT_LOGS\",\"Status\":\"ENABLED\"}]'; as delegated admin also "
     "update-member-detectors for every member and update-organization-configuration "
     "--features '[{\"Name\":\"EKS_AUDIT_LOGS\",\"AutoEnable\":\"ALL\"}]'.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/kubernetes-protection.html", true},
    {"GuardDuty.6", "GuardDuty Lambda Protection should be enabled", Severity::kHigh, kAwsFsbp,
     "Enable the LAMBDA_NETWORK_LOGS detector feature (update-detector --features), for every "
     "member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/lambda-protection.html", true},
    {"GuardDuty.7", "GuardDuty EKS Runtime Monitoring should be enabled", Severity::kHigh, kAwsFsbp,
     "Enable RUNTIME_MONITORING with the EKS_ADDON_MANAGEMENT additional configuration "
     "(update-detector --features), for every member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring.html", true},
    {"GuardDuty.8", "GuardDuty Malware Protection for EC2 should be enabled", Severity::kHigh,
     kAwsFsbp,
     "Enable the EBS_MALWARE_PROTECTION detector feature (update-detector --features), for "
     "every member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/malware-protection.html", true},
    {"GuardDuty.9", "GuardDuty RDS Protection should be enabled", Severity::kHigh, kAwsFsbp,
     "Enable the RDS_LOGIN_EVENTS detector feature (update-detector --features), for every "
     "member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/rds-protection.html", true},
    {"GuardDuty.10", "GuardDuty S3 Protection should be enabled", Severity::kHigh, kAwsFsbp,
     "Enable the S3_DATA_EVENTS detector feature (update-detector --features), for every member "
     "too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/s3-protection.html", true},
    {"GuardDuty.11", "GuardDuty Runtime Monitoring should be enabled", Severity::kHigh, kAwsFsbp,
     "Enable the RUNTIME_MONITORING detector feature (update-detector --features), for every "
     "member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring.html", true},
    {"GuardDuty.12", "GuardDuty ECS Runtime Monitoring should be enabled", Severity::kMedium,
     kAwsFsbp,
     "Enable RUNTIME_MONITORING with the ECS_FARGATE_AGENT_MANAGEMENT additional configuration, "
     "for every member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring.html", true},
    {"GuardDuty.13", "GuardDuty EC2 Runtime Monitoring should be enabled", Severity::kMedium,
     kAwsFsbp,
     "Enable RUNTIME_MONITORING with the EC2_AGENT_MANAGEMENT additional configuration, for "
     "every member too.",
     "https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring.html", true},
    {"EKS.1", "EKS cluster endpoints should not be publicly accessible", Severity::kHigh, kAwsFsbp,
     "aws eks update-cluster-config --name C --resources-vpc-config "
     "endpointPublicAccess=false,endpointPrivateAccess=true",
     "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html", false},
    {"EKS.2", "EKS clusters should run on a supported Kubernetes version", Severity::kHigh,
     kAwsFsbp,
     "Upgrade the cluster: aws eks update-cluster-version --name C --kubernetes-version V",
     "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html", false},
    {"EKS.3", "EKS clusters should use encrypted Kubernetes secrets", Severity::kMedium, kAwsFsbp,
     "aws eks associate-encryption-config --cluster-name C --encryption-config "
     "'[{\"resources\":[\"secrets\"],\"provider\":{\"keyArn\":\"K\"}}]'",
     "https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html", false},
    {"EKS.8", "EKS clusters should have audit logging enabled", Severity::kMedium, kAwsFsbp,
     "aws eks update-cluster-config --name C --logging "
     "'{\"clusterLogging\":[{\"types\":[\"audit\"],\"enabled\":true}]}'",
     "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html", true},
    {"KubeAudit.1", "Kubernetes API server audit logging should be enabled", Severity::kHigh, "",
     "Set --audit-policy-file and --audit-log-path (or --audit-webhook-config-file) on "
     "kube-apiserver (CIS Kubernetes Benchmark 1.2.16, 3.2.1).",
     kCis, false},
    {"KubeAudit.2", "Kubernetes audit log files should be retained", Severity::kMedium, "",
     "Set --audit-log-maxage=30, --audit-log-maxbackup=10 and --audit-log-maxsize=100 or more "
     "on kube-apiserver (CIS Kubernetes Benchmark 1.2.17-1.2.19).",
     kCis, false},
    {"KubeAudit.3", "Kubernetes audit policy should record what vigil's detections need",
     Severity::kHigh, "",
     "Log pods, pod-template workloads and RBAC bindings at Request or RequestResponse, "
     "pods/exec, pods/attach and pods/portforward at Metadata or more, Secrets at Metadata only, "
     "and omit the RequestReceived stage (docs/controls.md has a policy that passes).",
     kCis, false},
    {"KubeAudit.4", "Kubernetes audit events should keep arriving", Severity::kHigh, "",
     "Audit log delivery stopped: check the API server's audit webhook or log shipping to vigil "
     "(the API server's audit backend metrics and logs say why).",
     kCis, false},
};

constexpr char kSep = '\x1f';

}  // namespace

std::span<const ControlDef> AllControls() { return kControls; }

const ControlDef* FindControl(std::string_view id) {
  for (const ControlDef& c : kControls) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const ControlDef& Control(std::string_view id) {
  const ControlDef* c = FindControl(id);
  if (c == nullptr) std::abort();
  return *c;
}

std::string_view PartitionOf(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

std::string ControlFindingId(std::string_view control,
                             std::string_view account,
                             std::string_view region,
                             std::string_view resource_id) {
  std::string material = "vigil-control/v1";
  for (std::string_view part : {control, account, region, resource_id}) {
    material += kSep;
    material += part;
  }
  return StableUuid(material);
}

findings::Finding MakeControlFinding(const ControlDef& def,
                                     const ControlSubject& subject,
                                     ControlOutcome outcome,
                                     UnixNanos now) {
  findings::Finding f;
  f.id = ControlFindingId(def.id, subject.account, subject.region, subject.resource_id);
  f.rule = std::string(def.id);
  f.type = fmt::format("Control:{}/{}", def.standard.empty() ? "Kubernetes" : "AWS", def.id);
  f.severity = outcome.status == findings::ComplianceStatus::kFailed
                   ? def.severity
                   : findings::Severity::kInformational;
  f.title = std::string(def.title);
  f.description = fmt::format("{} {}: {}", def.id, findings::ComplianceStatusName(outcome.status),
                              fmt::join(outcome.reasons, "; "));
  if (f.description.size() > 1024) f.description.resize(1024);
  f.dedup_key = fmt::format("{}{}{}{}{}{}{}", def.id, kSep, subject.account, kSep, subject.region,
                            kSep, subject.resource_id);
  f.count = 1;
  f.first_seen = f.last_seen = now;
  f.created_at = f.updated_at = now;
  f.cluster = subject.cluster;
  f.account = subject.account;
  f.region = subject.region;
  // The control's resource as the finding's target: resource = its ASFF type, name = its id.
  f.resource.resource = subject.resource_type;
  f.resource.name = subject.resource_id;
  f.remediation = {std::string(def.remediation), std::string(def.url)};
  f.workflow = outcome.status == findings::ComplianceStatus::kPassed
                   ? findings::WorkflowStatus::kResolved
                   : findings::WorkflowStatus::kNew;
  findings::Compliance c;
  c.control_id = std::string(def.id);
  c.status = outcome.status;
  c.control_severity = def.severity;
  c.standard = std::string(def.standard);
  c.reasons = std::move(outcome.reasons);
  c.resource_type = subject.resource_type;
  c.resource_id = subject.resource_id;
  c.auto_remediation = def.auto_remediation;
  c.evidence = std::move(outcome.evidence);
  c.status_since = now;
  f.compliance = std::move(c);
  return f;
}

}  // namespace vigil::controls
