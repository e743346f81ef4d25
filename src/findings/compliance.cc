#include "findings/compliance.h"

#include <algorithm>

namespace vigil::findings {

WorkflowStatus InitialControlWorkflow(ComplianceStatus status) {
  return status == ComplianceStatus::kPassed ? WorkflowStatus::kResolved : WorkflowStatus::kNew;
}

ControlMergeOutcome MergeControlFinding(Finding& stored, const Finding& incoming, UnixNanos now) {
  const Finding before = stored;
  ControlMergeOutcome outcome;
  const std::optional<Compliance> previous = stored.compliance;
  const ComplianceStatus status =
      incoming.compliance ? incoming.compliance->status : ComplianceStatus::kNotAvailable;
  outcome.status_changed = !previous || previous->status != status;

  stored.rule = incoming.rule;
  stored.type = incoming.type;
  stored.severity = incoming.severity;
  stored.title = incoming.title;
  stored.description = incoming.description;
  stored.cluster = incoming.cluster;
  stored.account = incoming.account;
  stored.region = incoming.region;
  stored.remediation = incoming.remediation;
  stored.resource = incoming.resource;
  stored.tags = incoming.tags;
  stored.context = incoming.context;
  stored.count += std::max<std::uint64_t>(incoming.count, 1);
  if (incoming.first_seen != 0 &&
      (stored.first_seen == 0 || incoming.first_seen < stored.first_seen)) {
    stored.first_seen = incoming.first_seen;
  }
  stored.last_seen = std::max(stored.last_seen, incoming.last_seen);
  stored.compliance = incoming.compliance;
  if (stored.compliance) {
    stored.compliance->status_since =
        outcome.status_changed ? now : (previous ? previous->status_since : now);
  }

  const WorkflowStatus workflow = stored.workflow;
  if (workflow != WorkflowStatus::kSuppressed) {
    if (status == ComplianceStatus::kPassed &&
        (workflow == WorkflowStatus::kNew || workflow == WorkflowStatus::kNotified)) {
      stored.workflow = WorkflowStatus::kResolved;
      outcome.resolved = true;
    } else if (status != ComplianceStatus::kPassed && previous &&
               previous->status == ComplianceStatus::kPassed &&
               (workflow == WorkflowStatus::kResolved || workflow == WorkflowStatus::kNotified)) {
      stored.workflow = WorkflowStatus::kNew;
      outcome.reopened = true;
    }
  }
  // count and last_seen move on every evaluation; "changed" means more than that.
  Finding comparable = before;
  comparable.count = stored.count;
  comparable.last_seen = stored.last_seen;
  comparable.first_seen = stored.first_seen;
  outcome.changed = !SameContent(comparable, stored);
  return outcome;
}

}  // namespace vigil::findings
