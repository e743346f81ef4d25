// The Kubernetes actions end to end against FakeKubeApiServer (loopback HTTPS, certificates made
// by the test): an anonymous ClusterRoleBinding deleted and restored by rollback, server-side dry
// run persisting nothing, a wrong CA refused, 403 reported clearly, the other three actions, the
// protected namespace, the uid precondition, and kubeconfig / in-cluster credentials.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "remediate/base64.h"
#include "remediate/integrations/fake_kube.h"
#include "remediate/kube/kube_actions.h"
#include "remediate/kube/kube_client.h"
#include "temp_dir.h"

namespace vigil::remediate::testing {
namespace {

using json = nlohmann::json;
using kube::KubeClient;
using vigil::tests::TempDir;

const char* kCrbPath = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/anon-admin";


void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string Kubeconfig(const std::string& server, const std::string& ca_pem,
                       const std::string& user_yaml) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
         "clusters:\n- name: fake\n  cluster:\n    server: " + server +
         "\n    certificate-authority-data: " + Base64Encode(ca_pem) +
         "\ncontexts:\n- name: test\n  context:\n    cluster: fake\n    user: vigil\n"
         "users:\n- name: vigil\n  user:\n" + user_yaml;
}

json AnonymousBinding() {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", {{"name", "anon-admin"}, {"labels", {{"team", "x"}}}}},
          {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "cluster-admin"}}},
          {"subjects", {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", "system:anonymous"}}}}};
}

findings::Finding FindingFor(std::string resource, std::string ns, std::string name) {
  findings::Finding f;
  f.id = "f-" + name;
  f.rule = "Anonymous Request Is Granted";
  f.resource.api_group = resource == "pods" ? "" : "rbac.authorization.k8s.io";
  f.resource.resource = std::move(resource);
  f.resource.ns = std::move(ns);
  f.resource.name = std::move(name);
  return f;
}

class KubeActionsTest : public ::testing::Test {
 protected:
  KubeActionsTest() : ca_("kube-ca"), server_(ca_, "sa-token-123") {}

  std::shared_ptr<KubeClient> Client(const std::string& ca_pem) {
    WriteFile(dir_.File("kubeconfig"),
              Kubeconfig(server_.url(), ca_pem, "    token: sa-token-123\n"));
    auto creds = kube::LoadKubeconfig(dir_.File("kubeconfig"), "");
    EXPECT_TRUE(creds) << creds.error().ToString();
    RetryPolicy fast;
    fast.initial_backoff = std::chrono::milliseconds(1);
    fast.max_attempts = 2;
    auto c = KubeClient::Create(*creds, fast);
    EXPECT_TRUE(c) << c.error().ToString();
    return std::shared_ptr<KubeClient>(std::move(*c));
  }

  std::unique_ptr<ActionExecutor> Executor(std::string_view kind, const std::string& ca_pem = "") {
    for (auto& e : kube::MakeKubeExecutors(Client(ca_pem.empty() ? ca_.cert_pem() : ca_pem))) {
      if (e->kind() == kind) return std::move(e);
    }
    ADD_FAILURE() << "no executor " << kind;
    return nullptr;
  }

  TempDir dir_;
  TestCa ca_;
  FakeKubeApiServer server_;
};

TEST_F(KubeActionsTest, AnonymousClusterRoleBindingIsDeletedThenRestoredByRollback) {
  server_.Put(kCrbPath, AnonymousBinding());
  const std::string uid = server_.Get(kCrbPath)->at("metadata").at("uid");
  auto exec = Executor("kubernetes.delete-binding");
  ASSERT_TRUE(exec->mutating());
  auto plan = exec->Plan(FindingFor("clusterrolebindings", "", "anon-admin"), json::object());
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->size(), 1u);
  const PlannedChange& change = (*plan)[0];
  EXPECT_EQ(change.target, "clusterrolebindings/anon-admin");
  EXPECT_NE(change.summary.find("Group/system:anonymous"), std::string::npos) << change.summary;
  EXPECT_EQ(change.detail["uid"], uid);
  EXPECT_EQ(change.detail["method"], "DELETE");

  auto outcome = exec->Apply(change, /*dry_run=*/false);
  ASSERT_TRUE(outcome) << outcome.error().ToString();
  EXPECT_TRUE(outcome->applied);
  EXPECT_EQ(outcome->before["subjects"][0]["name"], "system:anonymous");
  EXPECT_FALSE(server_.Get(kCrbPath).has_value());
  auto verified = exec->Verify(change, *outcome);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->verdict, Verdict::kFixed) << verified->reason;
  // The DELETE carried the uid precondition.
  const auto reqs = server_.requests();
  auto del = std::find_if(reqs.begin(), reqs.end(), [](const auto& r) { return r.method == "DELETE"; });
  ASSERT_NE(del, reqs.end());
  EXPECT_EQ(json::parse(del->body)["preconditions"]["uid"], uid);
  EXPECT_EQ(del->auth, "token");

  // A second plan finds nothing to do.
  auto again = exec->Plan(FindingFor("clusterrolebindings", "", "anon-admin"), json::object());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());

  auto rolled = exec->Rollback(change, *outcome);
  ASSERT_TRUE(rolled) << rolled.error().ToString();
  auto restored = server_.Get(kCrbPath);
  ASSERT_TRUE(restored);
  EXPECT_EQ((*restored)["subjects"], AnonymousBinding()["subjects"]);
  EXPECT_EQ((*restored)["roleRef"], AnonymousBinding()["roleRef"]);
  EXPECT_EQ((*restored)["metadata"]["labels"]["team"], "x");
  EXPECT_NE((*restored)["metadata"]["uid"], uid);
  const auto post = server_.requests().back();
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.path, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings");
  EXPECT_FALSE(json::parse(post.body)["metadata"].contains("resourceVersion"));
  EXPECT_FALSE(json::parse(post.body)["metadata"].contains("uid"));
  // After the rollback the binding is back, so verification says so.
  EXPECT_EQ(exec->Verify(change, *outcome)->verdict, Verdict::kNotFixed);

  // A second rollback (a retried one) finds the same binding there and is content with it…
  auto twice = exec->Rollback(change, *outcome);
  ASSERT_TRUE(twice) << twice.error().ToString();
  EXPECT_NE(twice->message.find("already exists as saved"), std::string::npos);
  // …but a different binding under that name is neither overwritten nor taken for the saved one.
  json other = AnonymousBinding();
  other["subjects"][0]["name"] = "system:unauthenticated";
  server_.Put(kCrbPath, other);
  auto clash = exec->Rollback(change, *outcome);
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("AlreadyExists (409)"), std::string::npos)
      << clash.error().message;
  EXPECT_EQ((*server_.Get(kCrbPath))["subjects"][0]["name"], "system:unauthenticated");
}

