// One entry point for `vigil controls check`: every control over a snapshot folder.
#ifndef VIGIL_CONTROLS_EVALUATE_H_
#define VIGIL_CONTROLS_EVALUATE_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "controls/eks.h"
#include "findings/finding.h"

namespace vigil::controls {

struct SnapshotOptions {
  EksOptions eks;
};

// GuardDuty.1, GuardDuty.5–.13 (guardduty.h) and EKS.1/.2/.3/.8 (eks.h) for every account and
// region under `root`, ordered by (control order in AllControls(), account, region, resource).
// kIo when `root` is not a readable folder, kConfig when it holds no account folder (a folder
// named by 12 digits) — an empty or wrong folder must not look like "nothing failed".
Result<std::vector<findings::Finding>> EvaluateSnapshot(const std::string& root,
                                                        const SnapshotOptions& options,
                                                        UnixNanos now);

// Sorts control findings by (control order in AllControls(), account, region, resource id).
void SortControlFindings(std::vector<findings::Finding>& results);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_EVALUATE_H_
