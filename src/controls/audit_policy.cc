#include "controls/audit_policy.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace vigil::controls {
namespace {

constexpr size_t kMaxPolicyBytes = 4u << 20;

bool Has(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

Error PolicyError(const std::string& file, const YAML::Node& node, std::string message) {
  const YAML::Mark mark = node.Mark();
  return MakeError(
      ErrorCode::kConfig, std::move(message),
      SourcePos{file, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0});
}

Status ReadStrings(const YAML::Node& parent,
                   const char* key,
                   const std::string& file,
                   std::vector<std::string>& out) {
  const YAML::Node node = parent[key];
  if (!node || node.IsNull()) return Ok();
  if (!node.IsSequence()) return PolicyError(file, node, fmt::format("'{}' must be a list", key));
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      return PolicyError(file, item, fmt::format("'{}' must be a list of strings", key));
    }
    out.push_back(item.Scalar());
  }
  return Ok();
}

Result<AuditLevel> ParseLevel(const YAML::Node& node, const std::string& file) {
  if (!node || !node.IsScalar()) return PolicyError(file, node, "a rule needs a 'level'");
  const std::string& text = node.Scalar();
  if (text == "None") return AuditLevel::kNone;
  if (text == "Metadata") return AuditLevel::kMetadata;
  if (text == "Request") return AuditLevel::kRequest;
  if (text == "RequestResponse") return AuditLevel::kRequestResponse;
  return PolicyError(
      file, node,
      fmt::format("unknown level '{}' (None, Metadata, Request, RequestResponse)", text));
}

Result<AuditPolicy> ParseNode(const YAML::Node& root, const std::string& file) {
  if (!root.IsMap()) return PolicyError(file, root, "not a YAML mapping (a Policy object)");
  const YAML::Node kind = root["kind"];
  if (!kind || !kind.IsScalar() || kind.Scalar() != "Policy") {
    return PolicyError(file, kind ? kind : root, "kind is not 'Policy'");
  }
  const YAML::Node api = root["apiVersion"];
  if (!api || !api.IsScalar() ||
      (api.Scalar() != "audit.k8s.io/v1" && api.Scalar() != "audit.k8s.io/v1beta1")) {
    return PolicyError(file, api ? api : root, "apiVersion is not audit.k8s.io/v1 (or v1beta1)");
  }
  AuditPolicy policy;
  VIGIL_TRY_STATUS(ReadStrings(root, "omitStages", file, policy.omit_stages));
  const YAML::Node rules = root["rules"];
  if (!rules || rules.IsNull()) return policy;
  if (!rules.IsSequence()) return PolicyError(file, rules, "'rules' must be a list");
  for (const YAML::Node& r : rules) {
    if (!r.IsMap()) return PolicyError(file, r, "a rule must be a mapping");
    PolicyRule rule;
    rule.line = r.Mark().line + 1;
    VIGIL_TRY(rule.level, ParseLevel(r["level"], file));
    VIGIL_TRY_STATUS(ReadStrings(r, "users", file, rule.users));
    VIGIL_TRY_STATUS(ReadStrings(r, "userGroups", file, rule.user_groups));
    VIGIL_TRY_STATUS(ReadStrings(r, "verbs", file, rule.verbs));
    VIGIL_TRY_STATUS(ReadStrings(r, "namespaces", file, rule.namespaces));
    VIGIL_TRY_STATUS(ReadStrings(r, "nonResourceURLs", file, rule.non_resource_urls));
    VIGIL_TRY_STATUS(ReadStrings(r, "omitStages", file, rule.omit_stages));
    const YAML::Node resources = r["resources"];
    if (resources && !resources.IsNull()) {
      if (!resources.IsSequence())
        return PolicyError(file, resources, "'resources' must be a list");
      for (const YAML::Node& g : resources) {
        if (!g.IsMap()) return PolicyError(file, g, "a resources entry must be a mapping");
        GroupResources gr;
        const YAML::Node group = g["group"];
        if (group && !group.IsNull()) {
          if (!group.IsScalar()) return PolicyError(file, group, "'group' must be a string");
          gr.group = group.Scalar();
        }
        VIGIL_TRY_STATUS(ReadStrings(g, "resources", file, gr.resources));
        VIGIL_TRY_STATUS(ReadStrings(g, "resourceNames", file, gr.resource_names));
        rule.resources.push_back(std::move(gr));
      }
    }
    policy.rules.push_back(std::move(rule));
  }
  return policy;
}

