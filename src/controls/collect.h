// `vigil controls collect`: writes a snapshot folder (snapshot.h) by running the AWS CLI.
//
// For the caller's account (sts get-caller-identity) and each region asked for (or every region
// that ec2 describe-regions lists), it runs, as argument vectors through a CommandRunner:
//   guardduty list-detectors                       (paginated: --max-items / --starting-token)
//   guardduty get-detector --detector-id D
//   guardduty get-administrator-account            (kept when the account has an administrator)
//   guardduty describe-organization-configuration  (kept when the account is the delegated admin)
//   guardduty list-members --only-associated true  (paginated; kept when there are members)
//   guardduty get-member-detectors --account-ids … (in batches of at most 50 ids, the API limit)
//   eks list-clusters                              (paginated)
//   eks describe-cluster --name C
// each with --output json, --region R and, when given, --profile P. Optional calls that fail
// (not an administrator) are skipped; a required call that fails stops the collection with the
// command, the region and the CLI's first line of error. A missing `aws` and an unauthorised one
// (expired or missing credentials, AccessDenied) are kConfig errors that say so.
#ifndef VIGIL_CONTROLS_COLLECT_H_
#define VIGIL_CONTROLS_COLLECT_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "controls/command_runner.h"

namespace vigil::controls {

struct CollectOptions {
  std::string out;                   // the snapshot folder to write (created if needed)
  std::vector<std::string> regions;  // empty: every region ec2 describe-regions lists
  std::string profile;               // --profile for every call, when set
  std::string aws = "aws";           // the CLI to run (looked up on PATH)
  size_t page_size = 100;            // --max-items per page of a paginated call
  size_t member_batch = 50;          // account ids per get-member-detectors call (API max 50)
  std::function<void(std::string_view)> progress;  // told about each call, when set
};

struct CollectSummary {
  std::string account;
  std::vector<std::string> regions;
  size_t calls = 0;
  size_t files = 0;
};

Result<CollectSummary> Collect(CommandRunner& runner, const CollectOptions& options);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_COLLECT_H_
