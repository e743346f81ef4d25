// Benign requests, one function per kind of caller and request, and the weights that give
// the mix of performance-anchors.md §0. Each function fills a Request; traffic.cc writes it.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gen/traffic_impl.h"

namespace vigil::bench {

namespace {

using G = TrafficGenerator::Impl;

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
  std::string cm =
      w.config_maps.empty() || g.rng.Chance(500'000) ? "kube-root-ca.crt" : w.config_maps[0];
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
  r.uri +=
      "?fieldSelector=spec.nodeName%3D" + g.cluster.nodes[n].name + "&limit=500&resourceVersion=0";
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
  r.uri +=
      "?fieldSelector=metadata.name%3D" + g.cluster.nodes[n].name + "&limit=500&resourceVersion=0";
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
      {"payments", "payments-api"}, {"payments", "payments-worker"},
      {"checkout", "checkout-web"}, {"checkout", "cart"},
      {"catalog", "catalog-api"},   {"auth", "auth-svc"},
      {"argocd", "argocd-server"},  {"kube-system", "coredns"},
      {"monitoring", "grafana"},    {"ingress-nginx", "ingress-nginx-controller"}};
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
  static constexpr S kStatus[] = {
      {"replicaset-controller", "replicasets", "apps", false},
      {"deployment-controller", "deployments", "apps", false},
      {"daemon-set-controller", "daemonsets", "apps", false},
      {"statefulset-controller", "statefulsets", "apps", true},
      {"job-controller", "jobs", "batch", false},
      {"horizontal-pod-autoscaler", "horizontalpodautoscalers", "autoscaling", false}};
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
  r.user =
      &g.Controller(g.rng.Chance(300'000) ? "endpoint-controller" : "endpointslice-controller");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  if (r.user->username.ends_with(":endpoint-controller")) {
    G::Obj(r, "endpoints", w.ns, w.name);
  } else {
    G::Obj(r, "endpointslices", w.ns, w.name + "-" + w.template_hash.substr(0, 5),
           "discovery.k8s.io");
  }
  r.verb = "update";
  if (g.rng.Chance(15'000)) g.Conflict(r);
}
void GarbageCollectorDelete(G& g, Request& r) {
  r.user =
      &g.Controller(g.rng.Chance(200'000) ? "pod-garbage-collector" : "generic-garbage-collector");
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
  r.request_object =
      R"({"kind":"DeleteOptions","apiVersion":"batch/v1","propagationPolicy":"Background"})";
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
    g.Watch(r, "",
            "%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2Fservice-proxy-name");
  } else {
    G::Obj(r, "services", "", "");
    g.Watch(r, "",
            "%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2Fservice-proxy-name");
  }
}
void MonitoringWatch(G& g, Request& r) {
  static constexpr std::string_view kWho[][2] = {{"monitoring", "prometheus-k8s"},
                                                 {"monitoring", "kube-state-metrics"},
                                                 {"monitoring", "prometheus-operator"}};
  const auto& who = kWho[g.rng.Below(3)];
  r.user = &g.PodIdentity(who[0], who[1]);
  static constexpr std::string_view kRes[][2] = {{"pods", ""},
                                                 {"services", ""},
                                                 {"endpoints", ""},
                                                 {"nodes", ""},
                                                 {"deployments", "apps"},
                                                 {"statefulsets", "apps"},
                                                 {"replicasets", "apps"},
                                                 {"jobs", "batch"},
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
  static constexpr std::string_view kRes[][2] = {{"pods", ""},
                                                 {"services", ""},
                                                 {"endpoints", ""},
                                                 {"nodes", ""},
                                                 {"configmaps", ""},
                                                 {"deployments", "apps"},
                                                 {"daemonsets", "apps"},
                                                 {"cronjobs", "batch"},
                                                 {"leases", "coordination.k8s.io"},
                                                 {"ingresses", "networking.k8s.io"}};
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
  r.user = &g.PodIdentity(
      "argocd", g.rng.Chance(800'000) ? "argocd-application-controller" : "argocd-server");
  const Namespace& ns = g.AppNamespace();
  const Workload& w = g.cluster.workloads[ns.workloads[g.rng.Below(ns.workloads.size())]];
  switch (g.rng.Below(4)) {
    case 0:
      G::Obj(r, "services", w.ns, w.name);
      break;
    case 1:
      G::Obj(r, "configmaps", w.ns, w.name + "-config");
      break;
    case 2:
      G::Obj(r, "serviceaccounts", w.ns, w.service_account);
      break;
    default:
      G::Obj(r, w.ApiGroupResource(), w.ns, w.name,
             w.kind == WorkloadKind::kCronJob ? "batch" : "apps");
      break;
  }
  r.verb = "get";
  if (g.rng.Chance(10'000)) g.NotFound(r);
}
void ArgoList(G& g, Request& r) {
  r.user = &g.PodIdentity("argocd", "argocd-application-controller");
  static constexpr std::string_view kRes[][2] = {{"pods", ""},
                                                 {"services", ""},
                                                 {"configmaps", ""},
                                                 {"deployments", "apps"},
                                                 {"replicasets", "apps"},
                                                 {"ingresses", "networking.k8s.io"},
                                                 {"applications", "argoproj.io"}};
  const auto& res = kRes[g.rng.Below(std::size(kRes))];
  G::Obj(r, res[0], res[1] == "argoproj.io" ? "argocd" : "", "", res[1],
         res[1] == "argoproj.io" ? "v1alpha1" : "v1");
  g.List(r, false);
}
void ArgoWatch(G& g, Request& r) {
  r.user = &g.PodIdentity("argocd", "argocd-application-controller");
  static constexpr std::string_view kRes[][2] = {
      {"pods", ""},       {"services", ""},
      {"configmaps", ""}, {"deployments", "apps"},
      {"secrets", ""},    {"applications", "argoproj.io"}};
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
      r.request_object = R"({"metadata":{"annotations":{"argocd.argoproj.io/tracking-id":")" +
                         w.ns + ":apps/Deployment:" + w.ns + "/" + w.name + R"("}}})";
      break;
    case 2:
      G::Obj(r, "configmaps", w.ns, w.name + "-config");
      r.request_object =
          g.ConfigMapBody(w.ns, w.name + "-config", static_cast<int>(g.rng.Between(200, 900)));
      break;
    default:
      G::Obj(r, "services", w.ns, w.name);
      r.request_object =
          R"({"metadata":{"labels":{"app.kubernetes.io/instance":")" + w.ns +
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
  static constexpr std::string_view kRes[][2] = {
      {"nodes", ""}, {"pods", ""}, {"nodeclaims", "karpenter.sh"}, {"nodepools", "karpenter.sh"}};
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
  r.request_object = R"({"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":")" +
                     p.name + R"(","namespace":")" + w.ns + R"(","creationTimestamp":null}})";
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
  r.request_object =
      R"({"metadata":{"annotations":{"vpc.amazonaws.com/pod-ips":")" + p.ip + R"("}}})";
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
  static constexpr std::string_view kRes[][2] = {
      {"services", ""}, {"nodes", ""}, {"pods", ""}, {"ingresses", "networking.k8s.io"}};
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
    G::Obj(r, "volumeattachments", "", "csi-" + g.cluster.nodes[g.rng.Below(6)].uid,
           "storage.k8s.io", "v1", "status");
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
  static constexpr std::string_view kWho[][2] = {
      {"system:kube-scheduler", "kube-scheduler"},
      {"system:kube-controller-manager", "kube-controller-manager"},
      {"eks:cloud-controller-manager", "cloud-controller-manager"}};
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
  static constexpr std::string_view kRes[][2] = {{"pods", ""},
                                                 {"nodes", ""},
                                                 {"persistentvolumeclaims", ""},
                                                 {"csinodes", "storage.k8s.io"},
                                                 {"poddisruptionbudgets", "policy"},
                                                 {"storageclasses", "storage.k8s.io"}};
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
      G::Obj(r, "daemonsets", "kube-system", g.rng.Chance(500'000) ? "aws-node" : "kube-proxy",
             "apps");
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
    case 1:
      G::Obj(r, "pods", ns.name, g.cluster.pods[w.pods[0]].name);
      break;
    case 2:
      G::Obj(r, w.ApiGroupResource(), ns.name, w.name,
             w.kind == WorkloadKind::kCronJob ? "batch" : "apps");
      break;
    case 3:
      G::Obj(r, "services", ns.name, w.name);
      break;
    default:
      G::Obj(r, "configmaps", ns.name, w.name + "-config");
  }
  r.verb = "get";
  if (g.rng.Chance(30'000)) g.NotFound(r);
}
void HumanList(G& g, Request& r) {
  r.user = &AnyHuman(g);
  const Namespace& ns = g.AppNamespace();
  static constexpr std::string_view kRes[][2] = {
      {"pods", ""},     {"pods", ""},  {"events", ""},    {"deployments", "apps"},
      {"services", ""}, {"nodes", ""}, {"namespaces", ""}};
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
  G::Obj(r, "pods", ns.name, g.cluster.pods[w.pods[g.rng.Below(w.pods.size())]].name, "", "v1",
         "log");
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
  G::Obj(r, "pods", "auth",
         g.cluster.pods[g.cluster.workloads[g.cluster.WorkloadIndex("auth", "redis")].pods[0]].name,
         "", "v1", "portforward");
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
                         image.substr(0, image.find(':')) + ":2025.06." +
                         std::to_string(g.rng.Below(30)) + R"(","name":")" + w.containers[0].name +
                         R"("}]}}}})";
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
      r.request_object =
          g.ConfigMapBody(ns.name, w.name + "-config", static_cast<int>(g.rng.Between(200, 1'200)));
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

}  // namespace vigil::bench
