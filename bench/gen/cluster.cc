#include "gen/cluster.h"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "gen/random.h"

namespace vigil::bench {
namespace {

constexpr int kNodeCount = 48;

std::string Ecr(std::string_view repo_tag) {
  std::string s(kEcr);
  s += '/';
  s += repo_tag;
  return s;
}

Container Make(std::string name,
               std::string image,
               std::vector<int> ports = {},
               std::string cpu = "100m",
               std::string memory = "128Mi") {
  Container c;
  c.name = std::move(name);
  c.image = std::move(image);
  c.ports = std::move(ports);
  c.cpu = std::move(cpu);
  c.memory = std::move(memory);
  return c;
}

// The workloads of the cluster: system add-ons (mostly EKS's), platform tooling and four
// application namespaces. Images and host settings follow the upstream manifests, so the
// privileged / hostNetwork / hostPath pods here are the benign ones every real cluster has.
std::vector<Workload> Workloads() {
  std::vector<Workload> w;
  auto add = [&](WorkloadKind kind, std::string ns, std::string name, std::string sa, int replicas,
                 std::vector<Container> containers) -> Workload& {
    Workload& x = w.emplace_back();
    x.kind = kind;
    x.ns = std::move(ns);
    x.name = std::move(name);
    x.service_account = std::move(sa);
    x.replicas = replicas;
    x.containers = std::move(containers);
    return x;
  };
  using K = WorkloadKind;

  // kube-system
  {
    auto& x =
        add(K::kDeployment, "kube-system", "coredns", "coredns", 2,
            {Make("coredns", Ecr("eks/coredns:v1.11.3-eksbuild.1"), {53, 9153}, "100m", "70Mi")});
    x.containers[0].mounts = {{"config-volume", "/etc/coredns"}};
    x.config_maps = {"coredns"};
  }
  {
    auto& x = add(K::kDaemonSet, "kube-system", "aws-node", "aws-node", 0,
                  {Make("aws-node", Ecr("amazon-k8s-cni:v1.18.3-eksbuild.2"), {61678}, "25m", "")});
    x.containers[0].env = {
        {"ADDITIONAL_ENI_TAGS", "{}"},         {"AWS_VPC_CNI_NODE_PORT_SUPPORT", "true"},
        {"AWS_VPC_ENI_MTU", "9001"},           {"AWS_VPC_K8S_CNI_LOGLEVEL", "DEBUG"},
        {"ENABLE_PREFIX_DELEGATION", "false"}, {"WARM_ENI_TARGET", "1"}};
    x.containers[0].mounts = {{"cni-bin-dir", "/host/opt/cni/bin"},
                              {"cni-net-dir", "/host/etc/cni/net.d"},
                              {"log-dir", "/host/var/log/aws-routed-eni"},
                              {"run-dir", "/var/run/aws-node"},
                              {"xtables-lock", "/run/xtables.lock"}};
    Container init =
        Make("aws-vpc-cni-init", Ecr("amazon-k8s-cni-init:v1.18.3-eksbuild.2"), {}, "25m", "");
    init.privileged = true;
    init.mounts = {{"cni-bin-dir", "/host/opt/cni/bin"}};
    x.init_containers = {init};
    x.host_network = true;
    x.host_paths = {{"cni-bin-dir", "/opt/cni/bin"},
                    {"cni-net-dir", "/etc/cni/net.d"},
                    {"log-dir", "/var/log/aws-routed-eni"},
                    {"run-dir", "/var/run/aws-node"},
                    {"xtables-lock", "/run/xtables.lock"}};
  }
  {
    auto& x =
        add(K::kDaemonSet, "kube-system", "kube-proxy", "kube-proxy", 0,
            {Make("kube-proxy", Ecr("eks/kube-proxy:v1.29.7-minimal-eksbuild.2"), {}, "100m", "")});
    x.containers[0].privileged = true;
    x.containers[0].mounts = {{"varlog", "/var/log"},
                              {"xtables-lock", "/run/xtables.lock"},
                              {"lib-modules", "/lib/modules"},
                              {"kubeconfig", "/var/lib/kube-proxy/"},
                              {"config", "/var/lib/kube-proxy-config/"}};
    x.host_network = true;
    x.host_paths = {{"varlog", "/var/log"},
                    {"xtables-lock", "/run/xtables.lock"},
                    {"lib-modules", "/lib/modules"}};
    x.config_maps = {"kube-proxy", "kube-proxy-config"};
  }
  {
    auto& x = add(
        K::kDaemonSet, "kube-system", "ebs-csi-node", "ebs-csi-node-sa", 0,
        {Make("ebs-plugin", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.34.0", {9808},
              "10m", "40Mi"),
         Make("node-driver-registrar",
              "public.ecr.aws/eks-distro/kubernetes-csi/node-driver-registrar:v2.11.1-eks-1-30-12",
              {}, "10m", "40Mi"),
         Make("liveness-probe",
              "public.ecr.aws/eks-distro/kubernetes-csi/livenessprobe:v2.13.1-eks-1-30-12", {},
              "10m", "40Mi")});
    x.containers[0].privileged = true;
    x.containers[0].mounts = {
        {"kubelet-dir", "/var/lib/kubelet"}, {"plugin-dir", "/csi"}, {"device-dir", "/dev"}};
    x.host_paths = {{"kubelet-dir", "/var/lib/kubelet"},
                    {"plugin-dir", "/var/lib/kubelet/plugins/ebs.csi.aws.com/"},
                    {"registration-dir", "/var/lib/kubelet/plugins_registry/"},
                    {"device-dir", "/dev"}};
  }
  add(K::kDeployment, "kube-system", "ebs-csi-controller", "ebs-csi-controller-sa", 2,
      {Make("ebs-plugin", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.34.0", {9808}, "10m",
            "40Mi"),
       Make("csi-provisioner",
            "public.ecr.aws/eks-distro/kubernetes-csi/external-provisioner:v5.1.0-eks-1-30-12", {},
            "10m", "40Mi"),
       Make("csi-attacher",
            "public.ecr.aws/eks-distro/kubernetes-csi/external-attacher:v4.6.1-eks-1-30-12", {},
            "10m", "40Mi"),
       Make("csi-resizer",
            "public.ecr.aws/eks-distro/kubernetes-csi/external-resizer:v1.11.2-eks-1-30-12", {},
            "10m", "40Mi")});
  add(K::kDeployment, "kube-system", "metrics-server", "metrics-server", 1,
      {Make("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.2", {10250},
            "100m", "200Mi")});

  // platform
  add(K::kDeployment, "karpenter", "karpenter", "karpenter", 2,
      {Make("controller", "public.ecr.aws/karpenter/controller:1.0.6", {8080, 8081}, "1", "1Gi")});
  {
    auto& x = add(K::kDaemonSet, "monitoring", "node-exporter", "node-exporter", 0,
                  {Make("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", {9100}, "102m",
                        "180Mi")});
    x.host_network = true;
    x.host_pid = true;
    x.containers[0].mounts = {{"sys", "/host/sys"}, {"root", "/host/root"}};
    x.host_paths = {{"sys", "/sys"}, {"root", "/"}};
  }
  {
    auto& x = add(
        K::kStatefulSet, "monitoring", "prometheus-k8s", "prometheus-k8s", 2,
        {Make("prometheus", "quay.io/prometheus/prometheus:v2.54.1", {9090}, "200m", "2Gi"),
         Make("config-reloader", "quay.io/prometheus-operator/prometheus-config-reloader:v0.76.2",
              {8080}, "10m", "50Mi")});
    x.config_maps = {"prometheus-k8s-rulefiles-0"};
  }
  add(K::kDeployment, "monitoring", "prometheus-operator", "prometheus-operator", 1,
      {Make("prometheus-operator", "quay.io/prometheus-operator/prometheus-operator:v0.76.2",
            {8080}, "100m", "100Mi")});
  add(K::kDeployment, "monitoring", "kube-state-metrics", "kube-state-metrics", 1,
      {Make("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
            {8080, 8081}, "10m", "190Mi")});
  add(K::kDeployment, "monitoring", "grafana", "grafana", 1,
      {Make("grafana", "docker.io/grafana/grafana:11.2.0", {3000}, "100m", "256Mi")});
  {
    auto& x = add(K::kDaemonSet, "logging", "fluent-bit", "fluent-bit", 0,
                  {Make("fluent-bit", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2",
                        {2020}, "50m", "100Mi")});
    x.containers[0].mounts = {{"varlog", "/var/log"}, {"fluent-bit-config", "/fluent-bit/etc/"}};
    x.host_paths = {{"varlog", "/var/log"}};
    x.config_maps = {"fluent-bit-config"};
  }
  add(K::kDeployment, "ingress-nginx", "ingress-nginx-controller", "ingress-nginx", 3,
      {Make("controller", "registry.k8s.io/ingress-nginx/controller:v1.11.2", {80, 443, 8443},
            "100m", "90Mi")});
  add(K::kDeployment, "cert-manager", "cert-manager", "cert-manager", 1,
      {Make("cert-manager-controller", "quay.io/jetstack/cert-manager-controller:v1.15.3",
            {9402, 9403})});
  add(K::kDeployment, "cert-manager", "cert-manager-webhook", "cert-manager-webhook", 1,
      {Make("cert-manager-webhook", "quay.io/jetstack/cert-manager-webhook:v1.15.3",
            {10250, 6080})});
  add(K::kStatefulSet, "argocd", "argocd-application-controller", "argocd-application-controller",
      1,
      {Make("argocd-application-controller", "quay.io/argoproj/argocd:v2.12.4", {8082}, "250m",
            "1Gi")});
  add(K::kDeployment, "argocd", "argocd-server", "argocd-server", 2,
      {Make("argocd-server", "quay.io/argoproj/argocd:v2.12.4", {8080, 8083})});
  add(K::kDeployment, "argocd", "argocd-repo-server", "argocd-repo-server", 2,
      {Make("argocd-repo-server", "quay.io/argoproj/argocd:v2.12.4", {8081, 8084})});
  add(K::kStatefulSet, "teleport", "teleport-kube-agent", "teleport-kube-agent", 1,
      {Make("teleport", "public.ecr.aws/gravitational/teleport-distroless:16.4.2", {3000}, "100m",
            "256Mi")});
  add(K::kDeployment, "external-dns", "external-dns", "external-dns", 1,
      {Make("external-dns", "registry.k8s.io/external-dns/external-dns:v0.15.0", {7979}, "50m",
            "50Mi")});
  add(K::kDeployment, "kubernetes-dashboard", "kubernetes-dashboard", "kubernetes-dashboard", 1,
      {Make("kubernetes-dashboard", "docker.io/kubernetesui/dashboard:v2.7.0", {8443})});
  add(K::kStatefulSet, "ci", "jenkins", "jenkins", 1,
      {Make("jenkins", "docker.io/jenkins/jenkins:2.479.1-lts-jdk17", {8080, 50000}, "500m",
            "2Gi")});

  // applications
  auto app = [&](std::string ns, std::string name, int replicas, std::string tag,
                 std::vector<int> ports, K kind = K::kDeployment) -> Workload& {
    auto& x =
        add(kind, ns, name, name, replicas,
            {Make(name,
                  std::string(kAccountId) + ".dkr.ecr.us-west-2.amazonaws.com/" + name + ":" + tag,
                  std::move(ports), "250m", "512Mi")});
    x.containers[0].env = {
        {"APP_ENV", "production"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.monitoring:4317"}};
    x.config_maps = {name + "-config"};
    x.containers[0].mounts = {{"config", "/etc/" + name}};
    return x;
  };
  app("payments", "payments-api", 4, "2024.10.3-8f3c2d1", {8080, 9090});
  app("payments", "payments-worker", 3, "2024.10.3-8f3c2d1", {9090});
  app("checkout", "checkout-web", 4, "v3.18.0", {8080});
  app("checkout", "cart", 3, "v3.18.0", {8080});
  app("catalog", "catalog-api", 3, "1.42.7", {8080});
  app("catalog", "search-indexer", 1, "1.42.7", {}, K::kCronJob);
  app("auth", "auth-svc", 3, "5.2.1", {8443});
  {
    auto& x =
        add(K::kStatefulSet, "auth", "redis", "redis", 3,
            {Make("redis", "docker.io/bitnami/redis:7.4.1-debian-12-r0", {6379}, "100m", "256Mi")});
    x.config_maps = {"redis-configuration"};
  }
  return w;
}

}  // namespace

std::string_view Workload::KindName() const {
  switch (kind) {
    case WorkloadKind::kDeployment:
      return "Deployment";
    case WorkloadKind::kDaemonSet:
      return "DaemonSet";
    case WorkloadKind::kStatefulSet:
      return "StatefulSet";
    case WorkloadKind::kCronJob:
      return "CronJob";
  }
  return "Deployment";
}

std::string_view Workload::ApiGroupResource() const {
  switch (kind) {
    case WorkloadKind::kDeployment:
      return "deployments";
    case WorkloadKind::kDaemonSet:
      return "daemonsets";
    case WorkloadKind::kStatefulSet:
      return "statefulsets";
    case WorkloadKind::kCronJob:
      return "cronjobs";
  }
  return "deployments";
}

Cluster Cluster::Build(std::uint64_t seed) {
  Rng rng(Mix64(seed ^ 0x636c7573746572ULL));  // "cluster"
  Cluster c;
  c.control_plane_ips = {"10.0.250.17", "10.0.251.142", "10.0.252.88"};

  // Nodes: three /19 subnets, one per availability zone; names follow EC2's private DNS names.
  std::set<std::string> used_ips;
  while (static_cast<int>(c.nodes.size()) < kNodeCount) {
    Node n;
    n.subnet = static_cast<int>(c.nodes.size()) % 3;
    const int third = n.subnet * 32 + static_cast<int>(rng.Below(16));
    const int fourth = 4 + static_cast<int>(rng.Below(250));
    n.ip = "10.0." + std::to_string(third) + "." + std::to_string(fourth);
    if (!used_ips.insert(n.ip).second) continue;
    n.name = "ip-10-0-" + std::to_string(third) + "-" + std::to_string(fourth) + "." +
             std::string(kRegion) + ".compute.internal";
    n.uid = RandomUuid(rng);
    c.nodes.push_back(std::move(n));
  }

  c.workloads = Workloads();
  for (auto& w : c.workloads) {
    w.uid = RandomUuid(rng);
    w.template_hash = rng.Chars(kNameSuffixAlphabet, 10);
  }

  // Pods: one per node for DaemonSets, `replicas` otherwise; VPC CNI gives pods addresses from
  // their node's subnet (upper half of the /19, away from the nodes).
  auto pod_ip = [&](const Node& node) {
    for (;;) {
      const int third = node.subnet * 32 + 16 + static_cast<int>(rng.Below(16));
      std::string ip = "10.0." + std::to_string(third) + "." + std::to_string(rng.Between(4, 254));
      if (used_ips.insert(ip).second) return ip;
    }
  };
  for (int wi = 0; wi < static_cast<int>(c.workloads.size()); ++wi) {
    Workload& w = c.workloads[wi];
    const int count = w.kind == WorkloadKind::kDaemonSet ? kNodeCount : w.replicas;
    for (int i = 0; i < count; ++i) {
      Pod p;
      p.workload = wi;
      p.node = w.kind == WorkloadKind::kDaemonSet ? i : static_cast<int>(rng.Below(kNodeCount));
      switch (w.kind) {
        case WorkloadKind::kDeployment:
          p.name = w.name + "-" + w.template_hash + "-" + rng.Chars(kNameSuffixAlphabet, 5);
          break;
        case WorkloadKind::kDaemonSet:
          p.name = w.name + "-" + rng.Chars(kNameSuffixAlphabet, 5);
          break;
        case WorkloadKind::kStatefulSet:
          p.name = w.name + "-" + std::to_string(i);
          break;
        case WorkloadKind::kCronJob: {
          // Separate statements: the order of two draws inside one `+` chain is unspecified.
          const std::uint32_t job = 1000 + rng.Below(9000);
          p.name = w.name + "-2886" + std::to_string(job) + "-";
          p.name += rng.Chars(kNameSuffixAlphabet, 5);
          break;
        }
      }
      p.uid = RandomUuid(rng);
      p.ip = w.host_network ? c.nodes[p.node].ip : pod_ip(c.nodes[p.node]);
      w.pods.push_back(static_cast<int>(c.pods.size()));
      c.pods.push_back(std::move(p));
    }
  }

  // Namespaces and the objects in them that requests name.
  auto ns = [&](std::string name, std::vector<std::string> config_maps,
                std::vector<std::string> secrets) {
    Namespace n;
    n.name = std::move(name);
    n.config_maps = std::move(config_maps);
    n.config_maps.push_back("kube-root-ca.crt");
    n.secrets = std::move(secrets);
    c.namespaces.push_back(std::move(n));
  };
  ns("kube-system",
     {"coredns", "kube-proxy", "kube-proxy-config", "aws-auth", "amazon-vpc-cni",
      "extension-apiserver-authentication"},
     {"ebs-csi-controller-token", "aws-node-token", "metrics-server-certs"});
  ns("default", {}, {});
  ns("karpenter", {"karpenter-global-settings"}, {"karpenter-cert"});
  ns("monitoring",
     {"prometheus-k8s-rulefiles-0", "grafana-dashboards", "grafana-config", "kube-state-metrics"},
     {"prometheus-k8s", "prometheus-k8s-tls-assets-0", "grafana-admin", "alertmanager-main"});
  ns("logging", {"fluent-bit-config"}, {});
  ns("ingress-nginx", {"ingress-nginx-controller"}, {"ingress-nginx-admission", "wildcard-tls"});
  ns("cert-manager", {"cert-manager-webhook"}, {"cert-manager-webhook-ca", "letsencrypt-prod"});
  ns("argocd", {"argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm"},
     {"argocd-secret", "argocd-repo-creds", "cluster-prod-west"});
  ns("teleport", {"teleport-kube-agent"}, {"teleport-kube-agent-join-token"});
  ns("external-dns", {}, {});
  ns("kubernetes-dashboard", {"kubernetes-dashboard-settings"},
     {"kubernetes-dashboard-certs", "kubernetes-dashboard-csrf"});
  ns("ci", {"jenkins", "jenkins-casc"}, {"jenkins-admin", "registry-creds"});
  ns("payments", {"payments-api-config", "payments-worker-config"},
     {"payments-db", "stripe-api", "sh.helm.release.v1.payments.v41",
      "sh.helm.release.v1.payments.v42"});
  ns("checkout", {"checkout-web-config", "cart-config"},
     {"checkout-db", "sh.helm.release.v1.checkout.v17"});
  ns("catalog", {"catalog-api-config", "search-indexer-config"},
     {"catalog-db", "opensearch-creds"});
  ns("auth", {"auth-svc-config", "redis-configuration"}, {"auth-jwt-keys", "redis"});
  for (int wi = 0; wi < static_cast<int>(c.workloads.size()); ++wi) {
    for (auto& n : c.namespaces) {
      if (n.name == c.workloads[wi].ns) n.workloads.push_back(wi);
    }
  }
  return c;
}

int Cluster::WorkloadIndex(std::string_view ns, std::string_view name) const {
  for (int i = 0; i < static_cast<int>(workloads.size()); ++i) {
    if (workloads[i].ns == ns && workloads[i].name == name) return i;
  }
  std::fprintf(stderr, "gen: no workload %.*s/%.*s\n", static_cast<int>(ns.size()), ns.data(),
               static_cast<int>(name.size()), name.data());
  std::abort();
}

const Namespace& Cluster::Ns(std::string_view name) const {
  for (const auto& n : namespaces) {
    if (n.name == name) return n;
  }
  std::fprintf(stderr, "gen: no namespace %.*s\n", static_cast<int>(name.size()), name.data());
  std::abort();
}

}  // namespace vigil::bench
