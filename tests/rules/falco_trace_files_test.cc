// The current Falco k8saudit ruleset (plugins k8saudit 0.18, 48 rules) over every trace file of
// Falco's k8s-audit regression captures, with no override files: which rules fire and how often.
// The expectations agree with the dataset's PROVENANCE.md (Falco's 2023 suite, which split and
// renamed the RBAC activity rules since and turned the INFO activity rules off with overrides).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "rules/loader.h"
#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using Hits = std::map<std::string, int>;

struct TraceCase {
  const char* file;
  Hits want;
};

class CurrentRulesTraceTest : public ::testing::TestWithParam<TraceCase> {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(testing::FalcoRulesDir())) return;
    auto set = LoadRuleFiles({testing::FalcoRulesDir() + "/k8s_audit_rules.yaml"});
    if (set.has_value()) set_ = new RuleSet(std::move(*set));
  }
  static void TearDownTestSuite() {
    delete set_;
    set_ = nullptr;
  }
  static RuleSet* set_;
};

RuleSet* CurrentRulesTraceTest::set_ = nullptr;

TEST_P(CurrentRulesTraceTest, FiresTheExpectedRules) {
  if (!std::filesystem::exists(testing::TraceDir())) {
    GTEST_SKIP() << "Falco trace files not found at " << testing::TraceDir();
  }
  ASSERT_NE(set_, nullptr) << "k8s_audit_rules.yaml did not load";
  const TraceCase& c = GetParam();
  std::ifstream in(testing::TraceDir() + "/" + c.file);
  ASSERT_TRUE(in) << c.file;
  EvalContext ctx(set_->fields());
  Hits got;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    testing::TestEvent ev(line);
    if (!ev.ok()) continue;
    ctx.Reset(ev.event());
    for (const Rule& r : set_->rules()) {
      if (r.enabled && r.Matches(ctx)) ++got[r.name];
    }
  }
  EXPECT_EQ(got, c.want) << c.file;
}

