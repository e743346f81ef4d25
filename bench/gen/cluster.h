// The fixed cluster that generated traffic talks about: an EKS-like production cluster with its
// nodes, namespaces, workloads and their pods. Every name the generator writes comes from here
// (or from the small attacker set in traffic.cc), so the set of distinct principals and objects
// is bounded and the findings a detector raises saturate instead of growing with file size.
#ifndef VIGIL_BENCH_GEN_CLUSTER_H_
#define VIGIL_BENCH_GEN_CLUSTER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::bench {

inline constexpr std::string_view kAccountId = "123456789012";  // AWS's documentation account
inline constexpr std::string_view kRegion = "us-west-2";
inline constexpr std::string_view kClusterName = "prod-west";
// Version strings as an EKS 1.29 control plane and its kubelets report them.
inline constexpr std::string_view kKubeVersion = "v1.29.8";
inline constexpr std::string_view kKubeCommit = "a737599";
inline constexpr std::string_view kEcr = "602401143452.dkr.ecr.us-west-2.amazonaws.com";

struct Node {
  std::string name;  // ip-10-0-12-34.us-west-2.compute.internal
  std::string ip;
  std::string uid;
  int subnet = 0;  // which of the three AZ subnets
};

struct Container {
  std::string name;
  std::string image;
  std::vector<int> ports;
  bool privileged = false;
  std::vector<std::pair<std::string, std::string>> mounts;  // volume name, mount path
  std::vector<std::pair<std::string, std::string>> env;     // name, value
  std::string cpu = "100m";
  std::string memory = "128Mi";
};

enum class WorkloadKind { kDeployment, kDaemonSet, kStatefulSet, kCronJob };

struct Workload {
  WorkloadKind kind = WorkloadKind::kDeployment;
  std::string ns;
  std::string name;
  std::string service_account;
  std::string uid;
  std::string template_hash;  // pod-template-hash of the current ReplicaSet (Deployments)
  int replicas = 1;           // per cluster; DaemonSets run one pod per node instead
  std::vector<Container> containers;
  std::vector<Container> init_containers;
  bool host_network = false;
  bool host_pid = false;
  std::vector<std::pair<std::string, std::string>> host_paths;  // volume name, host path
  std::vector<std::string> config_maps;                         // mounted ConfigMaps
  std::vector<int> pods;                                        // indexes into Cluster::pods

  std::string_view KindName() const;          // "Deployment", ...
  std::string_view ApiGroupResource() const;  // "deployments", ...
};

struct Pod {
  std::string name;
  std::string uid;
  std::string ip;
  int workload = 0;
  int node = 0;
};

// A namespace and the objects in it that traffic refers to by name.
struct Namespace {
  std::string name;
  std::vector<std::string> config_maps;
  std::vector<std::string> secrets;
  std::vector<int> workloads;  // indexes into Cluster::workloads
};

class Cluster {
 public:
  // Builds the cluster; the same seed always gives the same cluster.
  static Cluster Build(std::uint64_t seed);

  std::vector<Node> nodes;
  std::vector<Workload> workloads;
  std::vector<Pod> pods;
  std::vector<Namespace> namespaces;
  std::vector<std::string> control_plane_ips;  // the API servers' own addresses

  // Index of the workload `name` in namespace `ns`; aborts if absent (a programming error).
  int WorkloadIndex(std::string_view ns, std::string_view name) const;
  const Namespace& Ns(std::string_view name) const;
};

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_GEN_CLUSTER_H_
