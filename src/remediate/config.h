// The remediation configuration: playbooks (which findings, which actions, which mode), the gates
// that hold by default, and the trackers. Read from the `remediation:` key of the main vigil config
// (other top-level keys are left to their own readers) or from files it includes.
//
// remediation:
//   include: [playbooks/*.yaml ...]      # files with a top-level `playbooks:` list (relative paths
//                                        # are resolved against the including file's folder)
//   ticket_min_severity: MEDIUM          # detections at or above open tickets (default MEDIUM)
//   protected_namespaces: [kube-system]  # never acted on (default [kube-system])
//   protected_principals: []             # usernames never acted on
//   global_cap_per_hour: 20              # actions (applied, not dry-run) per hour, all playbooks
//   attempt_cap: 3                       # applied attempts per finding, then escalate
//   flap_window: 24h                     # fixed then failing again within this: flapping
//   comment_interval: 1h                 # at most one repeat/status comment per ticket per interval
//   approval_ttl: 24h                    # an awaiting plan expires after this
//   accepted_risk_label: accepted-risk   # closed with it: the finding is suppressed
//   accepted_risk_ttl: 90d               # for this long
//   approve_label: approve-fix           # on the ticket: approves the pending plan
//   trackers:
//     github: {type: github, api_url: ..., repository: owner/name, token_env: GITHUB_TOKEN,
//              token_file: ..., labels: [security]}
//     jira: {type: jira, url: ..., project: SEC, auth: {...}}   # integrations_config.h
//   notifiers:                           # name -> settings; type: webhook | slack
//     soc: {type: webhook, url: ..., secret_env: VIGIL_WEBHOOK_SECRET}
//   kubernetes: {kubeconfig: ~/.kube/config, context: prod}    # the kubernetes.* actions
//   playbooks:
//     - name: guardduty5
//       mode: dry-run                    # off | notify | dry-run | approve | auto
//       tracker: github                  # default: the only tracker, if exactly one
//       notify: [soc]                    # notifiers told about this playbook (default: all)
//       ticket: failed | always | never  # default failed (INFORMATIONAL only with `always`)
//       rate_limit_per_hour: 5
//       match: {type: [...], control: [...], compliance: [FAILED], min_severity: HIGH,
//               cluster: [...], account: [...], namespace: [...], principal: [...]}
//       exclude: {same keys}
//       actions:
//         - aws.guardduty.enable-eks-audit-logs: {region: us-east-1}
//
// Errors: kConfig listing every problem with file:line:column.
#ifndef VIGIL_REMEDIATE_CONFIG_H_
#define VIGIL_REMEDIATE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/result.h"
#include "findings/finding.h"

namespace vigil::remediate {

enum class Mode : std::uint8_t { kOff, kNotify, kDryRun, kApprove, kAuto };
std::string_view ModeName(Mode m);  // "off", "notify", "dry-run", "approve", "auto"
std::optional<Mode> ParseMode(std::string_view name);

enum class TicketPolicy : std::uint8_t { kFailed, kAlways, kNever };

// What a playbook matches. Every list that is set must contain the finding's value (an entry
// ending in '*' is a prefix); empty lists match anything.
struct Match {
  std::vector<std::string> types;
  std::vector<std::string> controls;
  std::vector<std::string> compliance;  // PASSED, FAILED, WARNING, NOT_AVAILABLE
  std::optional<findings::Severity> min_severity;
  std::vector<std::string> clusters;
  std::vector<std::string> accounts;
  std::vector<std::string> namespaces;
  std::vector<std::string> principals;

  bool empty() const;
};

// True when `f` satisfies every set field of `m`.
bool Matches(const Match& m, const findings::Finding& f);

struct ActionSpec {
  std::string kind;  // e.g. "aws.guardduty.enable-eks-audit-logs"
  nlohmann::json params = nlohmann::json::object();
};

struct Playbook {
  std::string name;
  std::optional<Mode> mode;  // unset: dry-run when any action mutates, else notify
  std::string tracker;
  TicketPolicy ticket = TicketPolicy::kFailed;
  std::uint32_t rate_limit_per_hour = 10;
  Match match;
  std::vector<Match> exclude;
  std::vector<ActionSpec> actions;
  std::optional<std::vector<std::string>> notify;  // unset: every configured notifier
  SourcePos pos;
};

// An integration's YAML mapping as written, with the file it came from, so the integration's own
// parser (integrations_config.h) reads it and reports errors at their file:line:col.
struct IntegrationNode {
  YAML::Node node;
  std::string file;
};

struct TrackerConfig {
  std::string name;
  std::string type;  // "github" or "jira"
  std::map<std::string, std::string> settings;  // github: api_url, repository, token_env, ...
  std::vector<std::string> labels;
  IntegrationNode yaml;  // the whole mapping (jira is built from it)
};

struct NotifierConfig {
  std::string name;
  std::string type;  // "webhook" or "slack"
  IntegrationNode yaml;
};

struct RemediationConfig {
  findings::Severity ticket_min_severity = findings::Severity::kMedium;
  std::vector<std::string> protected_namespaces = {"kube-system"};
  std::vector<std::string> protected_principals;
  std::uint32_t global_cap_per_hour = 20;
  std::uint32_t attempt_cap = 3;
  std::int64_t flap_window_seconds = 24 * 3600;
  std::int64_t comment_interval_seconds = 3600;
  std::int64_t approval_ttl_seconds = 24 * 3600;
  std::string accepted_risk_label = "accepted-risk";
  std::int64_t accepted_risk_ttl_seconds = 90 * 24 * 3600;
  std::string approve_label = "approve-fix";
  std::vector<TrackerConfig> trackers;
  std::vector<NotifierConfig> notifiers;
  std::optional<IntegrationNode> kubernetes;  // the `kubernetes:` section, when present
  std::vector<Playbook> playbooks;
};

// Parses a whole config document (only its `remediation:` key is read; a document without it is
// an empty config). `source` names it in errors; includes are resolved against `base_dir` and read
// from disk. Never throws.
Result<RemediationConfig> ParseRemediationConfig(std::string_view text,
                                                 std::string_view source,
                                                 const std::string& base_dir = "");
// Reads and parses `path`. kIo when it cannot be read.
Result<RemediationConfig> LoadRemediationConfig(const std::string& path);

// The first playbook matching `f` (in file order, exclusions applied), or nullptr.
const Playbook* FindPlaybook(const RemediationConfig& config, const findings::Finding& f);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_CONFIG_H_
