#include "gen/traffic.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gen/cluster.h"
#include "gen/json_writer.h"
#include "gen/random.h"

namespace vigil::bench {

std::string_view UserClassName(UserClass c) {
  switch (c) {
    case UserClass::kNode: return "node";
    case UserClass::kServiceAccount: return "serviceaccount";
    case UserClass::kComponent: return "component";
    case UserClass::kHuman: return "human";
  }
  return "node";
}

void AppendRfc3339Micros(std::string& out, std::int64_t unix_us) {
  std::int64_t secs = unix_us / 1'000'000;
  std::int64_t micros = unix_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    secs -= 1;
  }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  // civil_from_days (Howard Hinnant, public domain).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                              static_cast<long long>(y), static_cast<long long>(m),
                              static_cast<long long>(d), static_cast<long long>(sod / 3600),
                              static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                              static_cast<long long>(micros));
  out.append(buf, static_cast<std::size_t>(n));
}

namespace {

// An authenticated caller, with its `user` object pre-rendered.
struct Identity {
  std::string username;
  std::string user_json;
  std::string user_agent;
  std::string source_ip;
  std::string authz_reason;  // annotation value when this caller is allowed
  UserClass cls = UserClass::kNode;
};

enum class Stage { kRequestReceived, kResponseStarted, kResponseComplete };

std::string_view StageName(Stage s) {
  switch (s) {
    case Stage::kRequestReceived: return "RequestReceived";
    case Stage::kResponseStarted: return "ResponseStarted";
    case Stage::kResponseComplete: return "ResponseComplete";
  }
  return "ResponseComplete";
}

// One API request, from which one to three stage events are written.
struct Request {
  const Identity* user = nullptr;
  std::string impersonated_json;  // the impersonatedUser object, or empty
  std::string_view impersonated_name;
  std::string_view level = "Metadata";
  std::string uri;
  std::string_view verb;
  bool has_object = false;
  std::string_view resource;
  std::string_view api_group;
  std::string_view api_version = "v1";
  std::string_view subresource;
  std::string ns;
  std::string name;
  int code = 200;
  std::string status_json;  // whole responseStatus when it is more than {"metadata":{},"code":N}
  std::string request_object;
  std::string response_object;
  std::string_view decision = "allow";
  std::string reason;             // authorization.k8s.io/reason; the caller's default if unset
  bool reason_set = false;
  std::string extra_annotations;  // further `,"key":"value"` members of annotations
  std::int64_t latency_us = 3000;
  bool log_request_received = false;
  bool long_running = false;  // watch / exec: ResponseStarted now, ResponseComplete later
  int started_code = 200;
  std::int64_t duration_us = 0;
  bool attack = false;
  UserClass cls = UserClass::kNode;
  // Set when the first stage is written.
  std::string audit_id;
  std::int64_t received_us = 0;
};

// A later stage of a request already begun, due at event index `due`.
struct Pending {
  std::uint64_t due = 0;
  std::uint64_t seq = 0;  // tie-break, keeps the order deterministic
  Stage stage = Stage::kResponseComplete;
  std::shared_ptr<Request> request;
  bool operator>(const Pending& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

std::string GoDuration(int secs) {
  std::string s;
  if (secs >= 60) s += std::to_string(secs / 60) + "m";
  s += std::to_string(secs % 60) + "s";
  return s;
}

std::string UpperAlnum(Rng& rng, int n) { return rng.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n); }

std::string ServiceAccountUserJson(std::string_view ns, std::string_view sa, std::string_view uid,
                                   const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string out;
  JsonWriter j(out);
  j.BeginObject()
      .Field("username", "system:serviceaccount:" + std::string(ns) + ":" + std::string(sa))
      .Field("uid", uid);
  j.Key("groups").BeginArray().String("system:serviceaccounts");
  j.String("system:serviceaccounts:" + std::string(ns)).String("system:authenticated").EndArray();
  if (!extra.empty()) {
    j.Key("extra").BeginObject();
    for (const auto& [k, v] : extra) j.Key(k).BeginArray().String(v).EndArray();
    j.EndObject();
  }
  j.EndObject();
  return out;
}

// An IAM principal as aws-iam-authenticator maps it: uid, groups and the extra keys EKS sets.
std::string IamUserJson(Rng& rng, std::string_view username, std::string_view role,
                        std::string_view session, std::vector<std::string_view> groups) {
  const std::string role_id = "AROA" + UpperAlnum(rng, 17);
  std::string out;
  JsonWriter j(out);
  j.BeginObject().Field("username", username);
  j.Field("uid", "aws-iam-authenticator:" + std::string(kAccountId) + ":" + role_id);
  j.Key("groups").BeginArray();
  for (auto g : groups) j.String(g);
  j.EndArray();
  j.Key("extra").BeginObject();
  j.Key("accessKeyId").BeginArray().String("ASIA" + UpperAlnum(rng, 16)).EndArray();
  j.Key("arn").BeginArray();
  j.String("arn:aws:sts::" + std::string(kAccountId) + ":assumed-role/" + std::string(role) + "/" +
           std::string(session));
  j.EndArray();
  j.Key("canonicalArn").BeginArray();
  j.String("arn:aws:iam::" + std::string(kAccountId) + ":role/" + std::string(role)).EndArray();
  j.Key("principalId").BeginArray().String(role_id + ":" + std::string(session)).EndArray();
  j.Key("sessionName").BeginArray().String(session).EndArray();
  j.EndObject().EndObject();
  return out;
}

std::string RbacReason(std::string_view binding_kind, std::string_view binding,
                       std::string_view role_kind, std::string_view role,
                       std::string_view subject_kind, std::string_view subject) {
  std::string s = "RBAC: allowed by ";
  s += binding_kind;
  s += " \"";
  s += binding;
  s += "\" of ";
  s += role_kind;
  s += " \"";
  s += role;
  s += "\" to ";
  s += subject_kind;
  s += " \"";
  s += subject;
  s += "\"";
  return s;
}

// The user agent a workload's API client sends (client-go's default when unset is
// "<binary>/v0.0.0 (linux/amd64) kubernetes/$Format").
std::string WorkloadUserAgent(std::string_view name) {
  static const std::array<std::pair<std::string_view, std::string_view>, 18> kAgents = {{
      {"coredns", "coredns/v0.0.0 (linux/amd64) kubernetes/$Format"},
      {"aws-node", "aws-k8s-agent/v0.0.0 (linux/amd64) kubernetes/$Format"},
      {"kube-proxy", "kube-proxy/v1.29.7 (linux/amd64) kubernetes/a737599"},
      {"ebs-csi-node", "aws-ebs-csi-driver/v1.34.0 (linux/amd64) kubernetes/$Format"},
      {"ebs-csi-controller", "csi-provisioner/v5.1.0 (linux/amd64) kubernetes/$Format"},
      {"metrics-server", "metrics-server/v0.7.2 (linux/amd64) kubernetes/$Format"},
      {"karpenter", "karpenter/v1.0.6 (linux/amd64) kubernetes/$Format"},
      {"prometheus-k8s", "Prometheus/2.54.1"},
      {"prometheus-operator", "PrometheusOperator/0.76.2"},
      {"kube-state-metrics", "kube-state-metrics/v2.13.0 (linux/amd64) kubernetes/$Format"},
      {"fluent-bit", "Fluent-Bit"},
      {"ingress-nginx-controller",
       "nginx-ingress-controller/v1.11.2 (linux/amd64) ingress-nginx/46e76e5916813cfca2a9b0bfdc34b69a0000f6b9"},
      {"cert-manager", "cert-manager-controller/v1.15.3 (linux/amd64) cert-manager/f5bd8ef7"},
      {"argocd-application-controller",
       "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format"},
      {"argocd-server", "argocd-server/v0.0.0 (linux/amd64) kubernetes/$Format"},
      {"teleport-kube-agent", "Teleport/16.4.2"},
      {"external-dns", "ExternalDNS/v0.15.0"},
      {"jenkins", "fabric8-kubernetes-client/6.13.1"},
  }};
  for (const auto& [n, ua] : kAgents) {
    if (n == name) return std::string(ua);
  }
  return std::string(name) + "/v0.0.0 (linux/amd64) kubernetes/$Format";
}

// Weighted request templates. Weights are per ~10,000 events; a watch or exec request writes two
// events, so its weight counts twice towards the verb mix.
using TemplateFn = void (*)(TrafficGenerator::Impl&, Request&);
struct Template {
  std::uint32_t weight;
  std::string_view verb;  // for warm-starting open watches; the function sets the real verb
  TemplateFn fn;
};

}  // namespace

struct TrafficGenerator::Impl {
  explicit Impl(const TrafficOptions& o);
  void Next(std::string& out, EventInfo& info);

  // --- state ---
  TrafficOptions opts;
  Rng rng;
  Cluster cluster;
  std::uint64_t index = 0;     // events written so far
  std::uint64_t requests = 0;  // requests begun so far
  std::uint64_t seq = 0;
  std::uint64_t audit_key;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending;

  // identities
  std::vector<Identity> node_ids;      // by node index
  std::vector<Identity> pod_ids;       // by pod index (pod-bound service-account tokens)
  std::vector<Identity> controller_ids;  // kube-controller-manager's per-controller accounts
  std::vector<Identity> component_ids;
  std::vector<Identity> human_ids;
  std::vector<Identity> attacker_ids;
  std::vector<std::vector<int>> pods_by_node;
  std::vector<std::string> impersonation_targets;  // impersonatedUser JSON objects
  std::vector<std::string> impersonation_names;    // and their usernames
  void Impersonate(Request& r) {
    const std::size_t i = rng.Below(impersonation_targets.size());
    r.impersonated_json = impersonation_targets[i];
    r.impersonated_name = impersonation_names[i];
  }