TEST_F(KubeActionsTest, DryRunIsServerSideAndPersistsNothing) {
  server_.Put(kCrbPath, AnonymousBinding());
  const json before = *server_.Get(kCrbPath);
  auto exec = Executor("kubernetes.delete-binding");
  auto plan = exec->Plan(FindingFor("clusterrolebindings", "", "anon-admin"), json::object());
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->size(), 1u);
  auto outcome = exec->Apply((*plan)[0], /*dry_run=*/true);
  ASSERT_TRUE(outcome) << outcome.error().ToString();
  EXPECT_FALSE(outcome->applied);
  EXPECT_NE(outcome->message.find("dry run"), std::string::npos);
  EXPECT_EQ(*server_.Get(kCrbPath), before);
  size_t dry = 0;
  for (const auto& r : server_.requests()) {
    if (r.method != "GET") {
      EXPECT_EQ(r.query, "dryRun=All") << r.method << " " << r.path;
      ++dry;
    }
  }
  EXPECT_EQ(dry, 1u);
  EXPECT_EQ(exec->Verify((*plan)[0], *outcome)->verdict, Verdict::kNotFixed);
  auto rollback = exec->Rollback((*plan)[0], *outcome);
  EXPECT_FALSE(rollback);
}

TEST_F(KubeActionsTest, AServerCertificateFromAnotherCaIsRefused) {
  server_.Put(kCrbPath, AnonymousBinding());
  TestCa other("not-the-cluster-ca");
  auto exec = Executor("kubernetes.delete-binding", other.cert_pem());
  auto plan = exec->Plan(FindingFor("clusterrolebindings", "", "anon-admin"), json::object());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kIo);
  EXPECT_NE(plan.error().message.find("verification failed"), std::string::npos)
      << plan.error().message;
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(KubeActionsTest, ForbiddenIsReportedWithTheApiServersReason) {
  server_.Put(kCrbPath, AnonymousBinding());
  server_.Forbid("delete", "clusterrolebindings");
  auto exec = Executor("kubernetes.delete-binding");
  auto plan = exec->Plan(FindingFor("clusterrolebindings", "", "anon-admin"), json::object());
  ASSERT_TRUE(plan);
  auto outcome = exec->Apply((*plan)[0], false);
  ASSERT_FALSE(outcome);
  const std::string msg = outcome.error().message;
  EXPECT_NE(msg.find("Forbidden (403)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot delete resource \"clusterrolebindings\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("RBAC"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("sa-token-123"), std::string::npos) << msg;
  EXPECT_TRUE(server_.Get(kCrbPath).has_value());
}

TEST_F(KubeActionsTest, AnObjectReplacedSincePlanningIsNotDeleted) {
  server_.Put(kCrbPath, AnonymousBinding());
  auto exec = Executor("kubernetes.delete-binding");
  auto plan = exec->Plan(FindingFor("clusterrolebindings", "", "anon-admin"), json::object());
  ASSERT_TRUE(plan);
  server_.Put(kCrbPath, AnonymousBinding());  // same name, new uid
  auto outcome = exec->Apply((*plan)[0], false);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("plan again"), std::string::npos);
  EXPECT_TRUE(server_.Get(kCrbPath).has_value());
}

TEST_F(KubeActionsTest, ProtectedNamespacesAndSystemBindingsAreRefusedUnlessAllowed) {
  const std::string rb = "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings/x";
  server_.Put(rb, AnonymousBinding());
  server_.Put("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user",
              AnonymousBinding());
  auto exec = Executor("kubernetes.delete-binding");
  auto refused = exec->Plan(FindingFor("rolebindings", "kube-system", "x"), json::object());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("namespace 'kube-system' is protected"), std::string::npos)
      << refused.error().message;
  auto system = exec->Plan(FindingFor("clusterrolebindings", "", "system:basic-user"), json::object());
  ASSERT_FALSE(system);
  EXPECT_NE(system.error().message.find("system binding"), std::string::npos);
  EXPECT_TRUE(server_.requests().empty());
  auto allowed = exec->Plan(FindingFor("rolebindings", "kube-system", "x"), {{"allow_protected", true}});
  ASSERT_TRUE(allowed) << allowed.error().ToString();
  EXPECT_EQ(allowed->size(), 1u);
}

