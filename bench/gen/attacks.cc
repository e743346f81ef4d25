// The attack requests: a fixed set of principals against a fixed set of targets, so the
// findings they cause are the same few however long the file.
#include <memory>
#include <string>

#include "gen/traffic_impl.h"

namespace vigil::bench {

using G = TrafficGenerator::Impl;

void G::Attack(Request& r) {
  r.attack = true;
  const Identity& mallory = attacker_ids[0];
  const Identity& jenkins = attacker_ids[1];
  const Identity& anonymous = attacker_ids[2];
  const std::string admin_reason =
      RbacReason("ClusterRoleBinding", "contractors-admin", "ClusterRole", "cluster-admin", "User",
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
      j.Field("name", "debug-shell")
          .Field("namespace", "default")
          .Key("creationTimestamp")
          .Raw("null");
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
      pod->extra_annotations =
          R"(,"pod-security.kubernetes.io/enforce-policy":"privileged:latest")";
      pod->latency_us = rng.Between(8'000, 30'000);
      FollowUp(pod, 2 + rng.Below(20));
      break;
    }
    case 2: {  // exec into a kube-system pod
      const bool coredns = rng.Chance(500'000);
      const Workload& w =
          cluster.workloads[cluster.WorkloadIndex("kube-system", coredns ? "coredns" : "aws-node")];
      Obj(r, "pods", "kube-system", cluster.pods[static_cast<std::size_t>(w.pods[0])].name, "",
          "v1", "exec");
      r.verb = "create";
      r.uri +=
          "?command=sh&command=-c&command=cat+%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%"
          "2Fserviceaccount%2Ftoken"
          "&container=" +
          w.containers[0].name + "&stdin=true&stdout=true&tty=true";
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
      j.BeginObject()
          .Field("kind", "Service")
          .Field("apiVersion", "v1")
          .Key("metadata")
          .BeginObject();
      j.Field("name", r.name)
          .Field("namespace", "kubernetes-dashboard")
          .Key("creationTimestamp")
          .Raw("null");
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
          R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"deploy-env",)"
          R"("namespace":"ci","creationTimestamp":null},"data":{"credentials":"[default]\n)"
          R"(aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n)"
          R"(aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n)"
          R"(region = us-west-2\n"}})";
    }
  }
  r.cls = r.user->cls;
}

}  // namespace vigil::bench
