// AWS Security Finding Format (ASFF, SchemaVersion 2018-10-08), as accepted by Security Hub's
// BatchImportFindings. Every length and count limit below is enforced by truncation, so the
// encoder never emits an object that Security Hub would reject; docs/finding-format.md has the
// field-by-field mapping.
#ifndef VIGIL_FINDINGS_ENCODE_ASFF_H_
#define VIGIL_FINDINGS_ENCODE_ASFF_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"

namespace vigil::findings {

// Limits (byte budgets, which are conservative for limits AWS states in characters).
namespace asff {
inline constexpr std::string_view kSchemaVersion = "2018-10-08";
inline constexpr size_t kMaxId = 512;
inline constexpr size_t kMaxGeneratorId = 512;  // AWS does not state one; 512 like Id
inline constexpr size_t kMaxTitle = 256;
inline constexpr size_t kMaxDescription = 1024;
inline constexpr size_t kMaxRecommendationText = 512;
inline constexpr size_t kMaxUrl = 2048;
inline constexpr size_t kMaxProductFields = 50;
inline constexpr size_t kMaxProductFieldKey = 128;
inline constexpr size_t kMaxProductFieldValue = 2048;
inline constexpr size_t kMaxOtherDetails = 50;        // Resources[].Details.Other pairs
inline constexpr size_t kMaxOtherDetailKey = 127;     // "< 128"
inline constexpr size_t kMaxOtherDetailValue = 1023;  // "< 1024"
inline constexpr size_t kMaxResourceId = 512;
inline constexpr size_t kMaxTypes = 50;
inline constexpr size_t kMaxTypeLength = 256;
inline constexpr size_t kMaxSeverityOriginal = 256;
// Used when the finding has no valid 12-digit account or no region (ProductArn needs both).
inline constexpr std::string_view kDefaultAccount = "000000000000";
inline constexpr std::string_view kDefaultRegion = "us-east-1";
}  // namespace asff

struct AsffOptions {
  // Region for ProductArn when the finding has none.
  std::string default_region = std::string(asff::kDefaultRegion);
  std::string product_name = "vigil";
  std::string company_name = "vigil";
};

// The ASFF Types of a finding (docs/finding-format.md, "Types"):
//  - GuardDuty-style "<Tactic>:Kubernetes/<Variant>":
//      Policy:…                      → "Software and Configuration Checks/AWS Security Best
//                                       Practices/Policy:Kubernetes-<Variant>"
//      <T>:…/AnomalousBehavior.<X>   → "TTPs/AnomalousBehavior/<T>:Kubernetes-<X>"
//      other known tactics           → "TTPs/<T>/<T>:Kubernetes-<Variant>"
//  - "AttackSequence:EKS/<X>"        → "TTPs/AttackSequence:EKS/<X>"
//  - anything else: "TTPs/<MITRE tactic>" from the first MITRE reference with a tactic, else
//    "Unusual Behaviors/Application/Kubernetes Audit".
std::vector<std::string> AsffTypes(const Finding& f);

// True when `account` is exactly 12 ASCII digits.
bool IsAwsAccountId(std::string_view account);

// The finding as an ASFF object (see docs/finding-format.md for every field).
nlohmann::ordered_json FindingToAsff(const Finding& f, const AsffOptions& options = {});

// Control findings (Finding::compliance set) take Security Hub's control-finding shape instead:
//  - Id "arn:<partition>:securityhub:<region>:<account>:subscription/<standard>/<ControlId>/
//    finding/<finding id>" for the AWS controls (the finding id is a uuid stable per control and
//    resource), "vigil/controls/<ControlId>/<finding id>" for vigil's own controls;
//  - GeneratorId "<standard>/<ControlId>" (e.g. aws-foundational-security-best-practices/v/1.0.0/
//    GuardDuty.5) or "vigil/controls/<ControlId>";
//  - Compliance{Status, SecurityControlId, AssociatedStandards, StatusReasons};
//  - Resources[0] of the control's resource type (AwsGuardDutyDetector, AwsEksCluster,
//    AwsAccount, Other) with the resource's ARN;
//  - ProductFields "vigil/RemediationType" (auto|manual), "vigil/ControlId", "vigil/Evidence".
// Related findings (Finding::related_findings) go to FindingProviderFields.RelatedFindings.

// FindingToAsff as one line, without a trailing newline.
std::string EncodeAsff(const Finding& f, const AsffOptions& options = {});

// One ASFF object per line, each ending with '\n'.
void WriteAsffLines(std::ostream& out,
                    std::span<const Finding> findings,
                    const AsffOptions& options = {});

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_ASFF_H_
