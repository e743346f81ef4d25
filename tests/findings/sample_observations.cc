#include "findings/sample_observations.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace vigil::findings::testing {
namespace {

using ojson = nlohmann::ordered_json;

struct EventSpec {
  std::string audit_id;
  std::string time;  // RFC 3339
  std::string verb;
  std::string user;
  std::vector<std::string> groups;
  std::vector<std::string> source_ips;
  std::string user_agent;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string uri;
  int code = 200;
};

// The redacted event, compact, in the API server's key order.
std::string Evidence(const EventSpec& e) {
  ojson ev;
  ev["kind"] = "Event";
  ev["apiVersion"] = "audit.k8s.io/v1";
  ev["level"] = "RequestResponse";
  ev["auditID"] = e.audit_id;
  ev["stage"] = "ResponseComplete";
  ev["requestURI"] = e.uri;
  ev["verb"] = e.verb;
  ev["user"] = ojson{{"username", e.user}, {"groups", e.groups}};
  ev["sourceIPs"] = e.source_ips;
  ev["userAgent"] = e.user_agent;
  ojson ref;
  ref["resource"] = e.resource;
  if (!e.ns.empty()) ref["namespace"] = e.ns;
  if (!e.name.empty()) ref["name"] = e.name;
  if (!e.subresource.empty()) ref["subresource"] = e.subresource;
  ref["apiVersion"] = "v1";
  if (!e.resource.empty()) ev["objectRef"] = ref;
  ev["responseStatus"] = ojson{{"metadata", ojson::object()}, {"code", e.code}};
  ev["requestReceivedTimestamp"] = e.time;
  ev["stageTimestamp"] = e.time;
  return ev.dump();
}

Observation FromSpec(const EventSpec& e) {
  Observation o;
  o.audit_id = e.audit_id;
  o.stage = "ResponseComplete";
  o.time = T(e.time);
  o.verb = e.verb;
  o.principal.username = e.user;
  o.principal.groups = e.groups;
  o.source_ips = e.source_ips;
  o.user_agent = e.user_agent;
  o.resource.resource = e.resource;
  o.resource.subresource = e.subresource;
  o.resource.ns = e.ns;
  o.resource.name = e.name;
  o.resource.request_uri = e.uri;
  o.response_code = e.code;
  o.evidence = Evidence(e);
  return o;
}

void OnProdEks(Observation& o) {
  o.cluster = "prod-eks";
  o.account = "111122223333";
  o.region = "us-east-2";
}

void OnKind(Observation& o) { o.cluster = "kind-dev"; }

Observation AnonymousDiscovery(const std::string& audit_id,
                               const std::string& time,
                               const std::string& ip,
                               const std::string& resource) {
  EventSpec e{audit_id,
              time,
              "list",
              "system:anonymous",
              {"system:unauthenticated"},
              {ip},
              "curl/8.5.0",
              resource,
              "",
              "",
              "",
              "/api/v1/" + resource,
              200};
  Observation o = FromSpec(e);
  OnProdEks(o);
  o.rule = "Anonymous API discovery";
  o.type = "Discovery:Kubernetes/SuccessfulAnonymousAccess";
  o.severity = Severity::kMedium;
  o.priority = "WARNING";
  o.title = "An API commonly used to discover resources was invoked by an unauthenticated user";
  o.description = "Anonymous user listed " + resource + " (ip=" + ip + ")";
  o.dedup_key = "prod-eks\x1fsystem:anonymous";
  o.mitre = {{"Discovery", "T1613", "Container and Resource Discovery"}};
  o.remediation = {
      "Remove bindings that grant permissions to system:anonymous or "
      "system:unauthenticated, and disable anonymous auth on the API server.",
      "https://docs.aws.amazon.com/guardduty/latest/ug/"
      "guardduty-remediate-kubernetes.html"};
  o.tags = {"k8s", "discovery", "anonymous"};
  o.output_fields = {
      {"ka.user.name", "system:anonymous"}, {"ka.target.resource", resource}, {"ka.sourceips", ip}};
  return o;
}

Observation PrivilegedPod(const std::string& audit_id, const std::string& time) {
  EventSpec e{audit_id,
              time,
              "create",
              "arn:aws:sts::111122223333:assumed-role/ci-deployer/gh-actions",
              {"system:authenticated"},
              {"192.0.2.10"},
              "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
              "pods",
              "",
              "default",
              "miner",
              "/api/v1/namespaces/default/pods",
              201};
  Observation o = FromSpec(e);
  OnProdEks(o);
  o.principal.uid = "aws-iam-authenticator:111122223333:AROAEXAMPLEROLEID";
  o.principal.aws_arn = "arn:aws:iam::111122223333:role/ci-deployer";
  o.principal.aws_session_name = "gh-actions";
  o.principal.aws_access_key_id = "ASIAEXAMPLEKEYID0001";
  o.principal.aws_principal_id = "AROAEXAMPLEROLEID:gh-actions";
  o.rule = "Privileged container deployed";
  o.type = "PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer";
  o.severity = Severity::kHigh;
  o.priority = "ERROR";
  o.title = "A workload was launched with a privileged container";
  o.description =
      "Privileged container started (user=arn:aws:sts::111122223333:assumed-role/ci-deployer/"
      "gh-actions pod=default/miner image=xmrig/xmrig:latest)";
  o.dedup_key =
      "prod-eks\x1f"
      "default\x1fminer";
  o.mitre = {{"Privilege Escalation", "T1611", "Escape to Host"},
             {"Execution", "T1610", "Deploy Container"}};
  o.remediation = {
      "Delete the pod and find out who allowed privileged containers in the "
      "namespace; enforce the restricted Pod Security Standard.",
      "https://kubernetes.io/docs/concepts/security/pod-security-standards/"};
  o.tags = {"k8s", "container", "privileged"};
  o.output_fields = {{"ka.req.pod.containers.image", "xmrig/xmrig:latest"},
                     {"ka.target.namespace", "default"},
                     {"ka.target.name", "miner"}};
  return o;
}

Observation AnonymousBinding() {
  EventSpec e{"5f0c1d2e-0004-4000-8000-000000000004",
              "2024-05-01T12:03:10.000000Z",
              "create",
              "bob@example.com",
              {"system:authenticated", "devs"},
              {"192.0.2.44"},
              "kubectl/v1.29.2 (darwin/arm64) kubernetes/4b8e819",
              "clusterrolebindings",
              "",
              "",
              "anon-view",
              "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
              201};
  Observation o = FromSpec(e);
  OnProdEks(o);
  o.resource.api_group = "rbac.authorization.k8s.io";
  o.principal.uid = "b0b";
  o.rule = "Anonymous access granted";
  o.type = "Policy:Kubernetes/AnonymousAccessGranted";
  o.severity = Severity::kHigh;
  o.priority = "ERROR";
  o.title = "A role binding granted permissions to system:anonymous";
  o.description = "bob@example.com bound clusterrole view to system:anonymous (anon-view)";
  o.dedup_key =
      "prod-eks\x1f"
      "bob@example.com\x1f"
      "anon-view";
  o.remediation = {"Delete the binding and review who may create role bindings.", ""};
  o.tags = {"k8s", "rbac"};
  o.context = {{"binding.roleRef", "ClusterRole/view"}};
  return o;
}

Observation SecretsRead(const std::string& audit_id,
                        const std::string& time,
                        const std::string& ip,
                        const std::string& agent) {
  EventSpec e{audit_id,
              time,
              "get",
              "system:serviceaccount:ci:builder",
              {"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"},
              {ip, "10.0.0.2"},
              agent,
              "secrets",
              "",
              "kube-system",
              "aws-creds",
              "/api/v1/namespaces/kube-system/secrets/aws-creds",
              200};
  Observation o = FromSpec(e);
  OnProdEks(o);
  o.principal.uid = "3d7c9a51-0000-4000-8000-00000000b1d3";
  o.rule = "Secrets read by unusual agent";
  o.type = "Custom:Kubernetes/SecretsReadByUnusualAgent";
  o.severity = Severity::kMedium;
  o.priority = "WARNING";
  o.title = "A service account read a secret with an unusual client";
  o.description = "system:serviceaccount:ci:builder read kube-system/aws-creds with " + agent;
  o.dedup_key = "prod-eks\x1fsystem:serviceaccount:ci:builder\x1fkube-system";
  o.mitre = {{"credential_access", "T1552.007", "Container API"}};
  o.remediation = {"Rotate the secret and check the service account's recent activity.",
                   "https://attack.mitre.org/techniques/T1552/007/"};
  o.tags = {"k8s", "secrets"};
  o.output_fields = {{"ka.useragent", agent}, {"ka.target.name", "aws-creds"}};
  o.context = {{"baseline.agents", "kubectl,helm"}};
  return o;
}

Observation ExecInKubeSystem() {
  EventSpec e{"5f0c1d2e-0010-4000-8000-000000000010",
              "2024-05-01T12:05:00.000000Z",
              "create",
              "carol",
              {"system:authenticated", "sre"},
              {"172.18.0.1"},
              "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b",
              "pods",
              "exec",
              "kube-system",
              "coredns-5d78c9869d-x7k2p",
              "/api/v1/namespaces/kube-system/pods/coredns-5d78c9869d-x7k2p/exec?command=sh&"
              "stdin=true&tty=true",
              101};
  Observation o = FromSpec(e);
  OnKind(o);
  o.principal.impersonated_user = "system:admin";
  o.rule = "Exec into kube-system pod";
  o.type = "Execution:Kubernetes/ExecInKubeSystemPod";
  o.severity = Severity::kMedium;
  o.priority = "WARNING";
  o.title = "A command was executed inside a pod in the kube-system namespace";
  o.description = "carol (as system:admin) exec'd into kube-system/coredns-5d78c9869d-x7k2p: sh";
  o.dedup_key =
      "kind-dev\x1f"
      "carol\x1fkube-system\x1f"
      "coredns-5d78c9869d-x7k2p";
  o.mitre = {{"Execution", "T1609", "Container Administration Command"}};
  o.tags = {"k8s", "exec"};
  o.output_fields = {{"ka.uri.param[command]", "sh"}};
  return o;
}

Observation ConfigMapChurn(const std::string& audit_id, const std::string& time) {
  EventSpec e{audit_id,
              time,
              "update",
              "system:serviceaccount:tools:syncer",
              {"system:serviceaccounts"},
              {"10.244.0.7"},
              "syncer/1.4",
              "configmaps",
              "",
              "tools",
              "settings",
              "/api/v1/namespaces/tools/configmaps/settings",
              200};
  Observation o = FromSpec(e);
  OnKind(o);
  o.rule = "ConfigMap churn";
  o.type = "Custom:Kubernetes/ConfigMapChurn";
  o.severity = Severity::kLow;
  o.priority = "NOTICE";
  o.title = "A ConfigMap was updated repeatedly";
  o.description = "tools/settings updated by system:serviceaccount:tools:syncer";
  o.dedup_key = "kind-dev\x1ftools\x1fsettings";
  return o;
}

}  // namespace

