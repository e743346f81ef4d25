// How a control (compliance) finding changes from one evaluation to the next: Security Hub's
// workflow rules (reference §3a "Workflow.Status"), applied by FindingStore::Upsert when the
// incoming finding has Finding::compliance.
//
//  - A new control finding starts NEW, or RESOLVED when it PASSED.
//  - PASSED after something else: NEW or NOTIFIED become RESOLVED ("the control passed").
//  - FAILED, WARNING or NOT_AVAILABLE after PASSED: NOTIFIED or RESOLVED go back to NEW
//    (reopened).
//  - SUPPRESSED is never changed automatically.
// The latest evaluation is the truth: status, reasons, evidence, severity, title and description
// are replaced; first_seen is the earliest evaluation, last_seen the latest; count counts
// evaluations; Compliance::status_since is when the status last changed.
#ifndef VIGIL_FINDINGS_COMPLIANCE_H_
#define VIGIL_FINDINGS_COMPLIANCE_H_

#include "base/time.h"
#include "findings/finding.h"

namespace vigil::findings {

// The workflow a control finding gets when it is first stored.
WorkflowStatus InitialControlWorkflow(ComplianceStatus status);

struct ControlMergeOutcome {
  bool changed = false;         // anything anyone sees differs afterwards
  bool status_changed = false;  // Compliance.Status differs from the stored one
  bool reopened = false;        // workflow went back to NEW
  bool resolved = false;        // workflow became RESOLVED
};

// Merges a new evaluation (`incoming`, with compliance) into the stored finding of the same id.
// `now` stamps status_since when the status changes. created_at/updated_at are left to the caller.
ControlMergeOutcome MergeControlFinding(Finding& stored, const Finding& incoming, UnixNanos now);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_COMPLIANCE_H_
