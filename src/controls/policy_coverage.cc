// KubeAudit.3: does an audit policy record what vigil's detections need (kube_audit.h)?
#include <fmt/format.h>

#include <algorithm>

#include "controls/kube_audit.h"

namespace vigil::controls {
namespace {

struct Caller {
  std::string_view user;
  std::vector<std::string> groups;
};

// Who the probes act as: an authenticated user, a service account, and system:anonymous.
const std::vector<Caller>& Callers() {
  static const std::vector<Caller> kCallers = {
      {"vigil-probe@example.com", {"system:authenticated"}},
      {"system:serviceaccount:default:vigil-probe",
       {"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}},
      {"system:anonymous", {"system:unauthenticated"}},
  };
  return kCallers;
}

struct Target {
  std::string_view group;
  std::string_view resource;
  std::string_view subresource;
  bool namespaced;
};

// One clause of KubeAudit.3: these targets and verbs must be logged at a level in [min, max].
struct Clause {
  std::string_view name;
  std::vector<Target> targets;
  std::vector<std::string_view> verbs;
  AuditLevel min;
  AuditLevel max;
};

const std::vector<Clause>& Clauses() {
  static const std::vector<Clause> kClauses = {
      {"pods are written at Request or RequestResponse",
       {{"", "pods", "", true}},
       {"create", "update", "patch"},
       AuditLevel::kRequest,
       AuditLevel::kRequestResponse},
      {"pod-template workloads are written at Request or RequestResponse",
       {{"apps", "deployments", "", true},
        {"apps", "daemonsets", "", true},
        {"apps", "statefulsets", "", true},
        {"apps", "replicasets", "", true},
        {"batch", "jobs", "", true},
        {"batch", "cronjobs", "", true},
        {"", "replicationcontrollers", "", true}},
       {"create", "update", "patch"},
       AuditLevel::kRequest,
       AuditLevel::kRequestResponse},
      {"RBAC bindings are written at Request or RequestResponse",
       {{"rbac.authorization.k8s.io", "rolebindings", "", true},
        {"rbac.authorization.k8s.io", "clusterrolebindings", "", false}},
       {"create", "update", "patch"},
       AuditLevel::kRequest,
       AuditLevel::kRequestResponse},
      {"pods/exec, pods/attach and pods/portforward are logged",
       {{"", "pods", "exec", true},
        {"", "pods", "attach", true},
        {"", "pods", "portforward", true}},
       {"create", "get"},
       AuditLevel::kMetadata,
       AuditLevel::kRequestResponse},
      {"Secrets are logged at Metadata only",
       {{"", "secrets", "", true}},
       {"get", "list", "watch", "create", "update", "patch", "delete"},
       AuditLevel::kMetadata,
       AuditLevel::kMetadata},
  };
  return kClauses;
}

std::string Describe(const AuditRequest& q) {
  std::string what = q.resource;
  if (!q.subresource.empty()) what += "/" + q.subresource;
  if (!q.api_group.empty()) what = q.api_group + "/" + what;
  return fmt::format("{} {} by {}{}", q.verb, what, q.user,
                     q.ns.empty() ? std::string() : " in " + q.ns);
}

std::string RuleLabel(const AuditPolicy& policy, const AuditDecision& d) {
  if (d.rule < 0) return "no rule matches";
  return fmt::format("rule {}, line {}", d.rule + 1,
                     policy.rules[static_cast<size_t>(d.rule)].line);
}

}  // namespace

PolicyCheck CheckAuditPolicy(const AuditPolicy& policy, const std::string& file) {
  PolicyCheck check;
  size_t logged_probes = 0;
  std::vector<std::string> request_received;  // probes that log RequestReceived
  for (const Clause& clause : Clauses()) {
    std::vector<std::string> misses;
    std::string first_evidence;
    for (const Target& target : clause.targets) {
      for (std::string_view verb : clause.verbs) {
        for (const Caller& caller : Callers()) {
          for (std::string_view ns : {"default", "kube-system"}) {
            if (!target.namespaced && ns != "default") continue;
            AuditRequest q;
            q.user = std::string(caller.user);
            q.groups = caller.groups;
            q.verb = std::string(verb);
            q.api_group = std::string(target.group);
            q.resource = std::string(target.resource);
            q.subresource = std::string(target.subresource);
            q.ns = target.namespaced ? std::string(ns) : std::string();
            q.name = verb == "create" || verb == "list" || verb == "watch" ? "" : "vigil-probe";
            const AuditDecision d = Evaluate(policy, q);
            if (d.level != AuditLevel::kNone) {
              ++logged_probes;
              if (std::find(d.omit_stages.begin(), d.omit_stages.end(), "RequestReceived") ==
                  d.omit_stages.end()) {
                request_received.push_back(
                    fmt::format("{} ({})", Describe(q), RuleLabel(policy, d)));
              }
            }
            if (d.level < clause.min || d.level > clause.max) {
              misses.push_back(fmt::format("{} is logged at {} ({})", Describe(q),
                                           AuditLevelName(d.level), RuleLabel(policy, d)));
            }
          }
        }
      }
    }
    if (misses.empty()) {
      check.passed.push_back(std::string(clause.name));
    } else {
      check.failed.push_back(fmt::format(
          "not true that {}: {}{}", clause.name, misses.front(),
          misses.size() > 1 ? fmt::format(" (and {} more probe requests)", misses.size() - 1)
                            : std::string()));
      check.evidence.push_back({file, misses.front()});
    }
  }
  if (!request_received.empty()) {
    check.failed.push_back(fmt::format(
        "not true that the RequestReceived stage is omitted: {}{} — every request would be logged "
        "twice",
        request_received.front(),
        request_received.size() > 1
            ? fmt::format(" (and {} more probe requests)", request_received.size() - 1)
            : std::string()));
    check.evidence.push_back({file, "omitStages lacks RequestReceived"});
  } else if (logged_probes > 0) {
    check.passed.push_back("the RequestReceived stage is omitted");
  }
  if (check.failed.empty()) {
    check.evidence.push_back(
        {file, fmt::format("{} rules; every clause holds", policy.rules.size())});
  }
  return check;
}

}  // namespace vigil::controls