TEST_F(KubeActionsTest, TargetsThatCouldChangeTheRequestPathAreRefused) {
  auto exec = Executor("kubernetes.delete-binding");
  for (const char* name : {"../../api/v1/secrets", "a/b", "x?dryRun=None", ""}) {
    auto plan = exec->Plan(FindingFor("clusterrolebindings", "", name), json::object());
    ASSERT_FALSE(plan) << name;
    EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
  }
  auto wrong = exec->Plan(FindingFor("secrets", "default", "x"), json::object());
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(KubeActionsTest, ScaleToZeroSavesReplicasAndRollbackRestoresThem) {
  const std::string path = "/apis/apps/v1/namespaces/shop/deployments/miner";
  server_.Put(path, {{"kind", "Deployment"}, {"metadata", {{"name", "miner"}, {"namespace", "shop"}}},
                     {"spec", {{"replicas", 3}}}});
  auto exec = Executor("kubernetes.scale-to-zero");
  findings::Finding f = FindingFor("deployments", "shop", "miner");
  auto plan = exec->Plan(f, json::object());
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_NE((*plan)[0].summary.find("from 3 replicas to 0"), std::string::npos);
  auto dry = exec->Apply((*plan)[0], true);
  ASSERT_TRUE(dry);
  EXPECT_EQ((*server_.Get(path))["spec"]["replicas"], 3);
  auto outcome = exec->Apply((*plan)[0], false);
  ASSERT_TRUE(outcome) << outcome.error().ToString();
  EXPECT_EQ(outcome->before["replicas"], 3);
  EXPECT_EQ((*server_.Get(path))["spec"]["replicas"], 0);
  EXPECT_EQ(exec->Verify((*plan)[0], *outcome)->verdict, Verdict::kFixed);
  auto again = exec->Plan(f, json::object());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  ASSERT_TRUE(exec->Rollback((*plan)[0], *outcome));
  EXPECT_EQ((*server_.Get(path))["spec"]["replicas"], 3);
  EXPECT_EQ(exec->Verify((*plan)[0], *outcome)->verdict, Verdict::kNotFixed);
}

TEST_F(KubeActionsTest, DeletePodCannotBeRolledBack) {
  const std::string path = "/api/v1/namespaces/shop/pods/miner-1";
  server_.Put(path, {{"kind", "Pod"}, {"metadata", {{"name", "miner-1"}, {"namespace", "shop"}}}});
  auto exec = Executor("kubernetes.delete-pod");
  auto plan = exec->Plan(FindingFor("pods", "shop", "miner-1"), json::object());
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->size(), 1u);
  auto outcome = exec->Apply((*plan)[0], false);
  ASSERT_TRUE(outcome) << outcome.error().ToString();
  EXPECT_FALSE(server_.Get(path).has_value());
  EXPECT_EQ(exec->Verify((*plan)[0], *outcome)->verdict, Verdict::kFixed);
  auto rollback = exec->Rollback((*plan)[0], *outcome);
  ASSERT_FALSE(rollback);
  EXPECT_EQ(rollback.error().code, ErrorCode::kUnsupported);
}

