// The Kubernetes audit Policy (audit.k8s.io/v1, kind Policy) and how the API server applies it:
// rules are tried in order and the first rule that matches a request decides its level; a
// request that matches no rule is not logged (level None). The matching follows the API server's
// policy checker (k8s.io/apiserver/pkg/audit/policy): users, userGroups, verbs, then namespaces
// and resources (group + resources with "pods/exec", "*", "*/status", "pods/*" and
// resourceNames) for resource requests, or nonResourceURLs ("/healthz*") for the others. A stage
// is omitted when the policy's or the matching rule's omitStages lists it.
#ifndef VIGIL_CONTROLS_AUDIT_POLICY_H_
#define VIGIL_CONTROLS_AUDIT_POLICY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::controls {

enum class AuditLevel : std::uint8_t { kNone, kMetadata, kRequest, kRequestResponse };
std::string_view AuditLevelName(AuditLevel level);

struct GroupResources {
  std::string group;  // "" is the core group
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
};

struct PolicyRule {
  AuditLevel level = AuditLevel::kNone;
  std::vector<std::string> users;
  std::vector<std::string> user_groups;
  std::vector<std::string> verbs;
  std::vector<GroupResources> resources;
  std::vector<std::string> namespaces;
  std::vector<std::string> non_resource_urls;
  std::vector<std::string> omit_stages;
  int line = 0;  // 1-based line of the rule in the file, for messages
};

struct AuditPolicy {
  std::vector<PolicyRule> rules;
  std::vector<std::string> omit_stages;
};

// One request as the policy checker sees it.
struct AuditRequest {
  std::string user;
  std::vector<std::string> groups;
  std::string verb;
  bool resource_request = true;
  std::string api_group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string path;  // for non-resource requests
};

// The decision for one request: the level, the stages omitted, and which rule decided (index
// into rules, -1 when none matched).
struct AuditDecision {
  AuditLevel level = AuditLevel::kNone;
  std::vector<std::string> omit_stages;
  int rule = -1;
};

// Parses a Policy from YAML (or JSON) text read from `file`. kConfig errors name the file, the
// line and what is wrong: not a Policy, an unknown level, a list of the wrong type.
Result<AuditPolicy> ParseAuditPolicy(std::string_view text, const std::string& file);

// Reads and parses the policy file at `path` (kNotFound / kIo / kConfig).
Result<AuditPolicy> ReadAuditPolicy(const std::string& path);

// The API server's decision for `request`.
AuditDecision Evaluate(const AuditPolicy& policy, const AuditRequest& request);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_AUDIT_POLICY_H_
