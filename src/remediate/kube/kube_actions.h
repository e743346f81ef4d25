// The Kubernetes ActionExecutors (interfaces.h), all through the API server's REST API:
//
//   kubernetes.delete-binding   delete a RoleBinding or ClusterRoleBinding (e.g. one granting
//                               system:anonymous or a default service account admin); `before`
//                               holds the whole object, rollback re-creates it.
//   kubernetes.scale-to-zero    set a Deployment/StatefulSet/ReplicaSet's scale subresource to 0;
//                               rollback restores the saved replica count.
//   kubernetes.delete-pod       delete a pod (its controller may re-create it); no rollback.
//   kubernetes.quarantine-pod   label the pod and create a deny-all (ingress and egress)
//                               NetworkPolicy selecting that label; rollback removes both.
//
// The target comes from the finding's resource (findings::TargetResource) and may be set or
// overridden by the playbook's params: {"resource": "clusterrolebindings", "namespace": "ns",
// "name": "x"}. A target in a protected namespace (kube-system by default), or a binding named
// "system:*", is refused unless params carry "allow_protected": true — defence in depth, as the
// engine checks protected namespaces too. Plans pin the object's uid, so an approved deletion
// cannot remove a different object that later took the same name (the API server enforces the
// precondition).
//
// dry_run asks the API server to validate without persisting (?dryRun=All). Verify re-reads the
// object. Executors are stateless; they share one KubeClient.
#ifndef VIGIL_REMEDIATE_KUBE_KUBE_ACTIONS_H_
#define VIGIL_REMEDIATE_KUBE_KUBE_ACTIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "remediate/interfaces.h"
#include "remediate/kube/kube_client.h"

namespace vigil::remediate::kube {

struct KubeActionOptions {
  std::vector<std::string> protected_namespaces = {"kube-system"};
  std::string quarantine_label = "vigil.io/quarantine";
};

// The four executors above, sharing `client`.
std::vector<std::unique_ptr<ActionExecutor>> MakeKubeExecutors(std::shared_ptr<KubeClient> client,
                                                               KubeActionOptions options = {});

// The deny-all NetworkPolicy quarantine-pod creates for a pod with this uid in `ns`.
nlohmann::json QuarantinePolicy(const std::string& ns, const std::string& pod_uid,
                                const std::string& label);

}  // namespace vigil::remediate::kube

#endif  // VIGIL_REMEDIATE_KUBE_KUBE_ACTIONS_H_
