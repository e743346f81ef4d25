#include "controls/blinding.h"

#include <algorithm>

namespace vigil::controls {
namespace {

bool Links(const findings::Finding& control, const findings::Finding& detection) {
  const findings::Compliance& c = *control.compliance;
  if (c.control_id.starts_with("GuardDuty.")) {
    if (detection.account.empty()) return false;
    if (!detection.region.empty() && !control.region.empty() &&
        detection.region != control.region) {
      return false;
    }
    if (control.account == detection.account) return true;
    const std::string member = "member " + detection.account + " ";
    return std::any_of(c.reasons.begin(), c.reasons.end(),
                       [&](const std::string& r) { return r.find(member) != std::string::npos; });
  }
  if (control.cluster.empty() || control.cluster != detection.cluster) return false;
  return control.account.empty() || detection.account.empty() ||
         control.account == detection.account;
}

}  // namespace

bool BlindsDetection(std::string_view id) {
  return id == "GuardDuty.1" || id == "GuardDuty.5" || id == "EKS.8" || id == "KubeAudit.1" ||
         id == "KubeAudit.3" || id == "KubeAudit.4";
}

void LinkBlindingControls(std::span<const findings::Finding> controls,
                          std::span<findings::Finding> detections) {
  std::vector<const findings::Finding*> failing;
  for (const findings::Finding& c : controls) {
    if (c.compliance && c.compliance->status == findings::ComplianceStatus::kFailed &&
        c.workflow != findings::WorkflowStatus::kSuppressed &&
        BlindsDetection(c.compliance->control_id)) {
      failing.push_back(&c);
    }
  }
  for (findings::Finding& d : detections) {
    if (d.compliance) continue;
    d.related_findings.clear();
    for (const findings::Finding* c : failing) {
      if (Links(*c, d)) d.related_findings.push_back(c->id);
    }
  }
}

Status LinkBlindingControls(store::FindingStore& store, std::span<findings::Finding> detections) {
  if (std::all_of(detections.begin(), detections.end(),
                  [](const findings::Finding& f) { return f.compliance.has_value(); })) {
    return Ok();
  }
  store::FindingQuery q;
  q.type_prefix = "Control:";
  q.limit = 0;
  VIGIL_TRY(store::FindingPage page, store.List(q));
  LinkBlindingControls(page.findings, detections);
  return Ok();
}

}  // namespace vigil::controls
