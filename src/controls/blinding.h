// Links detections to the failing controls that would blind them (issue 4, "How it is checked"):
// a threat seen through a half-blind audit setup means others were missed, so a detection
// finding lists, in Finding::related_findings, the ids of the FAILED control findings for its
// account or cluster among GuardDuty.1, GuardDuty.5, EKS.8, KubeAudit.1, KubeAudit.3 and
// KubeAudit.4.
//
// Where the link is computed: when findings are read for output (`vigil findings list/show`,
// and the server's API when it is wired), not when they are stored. The link then always
// reflects the controls' status now — a control fixed after the detection drops out — and the
// store keeps no derived data that could go stale. The cost is one query for the failing control
// findings per read.
//
// Matching: GuardDuty.1/.5 by account (the detection's account equals the control's, or the
// control's reasons name it as a failing member of a delegated administrator) and region when
// both are known; EKS.8 and KubeAudit.* by cluster name (and account, when both are known).
// SUPPRESSED control findings are not linked.
#ifndef VIGIL_CONTROLS_BLINDING_H_
#define VIGIL_CONTROLS_BLINDING_H_

#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "findings/finding.h"
#include "store/finding_store.h"

namespace vigil::controls {

// True for the controls whose failure blinds audit-log detection.
bool BlindsDetection(std::string_view control_id);

// Sets related_findings of every detection in `detections` (findings without compliance) from the
// failing `controls`. Control findings in `detections` are left alone.
void LinkBlindingControls(std::span<const findings::Finding> controls,
                          std::span<findings::Finding> detections);

// The same, reading the failing control findings from `store`. Errors are the store's.
Status LinkBlindingControls(store::FindingStore& store, std::span<findings::Finding> detections);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_BLINDING_H_
