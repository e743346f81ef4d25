// Request objects: pods as their controllers send them, workloads, `kubectl apply` patches,
// ConfigMaps and RBAC bindings.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gen/traffic_impl.h"

namespace vigil::bench {

using G = TrafficGenerator::Impl;

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
      for (const auto& [k, v] : c.env)
        j.BeginObject().Field("name", k).Field("value", v).EndObject();
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
    for (std::string_view key :
         {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
          "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure"}) {
      j.BeginObject()
          .Field("key", key)
          .Field("operator", "Exists")
          .Field("effect", key.ends_with("ready") || key.ends_with("unreachable") ? "NoExecute"
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
    j.Field("controller-revision-hash", w.template_hash.substr(0, 9))
        .Field("pod-template-generation", "3");
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
  PodSpec(j, w,
          w.kind == WorkloadKind::kDaemonSet ? &cluster.nodes[static_cast<std::size_t>(pod.node)]
                                             : nullptr);
  j.Key("status").BeginObject().EndObject();
  j.EndObject();
  return out;
}

std::string G::WorkloadBody(const Workload& w,
                            std::string_view image_override,
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
  j.BeginObject()
      .Field("kind", job ? "Job" : w.KindName())
      .Field("apiVersion", job ? "batch/v1" : "apps/v1");
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
    j.Key("strategy")
        .BeginObject()
        .Field("type", "RollingUpdate")
        .Key("rollingUpdate")
        .BeginObject();
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
  j.Key("$setElementOrder/containers")
      .BeginArray()
      .BeginObject()
      .Field("name", w.containers[0].name);
  j.EndObject().EndArray();
  j.Key("containers")
      .BeginArray()
      .BeginObject()
      .Field("image", image)
      .Field("name", w.containers[0].name);
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
  j.Key("labels")
      .BeginObject()
      .Field("app.kubernetes.io/managed-by", "argocd")
      .EndObject()
      .EndObject();
  j.Key("data").BeginObject().Field(name.starts_with("prometheus") ? "rules.yaml" : "config.yaml",
                                    data);
  j.EndObject().EndObject();
  return out;
}

std::string G::BindingBody(std::string_view kind,
                           std::string_view name,
                           std::string_view role,
                           std::vector<std::array<std::string_view, 3>> subjects) {
  std::string out;
  JsonWriter j(out);
  j.BeginObject().Field("kind", kind).Field("apiVersion", "rbac.authorization.k8s.io/v1");
  j.Key("metadata")
      .BeginObject()
      .Field("name", name)
      .Key("creationTimestamp")
      .Raw("null")
      .EndObject();
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
  r.extra_annotations += system
                             ? R"(,"pod-security.kubernetes.io/enforce-policy":"privileged:latest")"
                             : R"(,"pod-security.kubernetes.io/enforce-policy":"baseline:latest")";
}

}  // namespace vigil::bench
