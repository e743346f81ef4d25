// Kinds of Kubernetes requests that the baselines and the attack-sequence correlator both treat
// specially, named once.
#ifndef VIGIL_DETECT_RESOURCE_KINDS_H_
#define VIGIL_DETECT_RESOURCE_KINDS_H_

#include <string_view>

namespace vigil::detect {

// Resources that run containers: pods and the pod-template workloads.
inline bool IsWorkloadResource(std::string_view r) {
  return r == "pods" || r == "deployments" || r == "daemonsets" || r == "statefulsets" ||
         r == "replicasets" || r == "jobs" || r == "cronjobs" || r == "replicationcontrollers";
}

// Verbs that write an object.
inline bool IsWriteVerb(std::string_view v) {
  return v == "create" || v == "update" || v == "patch";
}

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_RESOURCE_KINDS_H_