  // --- helpers used by the templates ---
  std::string ResourceVersion() {
    return std::to_string(1'843'000'000ULL + index * 3 + rng.Below(3));
  }
  const Node& RandomNode() { return cluster.nodes[rng.Below(cluster.nodes.size())]; }
  int RandomPodIndex() { return static_cast<int>(rng.Below(cluster.pods.size())); }
  int PodOfWorkload(std::string_view ns, std::string_view name) {
    const auto& w = cluster.workloads[cluster.WorkloadIndex(ns, name)];
    return w.pods[rng.Below(w.pods.size())];
  }
  const Identity& PodIdentity(std::string_view ns, std::string_view name) {
    return pod_ids[PodOfWorkload(ns, name)];
  }
  const Identity& Controller(std::string_view name) {
    static constexpr std::string_view kPrefix = "system:serviceaccount:kube-system:";
    for (const auto& id : controller_ids) {
      if (id.username.size() == kPrefix.size() + name.size() && id.username.ends_with(name)) {
        return id;
      }
    }
    std::fprintf(stderr, "gen: no controller %.*s\n", static_cast<int>(name.size()), name.data());
    std::abort();
  }
  const Identity& Component(std::string_view username, int replica = 0) {
    int seen = 0;
    for (const auto& id : component_ids) {
      if (id.username == username && seen++ == replica) return id;
    }
    std::fprintf(stderr, "gen: no component %.*s\n", static_cast<int>(username.size()),
                 username.data());
    std::abort();
  }
  const std::string& RandomNamespace() {
    return cluster.namespaces[rng.Below(cluster.namespaces.size())].name;
  }
  const Namespace& AppNamespace() {
    static constexpr std::string_view kApps[] = {"payments", "checkout", "catalog", "auth"};
    return cluster.Ns(kApps[rng.Below(4)]);
  }

  // objectRef and the matching request path.
  static void Obj(Request& r, std::string_view resource, std::string ns, std::string name,
                  std::string_view group = "", std::string_view version = "v1",
                  std::string_view subresource = "") {
    r.has_object = true;
    r.resource = resource;
    r.ns = std::move(ns);
    r.name = std::move(name);
    r.api_group = group;
    r.api_version = version;
    r.subresource = subresource;
    r.uri = group.empty() ? "/api/v1" : "/apis/" + std::string(group) + "/" + std::string(version);
    if (!r.ns.empty() && resource != "namespaces") r.uri += "/namespaces/" + r.ns;
    r.uri += '/';
    r.uri += resource;
    if (!r.name.empty()) r.uri += "/" + r.name;
    if (!subresource.empty()) r.uri += "/" + std::string(subresource);
  }

  void Watch(Request& r, std::string_view field_selector = "", std::string_view label_selector = "") {
    const int secs = 300 + static_cast<int>(rng.Below(300));
    r.verb = "watch";
    r.uri += "?allowWatchBookmarks=true";
    if (!field_selector.empty()) r.uri += "&fieldSelector=" + std::string(field_selector);
    if (!label_selector.empty()) r.uri += "&labelSelector=" + std::string(label_selector);
    r.uri += "&resourceVersion=" + ResourceVersion() + "&timeout=" + GoDuration(secs) +
             "&timeoutSeconds=" + std::to_string(secs) + "&watch=true";
    r.long_running = true;
    r.started_code = 200;
    r.duration_us = static_cast<std::int64_t>(secs) * 1'000'000 + rng.Between(0, 999'999);
  }
  void List(Request& r, bool informer = true) {
    r.verb = "list";
    r.uri += informer ? "?limit=500&resourceVersion=0" : "?limit=500";
    r.latency_us = rng.Between(2'000, 80'000);
    if (rng.Chance(30'000)) {
      r.latency_us = rng.Between(500'000, 2'500'000);
      SlowAnnotations(r);
    }
  }
  void SlowAnnotations(Request& r) {
    const std::int64_t total = r.latency_us;
    auto ms = [](std::int64_t us) {
      char b[32];
      std::snprintf(b, sizeof b, "%lld.%03lldms", static_cast<long long>(us / 1000),
                    static_cast<long long>(us % 1000));
      return std::string(b);
    };
    r.extra_annotations += ",\"apiserver.latency.k8s.io/etcd\":\"" + ms(total * 7 / 10) +
                           "\",\"apiserver.latency.k8s.io/response-write\":\"" + ms(total / 50) +
                           "\",\"apiserver.latency.k8s.io/serialize-response-object\":\"" +
                           ms(total / 5) + "\",\"apiserver.latency.k8s.io/total\":\"" + ms(total) +
                           "\",\"apiserver.latency.k8s.io/transform-response-object\":\"" +
                           ms(total / 100) + "\"";
  }
  void Fail(Request& r, int code, std::string_view reason, const std::string& message,
            std::string_view details_kind = "") {
    r.code = code;
    std::string out;
    JsonWriter j(out);
    j.BeginObject().Key("metadata").BeginObject().EndObject();
    j.Field("status", "Failure").Field("message", message).Field("reason", reason);
    if (!details_kind.empty()) {
      j.Key("details").BeginObject();
      if (!r.name.empty()) j.Field("name", r.name);
      if (!r.api_group.empty()) j.Field("group", r.api_group);
      j.Field("kind", details_kind).EndObject();
    }
    j.Field("code", code).EndObject();
    r.status_json = std::move(out);
  }
  void NotFound(Request& r) {
    Fail(r, 404, "NotFound",
         std::string(r.resource) + (r.api_group.empty() ? "" : "." + std::string(r.api_group)) +
             " \"" + r.name + "\" not found",
         r.resource);
  }
  void Conflict(Request& r) {
    Fail(r, 409, "Conflict",
         "Operation cannot be fulfilled on " + std::string(r.resource) +
             (r.api_group.empty() ? "" : "." + std::string(r.api_group)) + " \"" + r.name +
             "\": the object has been modified; please apply your changes to the latest version "
             "and try again",
         r.resource);
  }
  void Forbidden(Request& r) {
    r.decision = "forbid";
    r.reason = "";
    r.reason_set = true;
    // Authorization applies to the impersonated identity when there is one.
    const std::string who(r.impersonated_json.empty() ? std::string_view(r.user->username)
                                                      : r.impersonated_name);
    std::string msg = std::string(r.resource) + " is forbidden: User \"" + who + "\" cannot " +
                      std::string(r.verb) + " resource \"" + std::string(r.resource) +
                      "\" in API group \"" + std::string(r.api_group) + "\"";
    msg += r.ns.empty() ? " at the cluster scope" : " in the namespace \"" + r.ns + "\"";
    Fail(r, 403, "Forbidden", msg, r.resource);
  }

  // Request bodies.
  void PodSpec(JsonWriter& j, const Workload& w, const Node* node);
  std::string PodBody(const Workload& w, const Pod& pod, bool generate_name);
  std::string WorkloadBody(const Workload& w, std::string_view image_override = "",
                           std::string_view managed_by = "argocd");
  std::string ApplyPatch(const Workload& w);
  std::string ConfigMapBody(std::string_view ns, std::string_view name, int approx_bytes);
  static std::string BindingBody(std::string_view kind, std::string_view name,
                                 std::string_view role,
                                 std::vector<std::array<std::string_view, 3>> subjects);
  void PodSecurity(Request& r, const Workload& w);

  // Attacks.
  void Attack(Request& r);
  void FollowUp(std::shared_ptr<Request> r, std::uint64_t delay_events);

  // Writing.
  void Begin(std::shared_ptr<Request> r, std::int64_t now_us, std::string& out, EventInfo& info);
  void Write(const Request& r, Stage stage, std::int64_t stage_us, std::string& out,
             EventInfo& info);
  std::int64_t Now() const;
  void WarmStartWatches();
  std::span<const Template> Templates();
};

namespace {

using G = TrafficGenerator::Impl;

// ---------------------------------------------------------------------------------------------
// Request templates by caller. Each fills a Request; the caller writes it.

// kubelet (system:node:*)
const Identity& Kubelet(G& g, int* node_out = nullptr) {
  const int n = static_cast<int>(g.rng.Below(g.node_ids.size()));
  if (node_out) *node_out = n;
  return g.node_ids[n];
}
int PodOnNode(G& g, int node) {
  const auto& v = g.pods_by_node[node];
  return v[g.rng.Below(v.size())];
}

void KubeletLeaseUpdate(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "leases", "kube-node-lease", g.cluster.nodes[n].name, "coordination.k8s.io");
  r.verb = "update";
  r.uri += "?timeout=10s";
  if (g.rng.Chance(1'500)) g.Conflict(r);
}
void KubeletLeaseGet(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "leases", "kube-node-lease", g.cluster.nodes[n].name, "coordination.k8s.io");
  r.verb = "get";
  r.uri += "?timeout=10s";
}
void KubeletNodeGet(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "nodes", "", g.cluster.nodes[n].name);
  r.verb = "get";
  r.uri += "?resourceVersion=0&timeout=10s";
}
void KubeletNodeStatusPatch(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "nodes", "", g.cluster.nodes[n].name, "", "v1", "status");
  r.verb = "patch";
  r.uri += "?timeout=10s";
  r.latency_us = g.rng.Between(4'000, 20'000);
}
void KubeletPodGet(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Pod& p = g.cluster.pods[PodOnNode(g, n)];
  G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name);
  r.verb = "get";
  if (g.rng.Chance(8'000)) g.NotFound(r);
}
void KubeletPodStatusPatch(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Pod& p = g.cluster.pods[PodOnNode(g, n)];
  G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name, "", "v1", "status");
  r.verb = "patch";
  r.latency_us = g.rng.Between(3'000, 15'000);
  if (g.rng.Chance(4'000)) g.NotFound(r);
}
void KubeletPodDelete(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Pod& p = g.cluster.pods[PodOnNode(g, n)];
  G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name);
  r.verb = "delete";
}
void KubeletTokenCreate(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Pod& p = g.cluster.pods[PodOnNode(g, n)];
  const Workload& w = g.cluster.workloads[p.workload];
  G::Obj(r, "serviceaccounts", w.ns, w.service_account, "", "v1", "token");
  r.verb = "create";
  r.code = 201;
}
void KubeletWatchConfigMap(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Pod& p = g.cluster.pods[PodOnNode(g, n)];
  const Workload& w = g.cluster.workloads[p.workload];
  std::string cm = w.config_maps.empty() || g.rng.Chance(500'000) ? "kube-root-ca.crt"
                                                                   : w.config_maps[0];
  G::Obj(r, "configmaps", w.ns, "");
  g.Watch(r, "metadata.name%3D" + cm);
}
void KubeletWatchSecret(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Namespace& ns = g.AppNamespace();
  G::Obj(r, "secrets", ns.name, "");
  g.Watch(r, "metadata.name%3D" + ns.secrets[g.rng.Below(ns.secrets.size())]);
}
void KubeletSecretGet(G& g, Request& r) {
  r.user = &Kubelet(g);
  G::Obj(r, "secrets", "ci", "registry-creds");
  r.verb = "get";
}
void KubeletPodList(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "pods", "", "");
  r.verb = "list";
  r.uri += "?fieldSelector=spec.nodeName%3D" + g.cluster.nodes[n].name +
           "&limit=500&resourceVersion=0";
  r.latency_us = g.rng.Between(2'000, 12'000);
}
void KubeletServiceList(G& g, Request& r) {
  r.user = &Kubelet(g);
  G::Obj(r, "services", "", "");
  g.List(r);
}
void KubeletNodeList(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "nodes", "", "");
  r.verb = "list";
  r.uri += "?fieldSelector=metadata.name%3D" + g.cluster.nodes[n].name +
           "&limit=500&resourceVersion=0";
}
void KubeletCsiNodeGet(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  G::Obj(r, "csinodes", "", g.cluster.nodes[n].name, "storage.k8s.io");
  r.verb = "get";
}
void KubeletConfigMapGet(G& g, Request& r) {
  int n = 0;
  r.user = &Kubelet(g, &n);
  const Pod& p = g.cluster.pods[PodOnNode(g, n)];
  G::Obj(r, "configmaps", g.cluster.workloads[p.workload].ns, "kube-root-ca.crt");
  r.verb = "get";
}

// Leader election by in-cluster controllers (service accounts).
void LeaderLease(G& g, Request& r, bool update) {
  struct Leader {
    std::string_view ns, workload, lease;
  };
  static constexpr Leader kLeaders[] = {
      {"karpenter", "karpenter", "karpenter-leader-election"},
      {"cert-manager", "cert-manager", "cert-manager-controller"},
      {"cert-manager", "cert-manager", "cert-manager-cainjector-leader-election"},
      {"ingress-nginx", "ingress-nginx-controller", "ingress-nginx-leader"},
      {"kube-system", "ebs-csi-controller", "ebs-csi-aws-com"},
      {"kube-system", "ebs-csi-controller", "external-attacher-leader-ebs-csi-aws-com"},
      {"kube-system", "ebs-csi-controller", "external-resizer-ebs-csi-aws-com"},
      {"monitoring", "prometheus-operator", "prometheus-operator"},
      {"external-dns", "external-dns", "external-dns-leader"},
  };
  const Leader& l = kLeaders[g.rng.Below(std::size(kLeaders))];
  const auto& w = g.cluster.workloads[g.cluster.WorkloadIndex(l.ns, l.workload)];
  // The leader is the workload's first pod; standbys only read the lease.
  r.user = &g.pod_ids[update ? w.pods[0] : w.pods[w.pods.size() - 1]];
  G::Obj(r, "leases", std::string(l.ns), std::string(l.lease), "coordination.k8s.io");
  r.verb = update ? "update" : "get";
  r.uri += "?timeout=5s";
}
void LeaderLeaseUpdate(G& g, Request& r) { LeaderLease(g, r, true); }
void LeaderLeaseGet(G& g, Request& r) { LeaderLease(g, r, false); }

// kube-controller-manager controllers, each under its own service account.
void ReplicaSetCreatesPod(G& g, Request& r) {
  r.user = &g.Controller("replicaset-controller");
  static constexpr std::string_view kDeployments[][2] = {
      {"payments", "payments-api"}, {"payments", "payments-worker"}, {"checkout", "checkout-web"},
      {"checkout", "cart"},         {"catalog", "catalog-api"},      {"auth", "auth-svc"},
      {"argocd", "argocd-server"},  {"kube-system", "coredns"},      {"monitoring", "grafana"},
      {"ingress-nginx", "ingress-nginx-controller"}};
  const auto& d = kDeployments[g.rng.Below(std::size(kDeployments))];
  const int wi = g.cluster.WorkloadIndex(d[0], d[1]);
  const Workload& w = g.cluster.workloads[wi];
  G::Obj(r, "pods", w.ns, "");
  r.verb = "create";
  r.code = 201;
  r.level = "Request";
  r.request_object = g.PodBody(w, g.cluster.pods[w.pods[g.rng.Below(w.pods.size())]], true);
  r.latency_us = g.rng.Between(8'000, 40'000);
  g.PodSecurity(r, w);
}
void DaemonSetCreatesPod(G& g, Request& r) {
  r.user = &g.Controller("daemon-set-controller");
  static constexpr std::string_view kDaemonSets[][2] = {{"kube-system", "aws-node"},
                                                        {"kube-system", "kube-proxy"},
                                                        {"kube-system", "ebs-csi-node"},
                                                        {"monitoring", "node-exporter"},
                                                        {"logging", "fluent-bit"}};
  const auto& d = kDaemonSets[g.rng.Below(std::size(kDaemonSets))];
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex(d[0], d[1])];
  G::Obj(r, "pods", w.ns, "");
  r.verb = "create";
  r.code = 201;
  r.level = "Request";
  r.request_object = g.PodBody(w, g.cluster.pods[w.pods[g.rng.Below(w.pods.size())]], true);
  r.latency_us = g.rng.Between(8'000, 40'000);
  g.PodSecurity(r, w);
}
void JobCreatesPod(G& g, Request& r) {
  r.user = &g.Controller("job-controller");
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex("catalog", "search-indexer")];
  G::Obj(r, "pods", w.ns, "");
  r.verb = "create";
  r.code = 201;
  r.level = "Request";
  r.request_object = g.PodBody(w, g.cluster.pods[w.pods[0]], true);
  g.PodSecurity(r, w);
}
void CronJobCreatesJob(G& g, Request& r) {
  r.user = &g.Controller("cronjob-controller");
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex("catalog", "search-indexer")];
  G::Obj(r, "jobs", w.ns, "", "batch");
  r.verb = "create";
  r.code = 201;
  r.level = "Request";
  r.request_object = g.WorkloadBody(w);
}
void ControllerStatusUpdate(G& g, Request& r) {
  struct S {
    std::string_view controller, resource, group;
    bool statefulset_only;
  };
  static constexpr S kStatus[] = {{"replicaset-controller", "replicasets", "apps", false},
                                  {"deployment-controller", "deployments", "apps", false},
                                  {"daemon-set-controller", "daemonsets", "apps", false},
                                  {"statefulset-controller", "statefulsets", "apps", true},
                                  {"job-controller", "jobs", "batch", false},
                                  {"horizontal-pod-autoscaler", "horizontalpodautoscalers",
                                   "autoscaling", false}};
  const S& s = kStatus[g.rng.Weighted(std::array<std::uint32_t, 6>{30, 20, 12, 6, 8, 14})];
  r.user = &g.Controller(s.controller);
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  std::string name = w.name;
  if (s.resource == "replicasets") name += "-" + w.template_hash;
  if (s.resource == "jobs") name = "search-indexer-28861440";
  G::Obj(r, s.resource, w.ns, name, s.group, s.resource == "horizontalpodautoscalers" ? "v2" : "v1",
         "status");
  r.verb = "update";
  if (g.rng.Chance(20'000)) g.Conflict(r);
}
void EndpointSliceUpdate(G& g, Request& r) {
  r.user = &g.Controller(g.rng.Chance(300'000) ? "endpoint-controller" : "endpointslice-controller");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  if (r.user->username.ends_with(":endpoint-controller")) {
    G::Obj(r, "endpoints", w.ns, w.name);
  } else {
    G::Obj(r, "endpointslices", w.ns, w.name + "-" + w.template_hash.substr(0, 5), "discovery.k8s.io");
  }
  r.verb = "update";
  if (g.rng.Chance(15'000)) g.Conflict(r);
}
void GarbageCollectorDelete(G& g, Request& r) {
  r.user = &g.Controller(g.rng.Chance(200'000) ? "pod-garbage-collector" : "generic-garbage-collector");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  if (g.rng.Chance(700'000)) {
    G::Obj(r, "pods", w.ns, g.cluster.pods[w.pods[g.rng.Below(w.pods.size())]].name);
  } else {
    G::Obj(r, "replicasets", w.ns, w.name + "-" + w.template_hash, "apps");
  }
  r.verb = "delete";
  r.latency_us = g.rng.Between(5'000, 30'000);
  if (g.rng.Chance(100'000)) g.NotFound(r);
}
void GarbageCollectorGet(G& g, Request& r) {
  r.user = &g.Controller("generic-garbage-collector");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  G::Obj(r, "replicasets", w.ns, w.name + "-" + w.template_hash, "apps");
  r.verb = "get";
}
void HpaScaleGet(G& g, Request& r) {
  r.user = &g.Controller("horizontal-pod-autoscaler");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[0]];
  G::Obj(r, "deployments", w.ns, w.name, "apps", "v1", "scale");
  r.verb = "get";
}
void CronJobList(G& g, Request& r) {
  r.user = &g.Controller("cronjob-controller");
  G::Obj(r, "jobs", "", "", "batch");
  g.List(r, false);
}
void JobDelete(G& g, Request& r) {
  r.user = &g.Controller("cronjob-controller");
  G::Obj(r, "jobs", "catalog", "search-indexer-2886" + std::to_string(1000 + g.rng.Below(4)),
         "batch");
  r.verb = "delete";
  r.level = "Request";
  r.request_object = R"({"kind":"DeleteOptions","apiVersion":"batch/v1","propagationPolicy":"Background"})";
}

// In-cluster add-ons (pod-bound service-account tokens).
void CoreDnsWatch(G& g, Request& r) {
  r.user = &g.PodIdentity("kube-system", "coredns");
  if (g.rng.Chance(500'000)) {
    G::Obj(r, "endpointslices", "", "", "discovery.k8s.io");
  } else {
    G::Obj(r, g.rng.Chance(500'000) ? "services" : "namespaces", "", "");
  }
  g.Watch(r);
}
void CoreDnsList(G& g, Request& r) {
  r.user = &g.PodIdentity("kube-system", "coredns");
  G::Obj(r, "endpointslices", "", "", "discovery.k8s.io");
  g.List(r);
}
void KubeProxyWatch(G& g, Request& r) {
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex("kube-system", "kube-proxy")];
  r.user = &g.pod_ids[w.pods[g.rng.Below(w.pods.size())]];
  if (g.rng.Chance(500'000)) {
    G::Obj(r, "endpointslices", "", "", "discovery.k8s.io");
    g.Watch(r, "", "%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2Fservice-proxy-name");
  } else {
    G::Obj(r, "services", "", "");
    g.Watch(r, "", "%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2Fservice-proxy-name");
  }
}
void MonitoringWatch(G& g, Request& r) {
  static constexpr std::string_view kWho[][2] = {{"monitoring", "prometheus-k8s"},
                                                  {"monitoring", "kube-state-metrics"},
                                                  {"monitoring", "prometheus-operator"}};
  const auto& who = kWho[g.rng.Below(3)];
  r.user = &g.PodIdentity(who[0], who[1]);
  static constexpr std::string_view kRes[][2] = {{"pods", ""},           {"services", ""},
                                                 {"endpoints", ""},      {"nodes", ""},
                                                 {"deployments", "apps"}, {"statefulsets", "apps"},
                                                 {"replicasets", "apps"}, {"jobs", "batch"},
                                                 {"persistentvolumeclaims", ""},
                                                 {"servicemonitors", "monitoring.coreos.com"}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  const bool namespaced = res[0] != "nodes" && g.rng.Chance(500'000);
  G::Obj(r, res[0], namespaced ? g.AppNamespace().name : "", "", res[1],
         res[1] == "monitoring.coreos.com" ? "v1" : "v1");
  g.Watch(r);
}
void MonitoringList(G& g, Request& r) {
  static constexpr std::string_view kWho[][2] = {{"monitoring", "prometheus-k8s"},
                                                  {"monitoring", "kube-state-metrics"}};
  const auto& who = kWho[g.rng.Below(2)];
  r.user = &g.PodIdentity(who[0], who[1]);
  static constexpr std::string_view kRes[][2] = {
      {"pods", ""}, {"services", ""}, {"endpoints", ""}, {"nodes", ""}, {"configmaps", ""},
      {"deployments", "apps"}, {"daemonsets", "apps"}, {"cronjobs", "batch"},
      {"leases", "coordination.k8s.io"}, {"ingresses", "networking.k8s.io"}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  G::Obj(r, res[0], res[0] == "nodes" || g.rng.Chance(400'000) ? "" : g.AppNamespace().name, "",
         res[1]);
  g.List(r);
}
void PrometheusOperatorGet(G& g, Request& r) {
  r.user = &g.PodIdentity("monitoring", "prometheus-operator");
  if (g.rng.Chance(300'000)) {
    G::Obj(r, "secrets", "monitoring", "prometheus-k8s");
  } else {
    G::Obj(r, "statefulsets", "monitoring", "prometheus-k8s", "apps");
  }
  r.verb = "get";
}
void PrometheusRulesUpdate(G& g, Request& r) {
  r.user = &g.PodIdentity("monitoring", "prometheus-operator");
  G::Obj(r, "configmaps", "monitoring", "prometheus-k8s-rulefiles-0");
  r.verb = "update";
  r.level = "RequestResponse";
  r.request_object = g.ConfigMapBody("monitoring", "prometheus-k8s-rulefiles-0",
                                     static_cast<int>(g.rng.Between(2'000, 4'200)));
  r.response_object = "";  // large bodies: the request is enough
  r.level = "Request";
}
void ArgoGet(G& g, Request& r) {
  r.user = &g.PodIdentity("argocd", g.rng.Chance(800'000) ? "argocd-application-controller"
                                                          : "argocd-server");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  switch (g.rng.Below(4)) {
    case 0: G::Obj(r, "services", w.ns, w.name); break;
    case 1: G::Obj(r, "configmaps", w.ns, w.name + "-config"); break;
    case 2: G::Obj(r, "serviceaccounts", w.ns, w.service_account); break;
    default: G::Obj(r, w.ApiGroupResource(), w.ns, w.name, w.kind == WorkloadKind::kCronJob ? "batch" : "apps"); break;
  }
  r.verb = "get";
  if (g.rng.Chance(10'000)) g.NotFound(r);
}
void ArgoList(G& g, Request& r) {
  r.user = &g.PodIdentity("argocd", "argocd-application-controller");
  static constexpr std::string_view kRes[][2] = {{"pods", ""}, {"services", ""}, {"configmaps", ""},
                                                 {"deployments", "apps"}, {"replicasets", "apps"},
                                                 {"ingresses", "networking.k8s.io"},
                                                 {"applications", "argoproj.io"}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  G::Obj(r, res[0], res[1] == "argoproj.io" ? "argocd" : "", "", res[1],
         res[1] == "argoproj.io" ? "v1alpha1" : "v1");
  g.List(r, false);
}
void ArgoWatch(G& g, Request& r) {
  r.user = &g.PodIdentity("argocd", "argocd-application-controller");
  static constexpr std::string_view kRes[][2] = {{"pods", ""}, {"services", ""}, {"configmaps", ""},
                                                 {"deployments", "apps"}, {"secrets", ""},
                                                 {"applications", "argoproj.io"}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  G::Obj(r, res[0], res[1] == "argoproj.io" || res[0] == "secrets" ? "argocd" : "", "", res[1],
         res[1] == "argoproj.io" ? "v1alpha1" : "v1");
  g.Watch(r, "", res[0] == "secrets" ? "argocd.argoproj.io%2Fsecret-type%3Dcluster" : "");
}
void ArgoSyncPatch(G& g, Request& r) {
  r.user = &g.PodIdentity("argocd", "argocd-application-controller");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[0]];
  switch (g.rng.Weighted(std::array<std::uint32_t, 4>{25, 35, 25, 15})) {
    case 0:
      G::Obj(r, "deployments", w.ns, w.name, "apps");
      r.request_object = g.ApplyPatch(w);
      break;
    case 1:  // refresh / hook annotations
      G::Obj(r, "deployments", w.ns, w.name, "apps");
      r.request_object = R"({"metadata":{"annotations":{"argocd.argoproj.io/tracking-id":")" + w.ns +
                         ":apps/Deployment:" + w.ns + "/" + w.name + R"("}}})";
      break;
    case 2:
      G::Obj(r, "configmaps", w.ns, w.name + "-config");
      r.request_object = g.ConfigMapBody(w.ns, w.name + "-config", static_cast<int>(g.rng.Between(200, 900)));
      break;
    default:
      G::Obj(r, "services", w.ns, w.name);
      r.request_object = R"({"metadata":{"labels":{"app.kubernetes.io/instance":")" + w.ns +
                         R"("}},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}]}})";
  }
  r.verb = "patch";
  r.level = "Request";
  r.uri += "?fieldManager=argocd-controller";
  r.latency_us = g.rng.Between(10'000, 60'000);
}
void KarpenterGet(G& g, Request& r) {
  r.user = &g.PodIdentity("karpenter", "karpenter");
  if (g.rng.Chance(500'000)) {
    G::Obj(r, "nodes", "", g.RandomNode().name);
  } else {
    G::Obj(r, "nodeclaims", "", "default-" + g.cluster.nodes[g.rng.Below(8)].uid.substr(0, 5),
           "karpenter.sh");
  }
  r.verb = "get";
}
void KarpenterList(G& g, Request& r) {
  r.user = &g.PodIdentity("karpenter", "karpenter");
  static constexpr std::string_view kRes[][2] = {{"nodes", ""}, {"pods", ""},
                                                 {"nodeclaims", "karpenter.sh"},
                                                 {"nodepools", "karpenter.sh"}};
  const auto& res = kRes[g.rng.Below(4)];
  G::Obj(r, res[0], "", "", res[1]);
  g.List(r, false);
}
void KarpenterUpdate(G& g, Request& r) {
  r.user = &g.PodIdentity("karpenter", "karpenter");
  G::Obj(r, "nodeclaims", "", "default-" + g.cluster.nodes[g.rng.Below(8)].uid.substr(0, 5),
         "karpenter.sh", "v1", "status");
  r.verb = "update";
}
void KarpenterNodePatch(G& g, Request& r) {
  r.user = &g.PodIdentity("karpenter", "karpenter");
  G::Obj(r, "nodes", "", g.RandomNode().name);
  r.verb = "patch";
}
void KarpenterEvict(G& g, Request& r) {
  r.user = &g.PodIdentity("karpenter", "karpenter");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  const Pod& p = g.cluster.pods[static_cast<std::size_t>(w.pods[g.rng.Below(w.pods.size())])];
  G::Obj(r, "pods", w.ns, p.name, "", "v1", "eviction");
  r.verb = "create";
  r.code = 201;
  r.level = "Request";
  r.request_object = R"({"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":")" + p.name +
                     R"(","namespace":")" + w.ns + R"(","creationTimestamp":null}})";
  if (g.rng.Chance(150'000)) {
    g.Fail(r, 429, "TooManyRequests",
           "Cannot evict pod as it would violate the pod's disruption budget.", "");
  }
}
void AwsNodeAnnotatesPod(G& g, Request& r) {
  const Workload& ds = g.cluster.workloads[g.cluster.WorkloadIndex("kube-system", "aws-node")];
  const int node = static_cast<int>(g.rng.Below(g.cluster.nodes.size()));
  r.user = &g.pod_ids[static_cast<std::size_t>(ds.pods[static_cast<std::size_t>(node)])];
  const Pod& p = g.cluster.pods[static_cast<std::size_t>(PodOnNode(g, node))];
  G::Obj(r, "pods", g.cluster.workloads[static_cast<std::size_t>(p.workload)].ns, p.name);
  r.verb = "patch";
  r.level = "Request";
  r.request_object = R"({"metadata":{"annotations":{"vpc.amazonaws.com/pod-ips":")" + p.ip + R"("}}})";
}
void MetricsServerReview(G& g, Request& r) {
  r.user = &g.PodIdentity("kube-system", "metrics-server");
  if (g.rng.Chance(500'000)) {
    G::Obj(r, "tokenreviews", "", "", "authentication.k8s.io");
  } else {
    G::Obj(r, "subjectaccessreviews", "", "", "authorization.k8s.io");
  }
  r.verb = "create";
  r.code = 201;
}
// kube-rbac-proxy sidecars authenticate and authorise every metrics scrape through the API.
void KubeRbacProxyReview(G& g, Request& r) {
  const bool ksm = g.rng.Chance(300'000);
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex(
      "monitoring", ksm ? "kube-state-metrics" : "node-exporter")];
  r.user = &g.pod_ids[static_cast<std::size_t>(w.pods[g.rng.Below(w.pods.size())])];
  if (g.rng.Chance(500'000)) {
    G::Obj(r, "tokenreviews", "", "", "authentication.k8s.io");
  } else {
    G::Obj(r, "subjectaccessreviews", "", "", "authorization.k8s.io");
  }
  r.verb = "create";
  r.code = 201;
  r.latency_us = g.rng.Between(800, 4'000);
}
void AwsNodeGet(G& g, Request& r) {
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex("kube-system", "aws-node")];
  const int pod = w.pods[g.rng.Below(w.pods.size())];
  r.user = &g.pod_ids[pod];
  const int node = g.cluster.pods[pod].node;
  if (g.rng.Chance(550'000)) {
    G::Obj(r, "nodes", "", g.cluster.nodes[node].name);
  } else {
    const Pod& p = g.cluster.pods[PodOnNode(g, node)];
    G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name);
  }
  r.verb = "get";
}
void FluentBitPodGet(G& g, Request& r) {
  const Workload& w = g.cluster.workloads[g.cluster.WorkloadIndex("logging", "fluent-bit")];
  const int pod = w.pods[g.rng.Below(w.pods.size())];
  r.user = &g.pod_ids[pod];
  const Pod& p = g.cluster.pods[PodOnNode(g, g.cluster.pods[pod].node)];
  G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name);
  r.verb = "get";
}
void IngressNginx(G& g, Request& r) {
  r.user = &g.PodIdentity("ingress-nginx", "ingress-nginx-controller");
  switch (g.rng.Below(4)) {
    case 0:
      G::Obj(r, "ingresses", "", "", "networking.k8s.io");
      g.Watch(r);
      break;
    case 1:
      G::Obj(r, "endpointslices", "", "", "discovery.k8s.io");
      g.Watch(r, "", "");
      break;
    case 2:
      G::Obj(r, "configmaps", "ingress-nginx", "ingress-nginx-controller");
      r.verb = "get";
      break;
    default: {
      const Namespace& ns = g.AppNamespace();
      G::Obj(r, "ingresses", ns.name, g.cluster.workloads[ns.workloads[0]].name,
             "networking.k8s.io", "v1", "status");
      r.verb = "update";
    }
  }
}
void CertManager(G& g, Request& r) {
  r.user = &g.PodIdentity("cert-manager", "cert-manager");
  switch (g.rng.Below(5)) {
    case 0:
      G::Obj(r, "secrets", "ingress-nginx", "wildcard-tls");
      r.verb = "get";
      break;
    case 1:
    case 2:
      G::Obj(r, "certificates", "ingress-nginx", "wildcard-tls", "cert-manager.io");
      r.verb = "get";
      break;
    case 3:
      G::Obj(r, "certificaterequests", "", "", "cert-manager.io");
      g.List(r, false);
      break;
    default:
      G::Obj(r, "certificates", "ingress-nginx", "wildcard-tls", "cert-manager.io", "v1", "status");
      r.verb = "update";
  }
}
void ExternalDnsList(G& g, Request& r) {
  r.user = &g.PodIdentity("external-dns", "external-dns");
  static constexpr std::string_view kRes[][2] = {{"services", ""}, {"nodes", ""}, {"pods", ""},
                                                 {"ingresses", "networking.k8s.io"}};
  const auto& res = kRes[g.rng.Below(4)];
  G::Obj(r, res[0], "", "", res[1]);
  g.List(r, false);
}
void EbsCsiController(G& g, Request& r) {
  r.user = &g.PodIdentity("kube-system", "ebs-csi-controller");
  if (g.rng.Chance(500'000)) {
    G::Obj(r, "volumeattachments", "", "", "storage.k8s.io");
    g.List(r);
  } else {
    G::Obj(r, "volumeattachments", "", "csi-" + g.cluster.nodes[g.rng.Below(6)].uid, "storage.k8s.io",
           "v1", "status");
    r.verb = "patch";
  }
}

// Teleport's Kubernetes agent: a proxy that impersonates the humans signed in to it.
void TeleportImpersonates(G& g, Request& r) {
  r.user = &g.PodIdentity("teleport", "teleport-kube-agent");
  g.Impersonate(r);
  r.reason = RbacReason("ClusterRoleBinding", "teleport-kube-agent", "ClusterRole",
                        "teleport-kube-agent", "ServiceAccount", "teleport-kube-agent/teleport");
  r.reason_set = true;
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  const Pod& p = g.cluster.pods[w.pods[g.rng.Below(w.pods.size())]];
  switch (g.rng.Weighted(std::array<std::uint32_t, 4>{50, 25, 15, 10})) {
    case 0:
      G::Obj(r, "pods", ns.name, p.name);
      r.verb = "get";
      break;
    case 1:
      G::Obj(r, "pods", ns.name, "");
      r.verb = "list";
      r.uri += "?limit=500";
      break;
    case 2:
      G::Obj(r, "pods", ns.name, p.name, "", "v1", "log");
      r.verb = "get";
      r.uri += "?container=" + w.name + "&tailLines=200";
      break;
    default:
      G::Obj(r, "events", ns.name, "");
      r.verb = "list";
      r.uri += "?fieldSelector=involvedObject.name%3D" + p.name + "&limit=500";
  }
}

// Control-plane components.
void ComponentLease(G& g, Request& r, bool update) {
  static constexpr std::string_view kWho[][2] = {{"system:kube-scheduler", "kube-scheduler"},
                                                 {"system:kube-controller-manager",
                                                  "kube-controller-manager"},
                                                 {"eks:cloud-controller-manager",
                                                  "cloud-controller-manager"}};
  const std::size_t k = g.rng.Weighted(std::array<std::uint32_t, 3>{40, 40, 20});
  const auto& who = kWho[k];
  // Replica 0 holds the lease and renews it; replicas 1 and 2 poll it.
  r.user = &g.Component(who[0], update ? 0 : 1 + static_cast<int>(g.rng.Below(2)));
  G::Obj(r, "leases", "kube-system", std::string(who[1]), "coordination.k8s.io");
  r.verb = update ? "update" : "get";
  r.uri += "?timeout=5s";
}
void ComponentLeaseUpdate(G& g, Request& r) { ComponentLease(g, r, true); }
void ComponentLeaseGet(G& g, Request& r) { ComponentLease(g, r, false); }
void ApiserverLease(G& g, Request& r) {
  const int replica = static_cast<int>(g.rng.Below(3));
  r.user = &g.Component("system:apiserver", replica);
  G::Obj(r, "leases", "kube-system",
         "apiserver-" + g.cluster.nodes[static_cast<std::size_t>(replica)].uid.substr(0, 8) +
             "ymvgdfplnbhx6gxvqu",
         "coordination.k8s.io");
  r.verb = g.rng.Chance(500'000) ? "update" : "get";
  r.uri += "?timeout=10s";
}
void SchedulerBinding(G& g, Request& r) {
  r.user = &g.Component("system:kube-scheduler", 0);
  const Pod& p = g.cluster.pods[static_cast<std::size_t>(g.RandomPodIndex())];
  G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name, "", "v1", "binding");
  r.verb = "create";
  r.code = 201;
}
void SchedulerWatchList(G& g, Request& r) {
  r.user = &g.Component("system:kube-scheduler", 0);
  static constexpr std::string_view kRes[][2] = {
      {"pods", ""}, {"nodes", ""}, {"persistentvolumeclaims", ""}, {"csinodes", "storage.k8s.io"},
      {"poddisruptionbudgets", "policy"}, {"storageclasses", "storage.k8s.io"}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  G::Obj(r, res[0], "", "", res[1]);
  if (g.rng.Chance(600'000)) {
    g.Watch(r, res[0] == "pods" ? "status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed" : "");
  } else {
    g.List(r);
  }
}
void SchedulerPodStatus(G& g, Request& r) {
  r.user = &g.Component("system:kube-scheduler", 0);
  const Pod& p = g.cluster.pods[static_cast<std::size_t>(g.RandomPodIndex())];
  G::Obj(r, "pods", g.cluster.workloads[p.workload].ns, p.name, "", "v1", "status");
  r.verb = "patch";
}
void ControllerManagerMisc(G& g, Request& r) {
  r.user = &g.Component("system:kube-controller-manager", 0);
  switch (g.rng.Weighted(std::array<std::uint32_t, 4>{30, 20, 20, 30})) {
    case 0:
      G::Obj(r, "configmaps", "kube-system", "extension-apiserver-authentication");
      r.verb = "get";
      break;
    case 1:
      G::Obj(r, "serviceaccounts", "", "", "", "v1");
      g.Watch(r);
      break;
    case 2:
      G::Obj(r, "namespaces", "", "");
      g.List(r);
      break;
    default: {
      static constexpr std::string_view kCtrl[] = {"replicaset-controller", "deployment-controller",
                                                   "endpointslice-controller", "job-controller",
                                                   "generic-garbage-collector"};
      G::Obj(r, "serviceaccounts", "kube-system", std::string(kCtrl[g.rng.Below(5)]), "", "v1",
             "token");
      r.verb = "create";
      r.code = 201;
    }
  }
}
void EksComponents(G& g, Request& r) {
  switch (g.rng.Weighted(std::array<std::uint32_t, 6>{25, 15, 15, 15, 15, 15})) {
    case 0:
      r.user = &g.Component("eks:cloud-controller-manager");
      G::Obj(r, "nodes", "", g.RandomNode().name);
      r.verb = g.rng.Chance(700'000) ? "get" : "patch";
      break;
    case 1:
      r.user = &g.Component("eks:k8s-metrics");
      G::Obj(r, g.rng.Chance(500'000) ? "nodes" : "pods", "", "");
      g.List(r, false);
      break;
    case 2:
      r.user = &g.Component("eks:certificate-controller");
      G::Obj(r, "certificatesigningrequests", "", "", "certificates.k8s.io");
      g.List(r);
      break;
    case 3:
      r.user = &g.Component("eks:node-manager");
      G::Obj(r, "configmaps", "kube-system", "aws-auth");
      r.verb = "get";
      break;
    case 4:
      r.user = &g.Component("eks:addon-manager");
      G::Obj(r, "daemonsets", "kube-system", g.rng.Chance(500'000) ? "aws-node" : "kube-proxy", "apps");
      r.verb = g.rng.Chance(800'000) ? "get" : "patch";
      r.uri += "?timeout=10s";
      break;
    default:
      r.user = &g.Component("eks:pod-identity-mutating-webhook");
      G::Obj(r, "serviceaccounts", "", "");
      g.Watch(r);
  }
}
void HealthCheck(G& g, Request& r) {
  r.user = &g.Component("system:anonymous", static_cast<int>(g.rng.Below(2)));
  static constexpr std::string_view kPaths[] = {"/readyz", "/livez", "/healthz", "/readyz?verbose"};
  r.uri = std::string(kPaths[g.rng.Below(4)]);
  r.verb = "get";
  r.latency_us = g.rng.Between(300, 2'000);
  r.reason = RbacReason("ClusterRoleBinding", "system:public-info-viewer", "ClusterRole",
                        "system:public-info-viewer", "Group", "system:unauthenticated");
  r.reason_set = true;
}

// Humans and CI, through kubectl, k9s and Helm.
const Identity& Human(G& g, int which) { return g.human_ids[static_cast<std::size_t>(which)]; }
const Identity& AnyHuman(G& g) { return Human(g, static_cast<int>(g.rng.Below(4))); }

void HumanGet(G& g, Request& r) {
  r.user = &AnyHuman(g);
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  switch (g.rng.Below(5)) {
    case 0:
    case 1: G::Obj(r, "pods", ns.name, g.cluster.pods[w.pods[0]].name); break;
    case 2: G::Obj(r, w.ApiGroupResource(), ns.name, w.name, w.kind == WorkloadKind::kCronJob ? "batch" : "apps"); break;
    case 3: G::Obj(r, "services", ns.name, w.name); break;
    default: G::Obj(r, "configmaps", ns.name, w.name + "-config");
  }
  r.verb = "get";
  if (g.rng.Chance(30'000)) g.NotFound(r);
}
void HumanList(G& g, Request& r) {
  r.user = &AnyHuman(g);
  const Namespace& ns = g.AppNamespace();
  static constexpr std::string_view kRes[][2] = {{"pods", ""}, {"pods", ""}, {"events", ""},
                                                 {"deployments", "apps"}, {"services", ""},
                                                 {"nodes", ""}, {"namespaces", ""}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  const bool cluster_scoped = res[0] == "nodes" || res[0] == "namespaces";
  G::Obj(r, res[0], cluster_scoped ? "" : ns.name, "", res[1]);
  g.List(r, false);
}
void HumanDiscovery(G& g, Request& r) {
  r.user = &AnyHuman(g);
  static constexpr std::string_view kPaths[] = {"/api?timeout=32s", "/apis?timeout=32s",
                                                "/api/v1?timeout=32s", "/apis/apps/v1?timeout=32s",
                                                "/openapi/v3?timeout=32s"};
  r.uri = std::string(kPaths[g.rng.Below(5)]);
  r.verb = "get";
  r.latency_us = g.rng.Between(500, 5'000);
}
void HumanLogs(G& g, Request& r) {
  r.user = &AnyHuman(g);
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[0]];
  G::Obj(r, "pods", ns.name, g.cluster.pods[w.pods[g.rng.Below(w.pods.size())]].name, "", "v1", "log");
  r.verb = "get";
  r.uri += "?container=" + w.name + (g.rng.Chance(500'000) ? "&follow=true" : "&tailLines=100");
  r.latency_us = g.rng.Between(20'000, 3'000'000);
}
void HumanExec(G& g, Request& r) {
  r.user = &Human(g, 1 + static_cast<int>(g.rng.Below(2)));
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[0]];
  G::Obj(r, "pods", ns.name, g.cluster.pods[w.pods[0]].name, "", "v1", "exec");
  r.verb = "create";
  r.uri += "?command=sh&container=" + w.name + "&stdin=true&stdout=true&tty=true";
  r.long_running = true;
  r.started_code = 101;
  r.code = 101;
  r.duration_us = g.rng.Between(5'000'000, 240'000'000);
}
void HumanPortForward(G& g, Request& r) {
  r.user = &Human(g, 1 + static_cast<int>(g.rng.Below(2)));
  G::Obj(r, "pods", "auth", g.cluster.pods[g.cluster.workloads[g.cluster.WorkloadIndex("auth", "redis")].pods[0]].name, "", "v1", "portforward");
  r.verb = "create";
  r.long_running = true;
  r.started_code = 101;
  r.code = 101;
  r.duration_us = g.rng.Between(10'000'000, 600'000'000);
}
void HumanAccessReview(G& g, Request& r) {
  r.user = &AnyHuman(g);
  G::Obj(r, "selfsubjectaccessreviews", "", "", "authorization.k8s.io");
  r.verb = "create";
  r.code = 201;
}
void HumanForbidden(G& g, Request& r) {
  r.user = &Human(g, 1 + static_cast<int>(g.rng.Below(2)));
  G::Obj(r, "secrets", "kube-system", "");
  r.verb = "list";
  r.uri += "?limit=500";
  g.Forbidden(r);
}
void HumanImpersonates(G& g, Request& r) {
  r.user = &Human(g, 0);  // kubectl --as, by the cluster admin
  g.Impersonate(r);
  const Namespace& ns = g.AppNamespace();
  G::Obj(r, "pods", ns.name, "");
  r.verb = "list";
  r.uri += "?limit=500";
  if (g.rng.Chance(300'000)) g.Forbidden(r);
}
void HumanWatch(G& g, Request& r) {
  r.user = &Human(g, static_cast<int>(g.rng.Below(3)));
  G::Obj(r, "pods", g.AppNamespace().name, "");
  g.Watch(r);  // kubectl get -w / k9s
}

void CiDeploy(G& g, Request& r) {
  r.user = &Human(g, 3);
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[0]];
  switch (g.rng.Weighted(std::array<std::uint32_t, 7>{15, 25, 10, 10, 12, 8, 15})) {
    case 6: {  // kubectl set image
      G::Obj(r, "deployments", ns.name, w.name, "apps");
      r.verb = "patch";
      r.level = "Request";
      const std::string& image = w.containers[0].image;
      r.request_object = R"({"spec":{"template":{"spec":{"containers":[{"image":")" +
                         image.substr(0, image.find(':')) + ":2025.06." + std::to_string(g.rng.Below(30)) +
                         R"(","name":")" + w.containers[0].name + R"("}]}}}})";
      r.uri += "?fieldManager=kubectl-set";
      break;
    }
    case 0:  // kubectl apply -f deploy/
      G::Obj(r, "deployments", ns.name, w.name, "apps");
      r.verb = "patch";
      r.level = "Request";
      r.request_object = g.ApplyPatch(w);
      r.uri += "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict";
      break;
    case 1:
      G::Obj(r, "deployments", ns.name, w.name, "apps");
      r.verb = "get";
      break;
    case 2:
      G::Obj(r, "configmaps", ns.name, w.name + "-config");
      r.verb = "patch";
      r.level = "Request";
      r.request_object = g.ConfigMapBody(ns.name, w.name + "-config", static_cast<int>(g.rng.Between(200, 1'200)));
      r.uri += "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict";
      break;
    case 3:  // helm: release history
      G::Obj(r, "secrets", ns.name, "");
      r.verb = "list";
      r.uri += "?labelSelector=name%3D" + ns.name + "%2Cowner%3Dhelm";
      break;
    case 4:
      G::Obj(r, "pods", ns.name, "");
      r.verb = "list";
      r.uri += "?labelSelector=app.kubernetes.io%2Fname%3D" + w.name;
      break;
    default:
      G::Obj(r, "deployments", ns.name, "");
      g.Watch(r, "metadata.name%3D" + w.name);  // kubectl rollout status
  }
}
void CiRbac(G& g, Request& r) {
  r.user = &Human(g, 3);
  const Namespace& ns = g.AppNamespace();
  G::Obj(r, "rolebindings", ns.name, ns.name + "-deployers", "rbac.authorization.k8s.io");
  r.verb = "patch";
  r.level = "Request";
  r.request_object = G::BindingBody("RoleBinding", ns.name + "-deployers", "edit",
                                    {{"Group", "deployers", "rbac.authorization.k8s.io"}});
  if (g.rng.Chance(300'000)) {
    G::Obj(r, "clusterrolebindings", "", "monitoring-viewers", "rbac.authorization.k8s.io");
    r.request_object = G::BindingBody("ClusterRoleBinding", "monitoring-viewers", "view",
                                      {{"Group", "sre", "rbac.authorization.k8s.io"}});
  }
}
void CiSecretWrite(G& g, Request& r) {
  r.user = &Human(g, 3);
  const Namespace& ns = g.AppNamespace();
  G::Obj(r, "secrets", ns.name, ns.secrets[0]);
  r.verb = g.rng.Chance(500'000) ? "update" : "patch";
}

// Weights per ~10,000 events; tuned so the measured mix matches performance-anchors.md §0.
constexpr Template kTemplates[] = {
    // kubelets: 45 % of events
    {780, "update", KubeletLeaseUpdate},
    {50, "get", KubeletLeaseGet},
    {730, "get", KubeletNodeGet},
    {160, "patch", KubeletNodeStatusPatch},
    {700, "get", KubeletPodGet},
    {330, "patch", KubeletPodStatusPatch},
    {200, "delete", KubeletPodDelete},
    {50, "create", KubeletTokenCreate},
    {220, "watch", KubeletWatchConfigMap},
    {90, "watch", KubeletWatchSecret},
    {30, "get", KubeletSecretGet},
    {160, "list", KubeletPodList},
    {100, "list", KubeletServiceList},
    {80, "list", KubeletNodeList},
    {110, "get", KubeletCsiNodeGet},
    {90, "get", KubeletConfigMapGet},
    // service accounts: 35 %
    {240, "update", LeaderLeaseUpdate},
    {60, "get", LeaderLeaseGet},
    {60, "create", ReplicaSetCreatesPod},
    {10, "create", DaemonSetCreatesPod},
    {8, "create", JobCreatesPod},
    {8, "create", CronJobCreatesJob},
    {190, "update", ControllerStatusUpdate},
    {140, "update", EndpointSliceUpdate},
    {150, "delete", GarbageCollectorDelete},
    {40, "get", GarbageCollectorGet},
    {90, "get", HpaScaleGet},
    {30, "list", CronJobList},
    {25, "delete", JobDelete},
    {50, "watch", CoreDnsWatch},
    {40, "list", CoreDnsList},
    {45, "watch", KubeProxyWatch},
    {55, "watch", MonitoringWatch},
    {130, "list", MonitoringList},
    {50, "get", PrometheusOperatorGet},
    {10, "update", PrometheusRulesUpdate},
    {160, "get", ArgoGet},
    {110, "list", ArgoList},
    {35, "watch", ArgoWatch},
    {100, "patch", ArgoSyncPatch},
    {80, "get", KarpenterGet},
    {80, "list", KarpenterList},
    {30, "update", KarpenterUpdate},
    {25, "patch", KarpenterNodePatch},
    {45, "create", KarpenterEvict},
    {240, "create", MetricsServerReview},
    {220, "create", KubeRbacProxyReview},
    {80, "get", AwsNodeGet},
    {25, "patch", AwsNodeAnnotatesPod},
    {90, "get", FluentBitPodGet},
    {60, "get", IngressNginx},
    {50, "get", CertManager},
    {60, "list", ExternalDnsList},
    {30, "list", EbsCsiController},
    {180, "get", TeleportImpersonates},
    // control-plane components: 13 %
    {260, "update", ComponentLeaseUpdate},
    {290, "get", ComponentLeaseGet},
    {100, "update", ApiserverLease},
    {120, "create", SchedulerBinding},
    {60, "watch", SchedulerWatchList},
    {20, "patch", SchedulerPodStatus},
    {130, "get", ControllerManagerMisc},
    {150, "get", EksComponents},
    {60, "get", HealthCheck},
    // humans and CI: 7 %
    {130, "get", HumanGet},
    {120, "list", HumanList},
    {80, "get", HumanDiscovery},
    {40, "get", HumanLogs},
    {5, "create", HumanExec},
    {3, "create", HumanPortForward},
    {20, "create", HumanAccessReview},
    {8, "list", HumanForbidden},
    {20, "list", HumanImpersonates},
    {10, "watch", HumanWatch},
    {190, "patch", CiDeploy},
    {15, "patch", CiRbac},
    {12, "update", CiSecretWrite},
};

}  // namespace

std::span<const Template> G::Templates() { return kTemplates; }

// ---------------------------------------------------------------------------------------------
// Bodies

void G::PodSpec(JsonWriter& j, const Workload& w, const Node* node) {
  auto container = [&](const Container& c) {
    j.BeginObject().Field("name", c.name).Field("image", c.image);
    if (!c.ports.empty()) {
      j.Key("ports").BeginArray();
      for (int p : c.ports) {
        j.BeginObject();
        if (p == 9090 || p == 8080) j.Field("name", p == 8080 ? "http" : "metrics");
        j.Field("containerPort", p).Field("protocol", p == 53 ? "UDP" : "TCP").EndObject();
      }
      j.EndArray();
    }
    if (!c.env.empty()) {
      j.Key("env").BeginArray();
      for (const auto& [k, v] : c.env) j.BeginObject().Field("name", k).Field("value", v).EndObject();
      j.EndArray();
    }
    j.Key("resources").BeginObject();
    if (!c.memory.empty()) j.Key("limits").BeginObject().Field("memory", c.memory).EndObject();
    j.Key("requests").BeginObject().Field("cpu", c.cpu);
    if (!c.memory.empty()) j.Field("memory", c.memory);
    j.EndObject().EndObject();
    if (!c.mounts.empty()) {
      j.Key("volumeMounts").BeginArray();
      for (const auto& [name, path] : c.mounts) {
        j.BeginObject().Field("name", name).Field("mountPath", path).EndObject();
      }
      j.EndArray();
    }
    if (!c.ports.empty() && c.ports[0] >= 1024) {
      j.Key("livenessProbe").BeginObject().Key("httpGet").BeginObject();
      j.Field("path", "/healthz").Field("port", c.ports[0]).EndObject();
      j.Field("periodSeconds", 10).EndObject();
    }
    j.Field("terminationMessagePath", "/dev/termination-log")
        .Field("terminationMessagePolicy", "File")
        .Field("imagePullPolicy", "IfNotPresent");
    j.Key("securityContext").BeginObject();
    if (c.privileged) {
      j.Field("privileged", true);
    } else {
      j.Key("capabilities").BeginObject().StringArray("drop", {"ALL"}).EndObject();
      j.Field("runAsNonRoot", true).Field("readOnlyRootFilesystem", true);
      j.Field("allowPrivilegeEscalation", false);
    }
    j.EndObject().EndObject();
  };

  j.Key("spec").BeginObject();
  if (!w.host_paths.empty() || !w.config_maps.empty()) {
    j.Key("volumes").BeginArray();
    for (const auto& [name, path] : w.host_paths) {
      j.BeginObject().Field("name", name).Key("hostPath").BeginObject().Field("path", path);
      j.Field("type", "").EndObject().EndObject();
    }
    for (const auto& cm : w.config_maps) {
      j.BeginObject().Field("name", cm == w.config_maps[0] && !w.containers[0].mounts.empty()
                                        ? w.containers[0].mounts[0].first
                                        : cm);
      j.Key("configMap").BeginObject().Field("name", cm).Field("defaultMode", 420).EndObject();
      j.EndObject();
    }
    j.EndArray();
  }
  if (!w.init_containers.empty()) {
    j.Key("initContainers").BeginArray();
    for (const auto& c : w.init_containers) container(c);
    j.EndArray();
  }
  j.Key("containers").BeginArray();
  for (const auto& c : w.containers) container(c);
  j.EndArray();
  j.Field("restartPolicy", w.kind == WorkloadKind::kCronJob ? "OnFailure" : "Always")
      .Field("terminationGracePeriodSeconds", 30)
      .Field("dnsPolicy", w.host_network ? "ClusterFirstWithHostNet" : "ClusterFirst");
  if (w.kind == WorkloadKind::kDaemonSet) {
    j.Key("nodeSelector").BeginObject().Field("kubernetes.io/os", "linux").EndObject();
  }
  j.Field("serviceAccountName", w.service_account).Field("serviceAccount", w.service_account);
  if (w.host_network) j.Field("hostNetwork", true);
  if (w.host_pid) j.Field("hostPID", true);
  j.Key("securityContext").BeginObject();
  if (!w.host_network) j.Field("fsGroup", 65534).Field("runAsUser", 65534);
  j.EndObject();
  if (node != nullptr) {
    // DaemonSet pods are pinned to their node through required node affinity.
    j.Key("affinity").BeginObject().Key("nodeAffinity").BeginObject();
    j.Key("requiredDuringSchedulingIgnoredDuringExecution").BeginObject();
    j.Key("nodeSelectorTerms").BeginArray().BeginObject().Key("matchFields").BeginArray();
    j.BeginObject().Field("key", "metadata.name").Field("operator", "In");
    j.Key("values").BeginArray().String(node->name).EndArray().EndObject();
    j.EndArray().EndObject().EndArray().EndObject().EndObject().EndObject();
  }
  j.Field("schedulerName", "default-scheduler");
  if (w.kind == WorkloadKind::kDaemonSet) {
    j.Key("tolerations").BeginArray();
    j.BeginObject().Field("operator", "Exists").EndObject();
    for (std::string_view key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
                                 "node.kubernetes.io/disk-pressure",
                                 "node.kubernetes.io/memory-pressure"}) {
      j.BeginObject().Field("key", key).Field("operator", "Exists").Field(
          "effect", key.ends_with("ready") || key.ends_with("unreachable") ? "NoExecute"
                                                                          : "NoSchedule");
      j.EndObject();
    }
    j.EndArray();
    j.Field("priorityClassName", "system-node-critical");
  } else if (w.ns == "kube-system") {
    j.Field("priorityClassName", "system-cluster-critical");
  }
  j.EndObject();
}

std::string G::PodBody(const Workload& w, const Pod& pod, bool generate_name) {
  std::string out;
  out.reserve(2048);
  JsonWriter j(out);
  j.BeginObject().Field("kind", "Pod").Field("apiVersion", "v1");
  j.Key("metadata").BeginObject();
  std::string owner_name = w.name;
  std::string_view owner_kind = "ReplicaSet";
  if (w.kind == WorkloadKind::kDeployment) owner_name += "-" + w.template_hash;
  if (w.kind == WorkloadKind::kDaemonSet) owner_kind = "DaemonSet";
  if (w.kind == WorkloadKind::kStatefulSet) owner_kind = "StatefulSet";
  if (w.kind == WorkloadKind::kCronJob) {
    owner_kind = "Job";
    owner_name = pod.name.substr(0, pod.name.size() - 6);
  }
  if (generate_name && w.kind != WorkloadKind::kStatefulSet) {
    j.Field("generateName", owner_name + "-");
  } else {
    j.Field("name", pod.name);
  }
  j.Field("namespace", w.ns).Key("creationTimestamp").Raw("null");
  j.Key("labels").BeginObject().Field("app.kubernetes.io/name", w.name);
  if (w.kind == WorkloadKind::kDeployment) j.Field("pod-template-hash", w.template_hash);
  if (w.kind == WorkloadKind::kDaemonSet) {
    j.Field("controller-revision-hash", w.template_hash.substr(0, 9)).Field("pod-template-generation", "3");
  }
  j.EndObject();
  j.Key("ownerReferences").BeginArray().BeginObject();
  j.Field("apiVersion", w.kind == WorkloadKind::kCronJob ? "batch/v1" : "apps/v1")
      .Field("kind", owner_kind)
      .Field("name", owner_name)
      .Field("uid", w.uid)
      .Field("controller", true)
      .Field("blockOwnerDeletion", true);
  j.EndObject().EndArray().EndObject();
  PodSpec(j, w, w.kind == WorkloadKind::kDaemonSet ? &cluster.nodes[static_cast<std::size_t>(pod.node)] : nullptr);
  j.Key("status").BeginObject().EndObject();
  j.EndObject();
  return out;
}

std::string G::WorkloadBody(const Workload& w, std::string_view image_override,
                            std::string_view managed_by) {
  Workload copy;
  const Workload* src = &w;
  if (!image_override.empty()) {
    copy = w;
    copy.containers[0].image = std::string(image_override);
    src = &copy;
  }
  std::string out;
  out.reserve(3072);
  JsonWriter j(out);
  const bool job = w.kind == WorkloadKind::kCronJob;
  j.BeginObject().Field("kind", job ? "Job" : w.KindName()).Field("apiVersion", job ? "batch/v1" : "apps/v1");
  j.Key("metadata").BeginObject();
  j.Field("name", job ? "search-indexer-28861440" : w.name).Field("namespace", w.ns);
  j.Key("labels").BeginObject().Field("app.kubernetes.io/name", w.name);
  j.Field("app.kubernetes.io/part-of", w.ns).Field("app.kubernetes.io/managed-by", managed_by);
  j.EndObject().EndObject();
  j.Key("spec").BeginObject();
  if (!job) {
    j.Field("replicas", w.replicas);
    j.Key("selector").BeginObject().Key("matchLabels").BeginObject();
    j.Field("app.kubernetes.io/name", w.name).EndObject().EndObject();
    j.Key("strategy").BeginObject().Field("type", "RollingUpdate").Key("rollingUpdate").BeginObject();
    j.Field("maxUnavailable", "25%").Field("maxSurge", "25%").EndObject().EndObject();
    j.Field("revisionHistoryLimit", 10).Field("progressDeadlineSeconds", 600);
  } else {
    j.Field("backoffLimit", 2).Field("ttlSecondsAfterFinished", 3600);
  }
  j.Key("template").BeginObject().Key("metadata").BeginObject();
  j.Key("labels").BeginObject().Field("app.kubernetes.io/name", w.name).EndObject();
  j.Key("annotations").BeginObject().Field("prometheus.io/scrape", "true").EndObject().EndObject();
  PodSpec(j, *src, nullptr);
  j.EndObject().EndObject();
  j.Key("status").BeginObject().EndObject().EndObject();
  return out;
}

// What `kubectl apply` sends for a changed image: a strategic merge patch that carries the whole
// object again as the last-applied-configuration annotation (a JSON string inside JSON).
std::string G::ApplyPatch(const Workload& w) {
  // One draw per statement: the operands of `+` are evaluated in an unspecified order, and
  // compilers differ, which would make the output depend on the compiler.
  const std::uint32_t day = rng.Below(30);
  const std::string commit = rng.Chars("0123456789abcdef", 7);
  const std::string image = w.containers[0].image.substr(0, w.containers[0].image.find(':')) +
                            ":2025.06." + std::to_string(day) + "-" + commit;
  std::string applied = WorkloadBody(w, image);
  applied += '\n';
  std::string out;
  out.reserve(applied.size() + 512);
  JsonWriter j(out);
  j.BeginObject().Key("metadata").BeginObject().Key("annotations").BeginObject();
  j.Field("kubectl.kubernetes.io/last-applied-configuration", applied);
  j.EndObject().EndObject();
  j.Key("spec").BeginObject().Key("template").BeginObject().Key("spec").BeginObject();
  j.Key("$setElementOrder/containers").BeginArray().BeginObject().Field("name", w.containers[0].name);
  j.EndObject().EndArray();
  j.Key("containers").BeginArray().BeginObject().Field("image", image).Field("name", w.containers[0].name);
  j.EndObject().EndArray().EndObject().EndObject().EndObject().EndObject();
  return out;
}

// A ConfigMap whose data is an application config file of about `approx_bytes`.
std::string G::ConfigMapBody(std::string_view ns, std::string_view name, int approx_bytes) {
  static constexpr std::string_view kLines[] = {
      "server:\n  port: 8080\n  shutdownGracePeriod: 25s\n",
      "logging:\n  level: info\n  format: json\n",
      "tracing:\n  enabled: true\n  sampleRate: 0.05\n",
      "database:\n  host: db.internal.example.com\n  port: 5432\n  pool: 20\n",
      "cache:\n  ttl: 300s\n  maxEntries: 100000\n",
      "features:\n  newCheckout: true\n  asyncReceipts: false\n",
      "- alert: HighErrorRate\n  expr: sum(rate(http_requests_total{code=~\"5..\"}[5m])) / "
      "sum(rate(http_requests_total[5m])) > 0.05\n  for: 10m\n  labels:\n    severity: page\n",
      "- alert: KubePodCrashLooping\n  expr: max_over_time(kube_pod_container_status_waiting_reason"
      "{reason=\"CrashLoopBackOff\"}[5m]) >= 1\n  for: 15m\n",
  };
  std::string data;
  while (static_cast<int>(data.size()) < approx_bytes) data += kLines[rng.Below(std::size(kLines))];
  std::string out;
  JsonWriter j(out);
  j.BeginObject().Field("kind", "ConfigMap").Field("apiVersion", "v1");
  j.Key("metadata").BeginObject().Field("name", name).Field("namespace", ns);
  j.Key("labels").BeginObject().Field("app.kubernetes.io/managed-by", "argocd").EndObject().EndObject();
  j.Key("data").BeginObject().Field(name.starts_with("prometheus") ? "rules.yaml" : "config.yaml", data);
  j.EndObject().EndObject();
  return out;
}

std::string G::BindingBody(std::string_view kind, std::string_view name, std::string_view role,
                           std::vector<std::array<std::string_view, 3>> subjects) {
  std::string out;
  JsonWriter j(out);
  j.BeginObject().Field("kind", kind).Field("apiVersion", "rbac.authorization.k8s.io/v1");
  j.Key("metadata").BeginObject().Field("name", name).Key("creationTimestamp").Raw("null").EndObject();
  j.Key("subjects").BeginArray();
  for (const auto& s : subjects) {
    j.BeginObject().Field("kind", s[0]);
    if (s[0] != "ServiceAccount") j.Field("apiGroup", s[2]);
    j.Field("name", s[1]);
    if (s[0] == "ServiceAccount") j.Field("namespace", s[2]);
    j.EndObject();
  }
  j.EndArray();
  j.Key("roleRef").BeginObject().Field("apiGroup", "rbac.authorization.k8s.io");
  j.Field("kind", "ClusterRole").Field("name", role).EndObject().EndObject();
  return out;
}

void G::PodSecurity(Request& r, const Workload& w) {
  const bool system = w.ns == "kube-system" || w.kind == WorkloadKind::kDaemonSet;
  r.extra_annotations += system ? R"(,"pod-security.kubernetes.io/enforce-policy":"privileged:latest")"
                                : R"(,"pod-security.kubernetes.io/enforce-policy":"baseline:latest")";
}

// ---------------------------------------------------------------------------------------------
// Attacks: a fixed set of principals against a fixed set of targets.

void G::Attack(Request& r) {
  r.attack = true;
  const Identity& mallory = attacker_ids[0];
  const Identity& jenkins = attacker_ids[1];
  const Identity& anonymous = attacker_ids[2];
  const std::string admin_reason = RbacReason("ClusterRoleBinding", "contractors-admin",
                                              "ClusterRole", "cluster-admin", "User",
                                              mallory.username);
  r.user = &mallory;
  r.reason = admin_reason;
  r.reason_set = true;
  r.latency_us = rng.Between(4'000, 30'000);
  switch (rng.Below(9)) {
    case 0: {  // a privileged, host-namespaced pod
      Obj(r, "pods", "default", "debug-shell");
      r.uri = "/api/v1/namespaces/default/pods?fieldManager=kubectl-run";
      r.verb = "create";
      r.code = 201;
      r.level = "Request";
      Workload w;
      w.kind = WorkloadKind::kStatefulSet;  // named pod, no owner
      w.ns = "default";
      w.name = "debug-shell";
      w.service_account = "default";
      w.host_network = true;
      w.host_pid = true;
      Container c;
      c.name = "debug-shell";
      c.image = "docker.io/library/ubuntu:22.04";
      c.privileged = true;
      w.containers = {c};
      std::string body;
      JsonWriter j(body);
      j.BeginObject().Field("kind", "Pod").Field("apiVersion", "v1").Key("metadata").BeginObject();
      j.Field("name", "debug-shell").Field("namespace", "default").Key("creationTimestamp").Raw("null");
      j.Key("labels").BeginObject().Field("run", "debug-shell").EndObject().EndObject();
      PodSpec(j, w, nullptr);
      j.Key("status").BeginObject().EndObject().EndObject();
      r.request_object = std::move(body);
      r.extra_annotations = R"(,"pod-security.kubernetes.io/enforce-policy":"privileged:latest")";
      break;
    }
    case 1: {  // a Deployment mounting the host's root and the Docker socket, by a stolen CI token
      r.user = &jenkins;
      r.reason = RbacReason("RoleBinding", "jenkins-deployer/ci", "ClusterRole", "edit",
                            "ServiceAccount", "jenkins/ci");
      Workload w;
      w.kind = WorkloadKind::kDeployment;
      w.ns = "ci";
      w.name = "node-agent";
      w.service_account = "jenkins";
      w.replicas = 1;
      Container c;
      c.name = "agent";
      c.image = "ghcr.io/node-agent-tools/agent:latest";
      c.mounts = {{"host-root", "/host"}, {"docker-sock", "/var/run/docker.sock"}};
      c.privileged = true;
      w.containers = {c};
      w.host_paths = {{"host-root", "/"}, {"docker-sock", "/var/run/docker.sock"}};
      Obj(r, "deployments", "ci", "", "apps");
      r.name = "node-agent";
      r.verb = "create";
      r.code = 201;
      r.level = "Request";
      r.request_object = WorkloadBody(w, "", "kubectl");
      // The ReplicaSet controller then creates its pod.
      auto pod = std::make_shared<Request>();
      pod->attack = true;
      pod->user = &Controller("replicaset-controller");
      pod->cls = UserClass::kServiceAccount;
      Obj(*pod, "pods", "ci", "");
      pod->verb = "create";
      pod->code = 201;
      pod->level = "Request";
      w.template_hash = "7f9c6d8b5d";
      w.uid = "3f2b8c1e-6a0d-4e57-9c1a-2d4f6b8e0a13";
      Pod p;
      p.name = "node-agent-7f9c6d8b5d-x2k9q";
      pod->request_object = PodBody(w, p, true);
      pod->extra_annotations = R"(,"pod-security.kubernetes.io/enforce-policy":"privileged:latest")";
      pod->latency_us = rng.Between(8'000, 30'000);
      FollowUp(pod, 2 + rng.Below(20));
      break;
    }
    case 2: {  // exec into a kube-system pod
      const bool coredns = rng.Chance(500'000);
      const Workload& w = cluster.workloads[cluster.WorkloadIndex("kube-system", coredns ? "coredns" : "aws-node")];
      Obj(r, "pods", "kube-system", cluster.pods[static_cast<std::size_t>(w.pods[0])].name, "", "v1", "exec");
      r.verb = "create";
      r.uri += "?command=sh&command=-c&command=cat+%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken"
               "&container=" + w.containers[0].name + "&stdin=true&stdout=true&tty=true";
      r.long_running = true;
      r.started_code = 101;
      r.code = 101;
      r.duration_us = rng.Between(3'000'000, 90'000'000);
      break;
    }
    case 3:  // cluster-admin for the default service account
      Obj(r, "clusterrolebindings", "", "", "rbac.authorization.k8s.io");
      r.name = "default-sa-admin";
      r.verb = "create";
      r.code = 201;
      r.level = "RequestResponse";
      r.request_object = BindingBody("ClusterRoleBinding", "default-sa-admin", "cluster-admin",
                                     {{"ServiceAccount", "default", "default"}});
      r.response_object = r.request_object;
      break;
    case 4:  // cluster-admin for anonymous
      Obj(r, "clusterrolebindings", "", "", "rbac.authorization.k8s.io");
      r.name = "anonymous-access";
      r.verb = "create";
      r.code = 201;
      r.level = "RequestResponse";
      r.request_object = BindingBody("ClusterRoleBinding", "anonymous-access", "cluster-admin",
                                     {{"User", "system:anonymous", "rbac.authorization.k8s.io"}});
      r.response_object = r.request_object;
      break;
    case 5: {  // anonymous requests that succeed (because of the binding above)
      r.user = &anonymous;
      r.reason = RbacReason("ClusterRoleBinding", "anonymous-access", "ClusterRole",
                            "cluster-admin", "User", "system:anonymous");
      const bool secrets = rng.Chance(500'000);
      Obj(r, secrets ? "secrets" : "pods", "kube-system", "");
      r.verb = "list";
      break;
    }
    case 6: {  // expose the dashboard outside the cluster
      const bool lb = rng.Chance(500'000);
      Obj(r, "services", "kubernetes-dashboard", "");
      r.name = lb ? "kubernetes-dashboard-lb" : "kubernetes-dashboard-np";
      r.verb = "create";
      r.code = 201;
      r.level = "Request";
      std::string body;
      JsonWriter j(body);
      j.BeginObject().Field("kind", "Service").Field("apiVersion", "v1").Key("metadata").BeginObject();
      j.Field("name", r.name).Field("namespace", "kubernetes-dashboard").Key("creationTimestamp").Raw("null");
      j.EndObject().Key("spec").BeginObject().Key("ports").BeginArray().BeginObject();
      j.Field("protocol", "TCP").Field("port", 443).Field("targetPort", 8443);
      if (!lb) j.Field("nodePort", 30443);
      j.EndObject().EndArray().Key("selector").BeginObject();
      j.Field("k8s-app", "kubernetes-dashboard").EndObject();
      j.Field("type", lb ? "LoadBalancer" : "NodePort").EndObject();
      j.Key("status").BeginObject().Key("loadBalancer").BeginObject().EndObject().EndObject();
      j.EndObject();
      r.request_object = std::move(body);
      break;
    }
    case 7: {  // read secrets from outside
      static constexpr std::string_view kTargets[][2] = {{"argocd", "argocd-secret"},
                                                         {"payments", "stripe-api"},
                                                         {"kube-system", "aws-node-token"}};
      if (rng.Chance(250'000)) {
        Obj(r, "secrets", "", "");
        r.verb = "list";
        r.uri += "?limit=500";
      } else {
        const auto& t = kTargets[rng.Below(3)];
        Obj(r, "secrets", std::string(t[0]), std::string(t[1]));
        r.verb = "get";
      }
      break;
    }
    default: {  // AWS keys in a ConfigMap, by the stolen CI token
      r.user = &jenkins;
      r.reason = RbacReason("RoleBinding", "jenkins-deployer/ci", "ClusterRole", "edit",
                            "ServiceAccount", "jenkins/ci");
      Obj(r, "configmaps", "ci", "");
      r.name = "deploy-env";
      r.verb = "create";
      r.code = 201;
      r.level = "Request";
      r.request_object =
          R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"deploy-env","namespace":"ci","creationTimestamp":null},)"
          R"("data":{"credentials":"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = us-west-2\n"}})";
    }
  }
  r.cls = r.user->cls;
}

// ---------------------------------------------------------------------------------------------
// Writing

TrafficGenerator::Impl::Impl(const TrafficOptions& o)
    : opts(o),
      rng(Mix64(o.seed ^ 0x74726166666963ULL)),  // "traffic"
      cluster(Cluster::Build(o.seed)),
      audit_key(Mix64(o.seed + 0x6175646974ULL)) {
  Rng idr(Mix64(o.seed ^ 0x6964656e74ULL));  // identities: "ident"
  const std::string kube = std::string(kKubeVersion) + " (linux/amd64) kubernetes/" + std::string(kKubeCommit);

  pods_by_node.resize(cluster.nodes.size());
  for (int i = 0; i < static_cast<int>(cluster.pods.size()); ++i) {
    pods_by_node[static_cast<std::size_t>(cluster.pods[static_cast<std::size_t>(i)].node)].push_back(i);
  }

  for (const auto& n : cluster.nodes) {
    Identity id;
    id.username = "system:node:" + n.name;
    JsonWriter j(id.user_json);
    j.BeginObject().Field("username", id.username);
    j.StringArray("groups", {"system:nodes", "system:authenticated"}).EndObject();
    id.user_agent = "kubelet/" + kube;
    id.source_ip = n.ip;
    id.cls = UserClass::kNode;
    node_ids.push_back(std::move(id));
  }

  std::vector<std::string> sa_uids;
  for (std::size_t i = 0; i < cluster.workloads.size(); ++i) sa_uids.push_back(RandomUuid(idr));
  for (const auto& p : cluster.pods) {
    const Workload& w = cluster.workloads[static_cast<std::size_t>(p.workload)];
    Identity id;
    id.username = "system:serviceaccount:" + w.ns + ":" + w.service_account;
    id.user_json = ServiceAccountUserJson(
        w.ns, w.service_account, sa_uids[static_cast<std::size_t>(p.workload)],
        // Kubernetes 1.29 binds tokens to the pod; node-name/node-uid/credential-id come in 1.30.
        {{"authentication.kubernetes.io/pod-name", p.name},
         {"authentication.kubernetes.io/pod-uid", p.uid}});
    id.user_agent = WorkloadUserAgent(w.name);
    id.source_ip = p.ip;
    id.authz_reason = RbacReason("ClusterRoleBinding", w.service_account, "ClusterRole",
                                 w.service_account, "ServiceAccount",
                                 w.service_account + "/" + w.ns);
    id.cls = UserClass::kServiceAccount;
    pod_ids.push_back(std::move(id));
  }

  for (std::string_view ctrl :
       {"replicaset-controller", "daemon-set-controller", "job-controller", "cronjob-controller",
        "deployment-controller", "statefulset-controller", "endpointslice-controller",
        "endpoint-controller", "generic-garbage-collector", "pod-garbage-collector",
        "horizontal-pod-autoscaler"}) {
    Identity id;
    id.username = "system:serviceaccount:kube-system:" + std::string(ctrl);
    id.user_json = ServiceAccountUserJson("kube-system", ctrl, RandomUuid(idr), {});
    id.user_agent = "kube-controller-manager/" + kube + "/" + id.username;
    id.source_ip = cluster.control_plane_ips[0];
    id.authz_reason = RbacReason("ClusterRoleBinding", "system:controller:" + std::string(ctrl),
                                 "ClusterRole", "system:controller:" + std::string(ctrl),
                                 "ServiceAccount", std::string(ctrl) + "/kube-system");
    id.cls = UserClass::kServiceAccount;
    controller_ids.push_back(std::move(id));
  }

  auto component = [&](std::string_view username, std::string user_agent, std::string ip,
                       std::vector<std::string_view> groups, bool uid) {
    Identity id;
    id.username = std::string(username);
    JsonWriter j(id.user_json);
    j.BeginObject().Field("username", username);
    if (uid) j.Field("uid", RandomUuid(idr));
    j.Key("groups").BeginArray();
    for (auto g : groups) j.String(g);
    j.EndArray().EndObject();
    id.user_agent = std::move(user_agent);
    id.source_ip = std::move(ip);
    id.authz_reason =
        RbacReason("ClusterRoleBinding", username, "ClusterRole", username, "User", username);
    id.cls = UserClass::kComponent;
    component_ids.push_back(std::move(id));
  };
  for (int i = 0; i < 3; ++i) {
    const std::string& ip = cluster.control_plane_ips[static_cast<std::size_t>(i)];
    component("system:kube-scheduler", "kube-scheduler/" + kube + "/leader-election", ip,
              {"system:authenticated"}, false);
    component("system:kube-controller-manager", "kube-controller-manager/" + kube + "/leader-election",
              ip, {"system:authenticated"}, false);
    component("eks:cloud-controller-manager", "aws-cloud-controller-manager/v1.30.1 (linux/amd64) kubernetes/$Format", ip,
              {"system:authenticated"}, false);
    component("system:apiserver", "kube-apiserver/" + kube, "::1", {"system:masters"}, true);
  }
  component("eks:k8s-metrics", "eks-k8s-metrics/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[1], {"system:authenticated"}, false);
  component("eks:certificate-controller", "eks-certificates-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[1], {"system:authenticated"}, false);
  component("eks:node-manager", "eks-node-manager/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[2], {"system:authenticated"}, false);
  component("eks:addon-manager", "Go-http-client/1.1", "35.163.244.48", {"system:authenticated"}, false);
  component("eks:pod-identity-mutating-webhook", "eks-pod-identity-webhook/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[0], {"system:authenticated"}, false);
  for (std::string_view lb : {"10.0.5.41", "10.0.37.200"}) {
    component("system:anonymous", "ELB-HealthChecker/2.0", std::string(lb), {"system:unauthenticated"}, false);
  }

  // Humans: the cluster creator (EKS maps it to kubernetes-admin), two developers mapped through
  // aws-auth, and the CI pipeline through an EKS access entry (username = the role session ARN).
  auto human = [&](std::string username, std::string_view role, std::string_view session,
                   std::vector<std::string_view> groups, std::string ua, std::string ip,
                   std::string reason) {
    Identity id;
    id.username = username;
    id.user_json = IamUserJson(idr, username, role, session, std::move(groups));
    id.user_agent = std::move(ua);
    id.source_ip = std::move(ip);
    id.authz_reason = std::move(reason);
    id.cls = UserClass::kHuman;
    human_ids.push_back(std::move(id));
  };
  human("kubernetes-admin", "EKSClusterAdmin", "jane.doe", {"system:masters", "system:authenticated"},
        "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350", "198.51.100.23",
        RbacReason("ClusterRoleBinding", "cluster-admin", "ClusterRole", "cluster-admin", "Group",
                   "system:masters"));
  human("alice", "Developer", "alice", {"developers", "system:authenticated"},
        "k9s/v0.32.5 (darwin/arm64) kubernetes/$Format", "198.51.100.41",
        RbacReason("RoleBinding", "developers/payments", "ClusterRole", "edit", "Group", "developers"));
  human("bob", "Developer", "bob", {"developers", "system:authenticated"},
        "kubectl/v1.29.6 (linux/amd64) kubernetes/062798d", "10.99.14.7",
        RbacReason("RoleBinding", "developers/checkout", "ClusterRole", "edit", "Group", "developers"));
  {
    const std::string arn = "arn:aws:sts::" + std::string(kAccountId) + ":assumed-role/github-actions-deploy/GitHubActions";
    human(arn, "github-actions-deploy", "GitHubActions", {"system:authenticated"},
          "kubectl/v1.30.5 (linux/amd64) kubernetes/74e84a9", "192.0.2.144",
          "EKS Access Policy: allowed by ClusterRoleBinding \"" + arn +
              "+arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy\" of ClusterRole \"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy\" to User \"" +
              arn + "\"");
  }
  for (std::string_view who : {"alice@example.com", "bob@example.com", "carol@example.com", "dmitri@example.com"}) {
    std::string json;
    JsonWriter j(json);
    j.BeginObject().Field("username", who).StringArray("groups", {"developers", "system:authenticated"}).EndObject();
    impersonation_targets.push_back(std::move(json));
    impersonation_names.emplace_back(who);
  }

  // Attackers: a contractor's assumed role used from outside, a stolen CI service-account token,
  // and anonymous.
  {
    Identity id;
    id.username = "arn:aws:sts::" + std::string(kAccountId) + ":assumed-role/ContractorAccess/mallory";
    id.user_json = IamUserJson(idr, id.username, "ContractorAccess", "mallory", {"system:authenticated"});
    id.user_agent = "kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc";
    id.source_ip = "203.0.113.66";
    id.cls = UserClass::kHuman;
    attacker_ids.push_back(std::move(id));
  }
  {
    const Pod& p = cluster.pods[static_cast<std::size_t>(cluster.workloads[static_cast<std::size_t>(cluster.WorkloadIndex("ci", "jenkins"))].pods[0])];
    Identity id = pod_ids[static_cast<std::size_t>(&p - cluster.pods.data())];
    id.user_agent = "kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc";
    attacker_ids.push_back(std::move(id));
  }
  {
    Identity id;
    id.username = "system:anonymous";
    JsonWriter j(id.user_json);
    j.BeginObject().Field("username", "system:anonymous").StringArray("groups", {"system:unauthenticated"}).EndObject();
    id.user_agent = "python-requests/2.31.0";
    id.source_ip = "203.0.113.45";
    id.cls = UserClass::kComponent;
    attacker_ids.push_back(std::move(id));
  }

  WarmStartWatches();
}

std::int64_t TrafficGenerator::Impl::Now() const {
  // Monotonic: the base advances by 1/rate per event and the jitter stays within one step.
  const std::int64_t step = 1'000'000 / static_cast<std::int64_t>(opts.rate);
  const std::int64_t base = opts.start_unix_us +
                            static_cast<std::int64_t>(index * 1'000'000 / opts.rate);
  const std::int64_t jitter = step > 1 ? static_cast<std::int64_t>(Mix64(audit_key ^ index) % static_cast<std::uint64_t>(step)) : 0;
  return base + jitter;
}

// Watches live 5-10 minutes, longer than a whole 300 MB file at the default rate. So that their
// ResponseComplete events appear from the first line on, as in a log cut from a running
// cluster, the generator starts with the watches a running cluster would have open.
void TrafficGenerator::Impl::WarmStartWatches() {
  std::vector<std::uint32_t> weights;
  std::vector<const Template*> watches;
  std::uint64_t total_weight = 0;
  std::uint64_t watch_weight = 0;
  for (const auto& t : Templates()) {
    total_weight += t.weight;
    if (t.verb == "watch") {
      weights.push_back(t.weight);
      watches.push_back(&t);
      watch_weight += t.weight;
    }
  }
  // Open watches = start rate x mean remaining life (~450 s).
  const std::uint64_t open = watch_weight * opts.rate * 450 / total_weight;
  for (std::uint64_t i = 0; i < open; ++i) {
    auto r = std::make_shared<Request>();
    watches[rng.Weighted(weights)]->fn(*this, *r);
    if (!r->long_running) continue;
    r->cls = r->user->cls;
    const std::int64_t remaining = rng.Between(0, r->duration_us);
    r->audit_id = UuidFrom(Mix64(audit_key ^ (~requests)), Mix64(audit_key + requests));
    ++requests;
    r->received_us = opts.start_unix_us + remaining - r->duration_us;
    const auto due = static_cast<std::uint64_t>(remaining) * opts.rate / 1'000'000;
    pending.push(Pending{due, seq++, Stage::kResponseComplete, std::move(r)});
  }
}

void TrafficGenerator::Impl::FollowUp(std::shared_ptr<Request> r, std::uint64_t delay_events) {
  r->audit_id.clear();  // a new request: it gets its own auditID when written
  pending.push(Pending{index + delay_events, seq++, Stage::kRequestReceived, std::move(r)});
}

void TrafficGenerator::Impl::Next(std::string& out, EventInfo& info) {
  const std::int64_t now = Now();
  if (!pending.empty() && pending.top().due <= index) {
    Pending p = pending.top();
    pending.pop();
    if (p.request->audit_id.empty()) {
      Begin(std::move(p.request), now, out, info);  // a follow-up request starting now
    } else {
      Write(*p.request, p.stage, now, out, info);
    }
  } else {
    auto r = std::make_shared<Request>();
    if (rng.Chance(opts.attack_ppm)) {
      Attack(*r);
    } else {
      static const std::vector<std::uint32_t> weights = [] {
        std::vector<std::uint32_t> w;
        for (const auto& t : kTemplates) w.push_back(t.weight);
        return w;
      }();
      kTemplates[rng.Weighted(weights)].fn(*this, *r);
      r->cls = r->user->cls;
    }
    Begin(std::move(r), now, out, info);
  }
  ++index;
}

void TrafficGenerator::Impl::Begin(std::shared_ptr<Request> r, std::int64_t now_us,
                                   std::string& out, EventInfo& info) {
  r->audit_id = UuidFrom(Mix64(audit_key ^ (~requests)), Mix64(audit_key + requests));
  ++requests;
  if (r->long_running) {
    r->received_us = now_us - rng.Between(500, 5'000);
    Write(*r, Stage::kResponseStarted, now_us, out, info);
    const auto due = index + 1 + static_cast<std::uint64_t>(r->duration_us) * opts.rate / 1'000'000;
    pending.push(Pending{due, seq++, Stage::kResponseComplete, std::move(r)});
  } else if (rng.Chance(20'000)) {
    // Some policies also log RequestReceived; the response follows within a few events.
    r->received_us = now_us;
    Write(*r, Stage::kRequestReceived, now_us, out, info);
    pending.push(Pending{index + 1 + rng.Below(4), seq++, Stage::kResponseComplete, std::move(r)});
  } else {
    r->received_us = now_us - r->latency_us;
    Write(*r, Stage::kResponseComplete, now_us, out, info);
  }
}

void TrafficGenerator::Impl::Write(const Request& r, Stage stage, std::int64_t stage_us,
                                   std::string& out, EventInfo& info) {
  const Identity& u = *r.user;
  const bool complete = stage == Stage::kResponseComplete;
  const bool received = stage == Stage::kRequestReceived;
  JsonWriter j(out);
  j.BeginObject().Field("kind", "Event").Field("apiVersion", "audit.k8s.io/v1");
  j.Field("level", r.level).Field("auditID", r.audit_id).Field("stage", StageName(stage));
  j.Field("requestURI", r.uri).Field("verb", r.verb);
  j.Key("user").Raw(u.user_json);
  if (!r.impersonated_json.empty()) j.Key("impersonatedUser").Raw(r.impersonated_json);
  j.Key("sourceIPs").BeginArray().String(u.source_ip).EndArray();
  if (!u.user_agent.empty()) j.Field("userAgent", u.user_agent);
  if (r.has_object) {
    j.Key("objectRef").BeginObject().Field("resource", r.resource);
    if (!r.ns.empty()) j.Field("namespace", r.ns);
    if (!r.name.empty()) j.Field("name", r.name);
    if (!r.api_group.empty()) j.Field("apiGroup", r.api_group);
    j.Field("apiVersion", r.api_version);
    if (!r.subresource.empty()) j.Field("subresource", r.subresource);
    j.EndObject();
  }
  if (!received) {
    j.Key("responseStatus");
    if (complete && !r.status_json.empty()) {
      j.Raw(r.status_json);
    } else {
      j.BeginObject().Key("metadata").BeginObject().EndObject();
      j.Field("code", complete ? r.code : r.started_code).EndObject();
    }
  }
  const bool body = !received && r.level != "Metadata" && !r.request_object.empty();
  if (body) j.Key("requestObject").Raw(r.request_object);
  const bool response_body = complete && r.level == "RequestResponse" && !r.response_object.empty();
  if (response_body) j.Key("responseObject").Raw(r.response_object);
  out += ",\"requestReceivedTimestamp\":\"";
  AppendRfc3339Micros(out, r.received_us);
  out += "\",\"stageTimestamp\":\"";
  AppendRfc3339Micros(out, stage_us);
  out += '"';
  if (!received) {
    j.Key("annotations").BeginObject().Field("authorization.k8s.io/decision", r.decision);
    j.Field("authorization.k8s.io/reason", r.reason_set ? r.reason : u.authz_reason);
    out += r.extra_annotations;
    j.EndObject();
  }
  j.EndObject();

  info.verb = r.verb;
  info.stage = StageName(stage);
  info.user_class = r.cls;
  info.attack = r.attack;
  info.has_body = body || response_body;
  info.impersonated = !r.impersonated_json.empty();
  info.stage_unix_us = stage_us;
}

TrafficGenerator::TrafficGenerator(const TrafficOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
TrafficGenerator::~TrafficGenerator() = default;
void TrafficGenerator::Next(std::string& out, EventInfo& info) { impl_->Next(out, info); }

}  // namespace vigil::bench