INSTANTIATE_TEST_SUITE_P(
    Falco, CurrentRulesTraceTest,
    ::testing::Values(
        TraceCase{"anonymous_creates_namespace_foo.json",
                  {{"Anonymous Request Allowed", 1},
                   {"Create Disallowed Namespace", 1},
                   {"K8s Namespace Created", 1}}},
        TraceCase{"attach_cluster_admin_role.json",
                  {{"Attach to cluster-admin Role", 1}, {"K8s ClusterRoleBinding Created", 1}}},
        TraceCase{"attach_pod.json", {{"Attach/Exec Pod", 1}}},
        TraceCase{"create_cluster_role_pod_exec.json",
                  {{"ClusterRole With Pod Exec Created", 1}, {"K8s ClusterRole Created", 1}}},
        TraceCase{"create_cluster_role_wildcard_resources.json",
                  {{"ClusterRole With Wildcard Created", 1}, {"K8s ClusterRole Created", 1}}},
        TraceCase{"create_cluster_role_wildcard_verbs.json",
                  {{"ClusterRole With Wildcard Created", 1}, {"K8s ClusterRole Created", 1}}},
        TraceCase{"create_cluster_role_write_privileges.json",
                  {{"ClusterRole With Write Privileges Created", 1},
                   {"K8s ClusterRole Created", 1}}},
        TraceCase{"create_clusterrole.json", {{"K8s ClusterRole Created", 1}}},
        TraceCase{"create_clusterrolebinding.json", {{"K8s ClusterRoleBinding Created", 1}}},
        TraceCase{"create_configmap.json", {{"K8s ConfigMap Created", 1}}},
        TraceCase{"create_configmap_no_sensitive_values.json", {{"K8s ConfigMap Created", 1}}},
        TraceCase{"create_configmap_sensitive_values.json",
                  {{"Create/Modify Configmap With Private Credentials", 6},
                   {"K8s ConfigMap Created", 6}}},
        TraceCase{"create_deployment.json", {{"K8s Deployment Created", 1}}},
        TraceCase{"create_kube_system_secret.json", {}},
        TraceCase{"create_nginx_pod_hostnetwork.json", {{"Create HostNetwork Pod", 1}}},
        TraceCase{"create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
                  {{"Create Privileged Pod", 1}}},
        TraceCase{"create_nginx_pod_nohostnetwork.json", {}},
        TraceCase{"create_nginx_pod_privileged.json", {{"Create Privileged Pod", 1}}},
        TraceCase{"create_nginx_pod_privileged_2nd_container.json", {{"Create Privileged Pod", 1}}},
        TraceCase{"create_nginx_pod_sensitive_mount.json", {{"Create Sensitive Mount Pod", 1}}},
        TraceCase{"create_nginx_pod_sensitive_mount_2nd_container.json",
                  {{"Create Sensitive Mount Pod", 1}}},
        TraceCase{"create_nginx_pod_unprivileged.json", {}},
        TraceCase{"create_nginx_pod_unsensitive_mount.json", {}},
        TraceCase{"create_nginx_service_nodeport.json",
                  {{"Create NodePort Service", 1}, {"K8s Service Created", 1}}},
        TraceCase{"create_nginx_service_nonodeport.json", {{"K8s Service Created", 1}}},
        TraceCase{"create_pod_kube_public_namespace.json", {{"Pod Created in Kube Namespace", 1}}},
        TraceCase{"create_pod_kube_system_namespace.json", {{"Pod Created in Kube Namespace", 1}}},
        TraceCase{"create_secret.json", {{"K8s Secret Created", 1}}},
        TraceCase{"create_service.json", {{"K8s Service Created", 1}}},
        TraceCase{"create_service_account_token_secret.json", {}},
        TraceCase{"create_serviceaccount.json", {{"K8s Serviceaccount Created", 1}}},
        TraceCase{"create_serviceaccount_kube_public_namespace.json",
                  {{"K8s Serviceaccount Created", 1},
                   {"Service Account Created in Kube Namespace", 1}}},
        TraceCase{"create_serviceaccount_kube_system_namespace.json",
                  {{"K8s Serviceaccount Created", 1},
                   {"Service Account Created in Kube Namespace", 1}}},
        TraceCase{"delete_cluster_role_kube_aggregator.json",
                  {{"K8s ClusterRole Deleted", 1}, {"System ClusterRole Modified/Deleted", 1}}},
        TraceCase{"delete_clusterrole.json", {{"K8s ClusterRole Deleted", 1}}},
        TraceCase{"delete_clusterrolebinding.json", {{"K8s ClusterRoleBinding Deleted", 1}}},
        TraceCase{"delete_configmap.json", {{"K8s ConfigMap Deleted", 1}}},
        TraceCase{"delete_deployment.json", {{"K8s Deployment Deleted", 1}}},
        TraceCase{"delete_namespace_foo.json", {{"K8s Namespace Deleted", 1}}},
        TraceCase{"delete_secret.json", {{"K8s Secret Deleted", 1}}},
        TraceCase{"delete_service.json", {{"K8s Service Deleted", 1}}},
        TraceCase{"delete_serviceaccount.json", {{"K8s Serviceaccount Deleted", 1}}},
        TraceCase{"exec_pod.json", {{"Attach/Exec Pod", 1}}},
        TraceCase{"fal_01_003.json", {}},
        TraceCase{"minikube_creates_namespace_foo.json",
                  {{"Create Disallowed Namespace", 1}, {"K8s Namespace Created", 1}}},
        TraceCase{"modify_cluster_role_node_problem_detector.json",
                  {{"System ClusterRole Modified/Deleted", 1}}},
        TraceCase{"some-user_creates_namespace_foo.json",
                  {{"Create Disallowed Namespace", 1},
                   {"Disallowed K8s User", 1},
                   {"K8s Namespace Created", 1}}}));

}  // namespace
}  // namespace vigil::rules
