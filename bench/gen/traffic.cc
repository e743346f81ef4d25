// Identities, stages and writing: turns the Requests that templates.cc and attacks.cc fill into
// stage events in timestamp order.
#include "gen/traffic.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gen/traffic_impl.h"

namespace vigil::bench {

std::string_view UserClassName(UserClass c) {
  switch (c) {
    case UserClass::kNode:
      return "node";
    case UserClass::kServiceAccount:
      return "serviceaccount";
    case UserClass::kComponent:
      return "component";
    case UserClass::kHuman:
      return "human";
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
  const int n =
      std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                    static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                    static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                    static_cast<long long>(sod % 60), static_cast<long long>(micros));
  out.append(buf, static_cast<std::size_t>(n));
}

namespace {

std::string_view StageName(Stage s) {
  switch (s) {
    case Stage::kRequestReceived:
      return "RequestReceived";
    case Stage::kResponseStarted:
      return "ResponseStarted";
    case Stage::kResponseComplete:
      return "ResponseComplete";
  }
  return "ResponseComplete";
}

std::string UpperAlnum(Rng& rng, int n) { return rng.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n); }

std::string ServiceAccountUserJson(std::string_view ns,
                                   std::string_view sa,
                                   std::string_view uid,
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
std::string IamUserJson(Rng& rng,
                        std::string_view username,
                        std::string_view role,
                        std::string_view session,
                        std::vector<std::string_view> groups) {
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
       "nginx-ingress-controller/v1.11.2 (linux/amd64) "
       "ingress-nginx/46e76e5916813cfca2a9b0bfdc34b69a0000f6b9"},
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

}  // namespace

std::string GoDuration(int secs) {
  std::string s;
  if (secs >= 60) s += std::to_string(secs / 60) + "m";
  s += std::to_string(secs % 60) + "s";
  return s;
}

std::string RbacReason(std::string_view binding_kind,
                       std::string_view binding,
                       std::string_view role_kind,
                       std::string_view role,
                       std::string_view subject_kind,
                       std::string_view subject) {
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

TrafficGenerator::Impl::Impl(const TrafficOptions& o)
    : opts(o),
      rng(Mix64(o.seed ^ 0x74726166666963ULL)),  // "traffic"
      cluster(Cluster::Build(o.seed)),
      audit_key(Mix64(o.seed + 0x6175646974ULL)) {
  Rng idr(Mix64(o.seed ^ 0x6964656e74ULL));  // identities: "ident"
  const std::string kube =
      std::string(kKubeVersion) + " (linux/amd64) kubernetes/" + std::string(kKubeCommit);

  pods_by_node.resize(cluster.nodes.size());
  for (int i = 0; i < static_cast<int>(cluster.pods.size()); ++i) {
    pods_by_node[static_cast<std::size_t>(cluster.pods[static_cast<std::size_t>(i)].node)]
        .push_back(i);
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
    id.authz_reason =
        RbacReason("ClusterRoleBinding", w.service_account, "ClusterRole", w.service_account,
                   "ServiceAccount", w.service_account + "/" + w.ns);
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
    component("system:kube-controller-manager",
              "kube-controller-manager/" + kube + "/leader-election", ip, {"system:authenticated"},
              false);
    component("eks:cloud-controller-manager",
              "aws-cloud-controller-manager/v1.30.1 (linux/amd64) kubernetes/$Format", ip,
              {"system:authenticated"}, false);
    component("system:apiserver", "kube-apiserver/" + kube, "::1", {"system:masters"}, true);
  }
  component("eks:k8s-metrics", "eks-k8s-metrics/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[1], {"system:authenticated"}, false);
  component("eks:certificate-controller",
            "eks-certificates-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[1], {"system:authenticated"}, false);
  component("eks:node-manager", "eks-node-manager/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[2], {"system:authenticated"}, false);
  component("eks:addon-manager", "Go-http-client/1.1", "35.163.244.48", {"system:authenticated"},
            false);
  component("eks:pod-identity-mutating-webhook",
            "eks-pod-identity-webhook/v0.0.0 (linux/amd64) kubernetes/$Format",
            cluster.control_plane_ips[0], {"system:authenticated"}, false);
  for (std::string_view lb : {"10.0.5.41", "10.0.37.200"}) {
    component("system:anonymous", "ELB-HealthChecker/2.0", std::string(lb),
              {"system:unauthenticated"}, false);
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
  human("kubernetes-admin", "EKSClusterAdmin", "jane.doe",
        {"system:masters", "system:authenticated"},
        "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350", "198.51.100.23",
        RbacReason("ClusterRoleBinding", "cluster-admin", "ClusterRole", "cluster-admin", "Group",
                   "system:masters"));
  human("alice", "Developer", "alice", {"developers", "system:authenticated"},
        "k9s/v0.32.5 (darwin/arm64) kubernetes/$Format", "198.51.100.41",
        RbacReason("RoleBinding", "developers/payments", "ClusterRole", "edit", "Group",
                   "developers"));
  human("bob", "Developer", "bob", {"developers", "system:authenticated"},
        "kubectl/v1.29.6 (linux/amd64) kubernetes/062798d", "10.99.14.7",
        RbacReason("RoleBinding", "developers/checkout", "ClusterRole", "edit", "Group",
                   "developers"));
  {
    const std::string arn = "arn:aws:sts::" + std::string(kAccountId) +
                            ":assumed-role/github-actions-deploy/GitHubActions";
    human(arn, "github-actions-deploy", "GitHubActions", {"system:authenticated"},
          "kubectl/v1.30.5 (linux/amd64) kubernetes/74e84a9", "192.0.2.144",
          "EKS Access Policy: allowed by ClusterRoleBinding \"" + arn +
              "+arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy\" of ClusterRole "
              "\"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy\" to User \"" +
              arn + "\"");
  }
  for (std::string_view who :
       {"alice@example.com", "bob@example.com", "carol@example.com", "dmitri@example.com"}) {
    std::string json;
    JsonWriter j(json);
    j.BeginObject()
        .Field("username", who)
        .StringArray("groups", {"developers", "system:authenticated"})
        .EndObject();
    impersonation_targets.push_back(std::move(json));
    impersonation_names.emplace_back(who);
  }

  // Attackers: a contractor's assumed role used from outside, a stolen CI service-account token,
  // and anonymous.
  {
    Identity id;
    id.username =
        "arn:aws:sts::" + std::string(kAccountId) + ":assumed-role/ContractorAccess/mallory";
    id.user_json =
        IamUserJson(idr, id.username, "ContractorAccess", "mallory", {"system:authenticated"});
    id.user_agent = "kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc";
    id.source_ip = "203.0.113.66";
    id.cls = UserClass::kHuman;
    attacker_ids.push_back(std::move(id));
  }
  {
    const Pod& p = cluster.pods[static_cast<std::size_t>(
        cluster.workloads[static_cast<std::size_t>(cluster.WorkloadIndex("ci", "jenkins"))]
            .pods[0])];
    Identity id = pod_ids[static_cast<std::size_t>(&p - cluster.pods.data())];
    id.user_agent = "kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc";
    attacker_ids.push_back(std::move(id));
  }
  {
    Identity id;
    id.username = "system:anonymous";
    JsonWriter j(id.user_json);
    j.BeginObject()
        .Field("username", "system:anonymous")
        .StringArray("groups", {"system:unauthenticated"})
        .EndObject();
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
  const std::int64_t base =
      opts.start_unix_us + static_cast<std::int64_t>(index * 1'000'000 / opts.rate);
  const std::int64_t jitter =
      step > 1
          ? static_cast<std::int64_t>(Mix64(audit_key ^ index) % static_cast<std::uint64_t>(step))
          : 0;
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
      const std::span<const Template> templates = Templates();
      static const std::vector<std::uint32_t> weights = [&] {
        std::vector<std::uint32_t> w;
        for (const auto& t : templates) w.push_back(t.weight);
        return w;
      }();
      templates[rng.Weighted(weights)].fn(*this, *r);
      r->cls = r->user->cls;
    }
    Begin(std::move(r), now, out, info);
  }
  ++index;
}

void TrafficGenerator::Impl::Begin(std::shared_ptr<Request> r,
                                   std::int64_t now_us,
                                   std::string& out,
                                   EventInfo& info) {
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

void TrafficGenerator::Impl::Write(
    const Request& r, Stage stage, std::int64_t stage_us, std::string& out, EventInfo& info) {
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