bool MatchesResource(const PolicyRule& r, const AuditRequest& q) {
  if (!q.resource_request) return false;
  if (!r.namespaces.empty() && !Has(r.namespaces, q.ns)) return false;
  if (r.resources.empty()) return true;
  const std::string combined =
      q.subresource.empty() ? q.resource : q.resource + "/" + q.subresource;
  for (const GroupResources& gr : r.resources) {
    if (gr.group != q.api_group) continue;
    if (gr.resources.empty()) return true;
    for (const std::string& res : gr.resources) {
      if (!gr.resource_names.empty() && !Has(gr.resource_names, q.name)) continue;
      if (res == combined || res == "*") return true;
      if (!q.subresource.empty() && res.starts_with("*/") && res.substr(2) == q.subresource) {
        return true;
      }
      if (res.ends_with("/*") && res.substr(0, res.size() - 2) == q.resource) return true;
    }
  }
  return false;
}

bool MatchesNonResource(const PolicyRule& r, const AuditRequest& q) {
  if (q.resource_request) return false;
  for (const std::string& url : r.non_resource_urls) {
    if (url == "*" || url == q.path) return true;
    if (url.ends_with("*") && q.path.starts_with(std::string_view(url).substr(0, url.size() - 1))) {
      return true;
    }
  }
  return false;
}

bool Matches(const PolicyRule& r, const AuditRequest& q) {
  if (!r.users.empty() && !Has(r.users, q.user)) return false;
  if (!r.user_groups.empty() &&
      std::none_of(q.groups.begin(), q.groups.end(),
                   [&](const std::string& g) { return Has(r.user_groups, g); })) {
    return false;
  }
  if (!r.verbs.empty() && !Has(r.verbs, q.verb)) return false;
  if (!r.namespaces.empty() || !r.resources.empty()) return MatchesResource(r, q);
  if (!r.non_resource_urls.empty()) return MatchesNonResource(r, q);
  return true;
}

}  // namespace

std::string_view AuditLevelName(AuditLevel level) {
  switch (level) {
    case AuditLevel::kNone:
      return "None";
    case AuditLevel::kMetadata:
      return "Metadata";
    case AuditLevel::kRequest:
      return "Request";
    case AuditLevel::kRequestResponse:
      return "RequestResponse";
  }
  return "None";
}

Result<AuditPolicy> ParseAuditPolicy(std::string_view text, const std::string& file) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return ParseNode(root, file);
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kConfig, fmt::format("not valid YAML: {}", e.msg),
                     SourcePos{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                               e.mark.column >= 0 ? e.mark.column + 1 : 0});
  }
}

Result<AuditPolicy> ReadAuditPolicy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{}: the audit policy file cannot be read", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxPolicyBytes) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("{}: larger than {} bytes", path, kMaxPolicyBytes));
  }
  return ParseAuditPolicy(text.str(), path);
}

AuditDecision Evaluate(const AuditPolicy& policy, const AuditRequest& request) {
  AuditDecision d;
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const PolicyRule& r = policy.rules[i];
    if (!Matches(r, request)) continue;
    d.level = r.level;
    d.rule = static_cast<int>(i);
    d.omit_stages = policy.omit_stages;
    for (const std::string& s : r.omit_stages) {
      if (!Has(d.omit_stages, s)) d.omit_stages.push_back(s);
    }
    return d;
  }
  d.omit_stages = policy.omit_stages;
  return d;
}

}  // namespace vigil::controls