TEST_F(KubeActionsTest, QuarantineLabelsThePodAddsADenyAllPolicyAndRollbackRemovesBoth) {
  const std::string pod = "/api/v1/namespaces/shop/pods/web-1";
  server_.Put(pod, {{"kind", "Pod"},
                    {"metadata", {{"name", "web-1"}, {"namespace", "shop"}, {"labels", {{"app", "web"}}}}}});
  const std::string uid = (*server_.Get(pod))["metadata"]["uid"];
  const std::string policy = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/vigil-quarantine-" + uid;
  auto exec = Executor("kubernetes.quarantine-pod");
  auto plan = exec->Plan(FindingFor("pods", "shop", "web-1"), json::object());
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->size(), 1u);

  auto dry = exec->Apply((*plan)[0], true);
  ASSERT_TRUE(dry) << dry.error().ToString();
  EXPECT_FALSE(server_.Get(policy).has_value());
  EXPECT_FALSE((*server_.Get(pod))["metadata"]["labels"].contains("vigil.io/quarantine"));

  auto outcome = exec->Apply((*plan)[0], false);
  ASSERT_TRUE(outcome) << outcome.error().ToString();
  EXPECT_EQ((*server_.Get(pod))["metadata"]["labels"]["vigil.io/quarantine"], uid);
  EXPECT_EQ((*server_.Get(pod))["metadata"]["labels"]["app"], "web");
  auto np = server_.Get(policy);
  ASSERT_TRUE(np);
  EXPECT_EQ((*np)["spec"]["podSelector"]["matchLabels"]["vigil.io/quarantine"], uid);
  EXPECT_EQ((*np)["spec"]["policyTypes"], json({"Ingress", "Egress"}));
  EXPECT_FALSE((*np)["spec"].contains("ingress"));  // no rule: nothing allowed
  EXPECT_EQ(exec->Verify((*plan)[0], *outcome)->verdict, Verdict::kFixed);

  ASSERT_TRUE(exec->Rollback((*plan)[0], *outcome));
  EXPECT_FALSE(server_.Get(policy).has_value());
  EXPECT_FALSE((*server_.Get(pod))["metadata"]["labels"].contains("vigil.io/quarantine"));
  EXPECT_EQ((*server_.Get(pod))["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(exec->Verify((*plan)[0], *outcome)->verdict, Verdict::kNotFixed);
}

TEST_F(KubeActionsTest, ClientCertificateFromKubeconfigAuthenticates) {
  server_.Put(kCrbPath, AnonymousBinding());
  KeyPair id = ca_.Issue("vigil", false);
  WriteFile(dir_.File("client.crt"), id.cert_pem);
  WriteFile(dir_.File("kubeconfig"),
            Kubeconfig(server_.url(), ca_.cert_pem(),
                       "    client-certificate: client.crt\n    client-key-data: " +
                           Base64Encode(id.key_pem) + "\n"));
  auto creds = kube::LoadKubeconfig(dir_.File("kubeconfig"), "test");
  ASSERT_TRUE(creds) << creds.error().ToString();
  auto client = KubeClient::Create(*creds);
  ASSERT_TRUE(client) << client.error().ToString();
  auto obj = (*client)->GetObject(kCrbPath);
  ASSERT_TRUE(obj) << obj.error().ToString();
  ASSERT_TRUE(obj->has_value());
  EXPECT_EQ(server_.requests().back().auth, "cert:vigil");
}

TEST_F(KubeActionsTest, InClusterCredentialsReReadARotatedToken) {
  server_.Put(kCrbPath, AnonymousBinding());
  WriteFile(dir_.File("token"), "sa-token-123\n");
  WriteFile(dir_.File("ca.crt"), ca_.cert_pem());
  WriteFile(dir_.File("namespace"), "vigil");
  ::setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", server_.url().substr(server_.url().rfind(':') + 1).c_str(), 1);
  auto creds = kube::InClusterCredentials(dir_.path().string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(creds) << creds.error().ToString();
  EXPECT_EQ(creds->ns, "vigil");
  auto client = KubeClient::Create(*creds);
  ASSERT_TRUE(client);
  auto ok = (*client)->GetObject(kCrbPath);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_TRUE(ok->has_value());
  WriteFile(dir_.File("token"), "rotated-but-unknown\n");
  auto denied = (*client)->GetObject(kCrbPath);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("Unauthorized (401)"), std::string::npos);
  EXPECT_EQ(denied.error().message.find("rotated-but-unknown"), std::string::npos);
}

TEST(KubeconfigTest, BadKubeconfigsAreRejectedWithTheirPosition) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"current-context: a\ncontexts: []\n", "no entry named 'a' in 'contexts'"},
      {"contexts: []\n", "no current-context"},
      {"current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
       "clusters:\n- name: c\n  cluster: {server: 'https://h', insecure-skip-tls-verify: true}\n"
       "users:\n- name: u\n  user: {token: t}\n",
       "insecure-skip-tls-verify is refused"},
      {"current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
       "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
       "users:\n- name: u\n  user:\n    exec: {command: aws}\n",
       "exec or auth-provider plugin"},
      {"current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
       "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority-data: '%%%'}\n"
       "users:\n- name: u\n  user: {token: t}\n",
       "not base64"},
      {"current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
       "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
       "users:\n- name: u\n  user: {}\n",
       "has no credentials"},
      // Found by remediate_integrations_fuzz: a missing list used to throw from yaml-cpp.
      {"current-context: prod\nclusters: []\ncontexter: x\n", "no entry named 'prod' in 'contexts'"},
      {"current-context: a\ncontexts:\n- name: a\n", "has no 'context' mapping"},
      {"a: [", ""},
      {"- 1\n", "must be a mapping"},
  };
  for (const auto& c : cases) {
    auto r = kube::ParseKubeconfig(c.text, "kc.yaml", "");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kConfig) << c.text;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos) << r.error().ToString();
    EXPECT_EQ(r.error().pos.file, "kc.yaml");
    EXPECT_GT(r.error().pos.line, 0) << r.error().ToString();
  }
}

}  // namespace
}  // namespace vigil::remediate::testing
