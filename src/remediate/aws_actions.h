// Actions that change an AWS account through the `aws` CLI, run as argument vectors (never a shell
// string) by a controls::CommandRunner, and the `command` action that hands a finding to a
// configured program on standard input.
//
//  aws.guardduty.enable-eks-audit-logs (GuardDuty.5): for a standalone account
//      aws guardduty update-detector --detector-id D --region R
//          --features '[{"Name":"EKS_AUDIT_LOGS","Status":"ENABLED"}]'
//    and for a delegated administrator additionally
//      aws guardduty update-organization-configuration --detector-id D --region R
//          --auto-enable-organization-members <auto_enable, default ALL>
//          --features '[{"Name":"EKS_AUDIT_LOGS","AutoEnable":"<auto_enable>"}]'
//      aws guardduty update-member-detectors --detector-id D --region R --account-ids M
//          --features '[{"Name":"EKS_AUDIT_LOGS","Status":"ENABLED"}]'      (one per failing member)
//    Before applying, the current state is read (get-detector, describe-organization-configuration,
//    get-member-detectors) and kept for rollback; after, it is read again to verify.
//  aws.eks.enable-audit-logging (EKS.8):
//      aws eks update-cluster-config --name C --region R
//          --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'
//    which changes only the audit type: the other log types stay as they were. Before: the
//    cluster's logging from describe-cluster; rollback disables audit again if it was off.
//  command: runs params.argv (a list; argv[0] looked up on PATH) with the finding as JSON on
//    standard input. Mutating unless params.mutating is false. Not undoable.
//
// Parameters common to the aws actions: `aws` (the program, default "aws"), `profile`.
// Stateless; one thread at a time (as its CommandRunner).
#ifndef VIGIL_REMEDIATE_AWS_ACTIONS_H_
#define VIGIL_REMEDIATE_AWS_ACTIONS_H_

#include <memory>
#include <vector>

#include "controls/command_runner.h"
#include "remediate/interfaces.h"

namespace vigil::remediate {

std::unique_ptr<ActionExecutor> MakeGuardDutyEksAuditAction(controls::CommandRunner& runner);
std::unique_ptr<ActionExecutor> MakeEksAuditLoggingAction(controls::CommandRunner& runner);
std::unique_ptr<ActionExecutor> MakeCommandAction(controls::CommandRunner& runner);

// What a GuardDuty.5 finding says needs fixing, read from its resource ARN and reasons (the
// wording of controls/guardduty.cc: "account A (detector D): ..." and "member M (...): ...").
struct GuardDutyTarget {
  std::string partition;
  std::string region;
  std::string account;
  std::string detector_id;
  bool own_failing = false;
  std::vector<std::string> failing_members;
  bool is_admin = false;  // it reported on members
};
Result<GuardDutyTarget> GuardDutyTargetOf(const findings::Finding& f);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_AWS_ACTIONS_H_