UnixNanos T(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) {
    std::fprintf(stderr, "bad test time %.*s\n", static_cast<int>(rfc3339.size()), rfc3339.data());
    std::abort();
  }
  return *t;
}

std::vector<Observation> SampleObservations() {
  return {
      AnonymousDiscovery("5f0c1d2e-0001-4000-8000-000000000001", "2024-05-01T12:00:01.123456Z",
                         "203.0.113.7", "pods"),
      AnonymousDiscovery("5f0c1d2e-0002-4000-8000-000000000002", "2024-05-01T12:00:02.000000Z",
                         "203.0.113.7", "secrets"),
      PrivilegedPod("5f0c1d2e-0003-4000-8000-000000000003", "2024-05-01T12:02:00.500000Z"),
      AnonymousBinding(),
      SecretsRead("5f0c1d2e-0005-4000-8000-000000000005", "2024-05-01T12:04:00.000000Z",
                  "198.51.100.20", "python-requests/2.31.0"),
      ExecInKubeSystem(),
      SecretsRead("5f0c1d2e-0006-4000-8000-000000000006", "2024-05-01T12:06:00.000000Z",
                  "198.51.100.20", "python-requests/2.31.0"),
      PrivilegedPod("5f0c1d2e-0007-4000-8000-000000000007", "2024-05-01T12:07:30.000000Z"),
      ConfigMapChurn("5f0c1d2e-0011-4000-8000-000000000011", "2024-05-01T12:08:00.000000Z"),
      SecretsRead("5f0c1d2e-0008-4000-8000-000000000008", "2024-05-01T12:09:00.000000Z",
                  "198.51.100.21", "Go-http-client/1.1"),
      AnonymousDiscovery("5f0c1d2e-0009-4000-8000-000000000009", "2024-05-01T12:10:00.000000Z",
                         "198.51.100.99", "namespaces"),
      SecretsRead("5f0c1d2e-0012-4000-8000-000000000012", "2024-05-01T12:11:00.000000Z",
                  "198.51.100.21", "Go-http-client/1.1"),
      ConfigMapChurn("5f0c1d2e-0013-4000-8000-000000000013", "2024-05-01T12:12:00.000000Z"),
  };
}

Observation MakeObservation(std::string_view rule,
                            std::string_view user,
                            std::string_view audit_id,
                            UnixNanos time,
                            std::string_view cluster) {
  Observation o;
  o.rule = std::string(rule);
  o.type = "Custom:Kubernetes/" + std::string(rule);
  o.severity = Severity::kMedium;
  o.title = "Test finding " + std::string(rule);
  o.description = "event " + std::string(audit_id);
  o.cluster = std::string(cluster);
  o.audit_id = std::string(audit_id);
  o.stage = "ResponseComplete";
  o.time = time;
  o.principal.username = std::string(user);
  o.resource.resource = "pods";
  o.resource.ns = "default";
  o.resource.name = "web";
  o.source_ips = {"192.0.2.1"};
  o.user_agent = "kubectl/" + std::string(audit_id);
  o.evidence = R"({"auditID":")" + std::string(audit_id) + R"(","stage":"ResponseComplete"})";
  return o;
}

}  // namespace vigil::findings::testing
