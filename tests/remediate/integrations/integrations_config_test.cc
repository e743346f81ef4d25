// The integrations' config: what a good section yields, and table-driven bad sections that must
// fail with the position (file:line:col) and what was wrong, never with a secret's value.
#include "remediate/integrations_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "temp_dir.h"

namespace vigil::remediate {
namespace {

using vigil::tests::TempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(IntegrationsConfigTest, AJiraSectionBecomesATracker) {
  TempDir dir;
  WriteFile(dir.File("jira.token"), "jira-api-token\n");
  YAML::Node n = YAML::Load(
      "type: jira\n"
      "url: https://example.atlassian.net\n"
      "project: SEC\n"
      "issue_type: Bug\n"
      "labels: [vigil, security]\n"
      "priorities: {critical: P1, informational: ''}\n"
      "transitions: {close: Resolve, reopen: Reopen}\n"
      "auth: {email: bot@example.com, token_file: " + dir.File("jira.token") + "}\n"
      "retry: {max_attempts: 3, initial_backoff_ms: 200}\n");
  auto o = ParseJiraOptions(n, "jira-sec", "vigil.yaml");
  ASSERT_TRUE(o) << o.error().ToString();
  EXPECT_EQ(o->name, "jira-sec");
  EXPECT_EQ(o->project_key, "SEC");
  EXPECT_EQ(o->issue_type, "Bug");
  EXPECT_EQ(o->labels, (std::vector<std::string>{"vigil", "security"}));
  EXPECT_EQ(o->priorities.at(findings::Severity::kCritical), "P1");
  EXPECT_EQ(o->priorities.count(findings::Severity::kInformational), 0u);
  EXPECT_EQ(o->priorities.at(findings::Severity::kHigh), "High");
  EXPECT_EQ(o->close_transition, "Resolve");
  EXPECT_EQ(o->api_token, "jira-api-token");
  EXPECT_EQ(o->http.retry.max_attempts, 3);
  auto t = MakeJiraTracker(n, "jira-sec", "vigil.yaml");
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ((*t)->name(), "jira-sec");
}

TEST(IntegrationsConfigTest, WebhookAndSlackTakeSecretsFromTheEnvironment) {
  ::setenv("VIGIL_TEST_HOOK_SECRET", "hook-secret-value", 1);
  ::setenv("VIGIL_TEST_SLACK_URL", "https://hooks.slack.com/services/T0/B0/SECRET", 1);
  auto hook = MakeWebhookNotifier(
      YAML::Load("url: https://hooks.example.com/vigil\nsecret_env: VIGIL_TEST_HOOK_SECRET\n"),
      "ops-hook");
  ASSERT_TRUE(hook) << hook.error().ToString();
  EXPECT_EQ((*hook)->name(), "ops-hook");
  auto slack = ParseSlackOptions(YAML::Load("url_env: VIGIL_TEST_SLACK_URL\n"), "slack");
  ASSERT_TRUE(slack) << slack.error().ToString();
  EXPECT_TRUE(slack->http.path_is_secret);
  EXPECT_TRUE(MakeSlackNotifier(YAML::Load("url_env: VIGIL_TEST_SLACK_URL\n"), "slack"));
  ::unsetenv("VIGIL_TEST_HOOK_SECRET");
  ::unsetenv("VIGIL_TEST_SLACK_URL");
}

TEST(IntegrationsConfigTest, BadSectionsAreRejectedWithPositionAndReason) {
  ::setenv("VIGIL_TEST_SECRET", "do-not-print-me", 1);
  ::setenv("VIGIL_TEST_HTTP_SLACK", "http://hooks.slack.com/services/x", 1);
  struct Case {
    const char* kind;
    const char* yaml;
    const char* want;
    int line;
  } cases[] = {
      {"jira", "url: https://j\nproject: SEC\nauth: {email: a, token_env: VIGIL_TEST_SECRET}\nprojet: X\n",
       "unknown key 'projet'", 4},
      {"jira", "url: https://j\nauth: {email: a, token_env: VIGIL_TEST_SECRET}\n", "'project' is required", 1},
      {"jira", "url: http://jira.corp\nproject: SEC\nauth: {email: a, token_env: VIGIL_TEST_SECRET}\n",
       "must use https://", 1},
      {"jira", "url: https://j\nproject: SEC\nauth:\n  email: a\n", "set exactly one of 'token_env'", 4},
      {"jira", "url: https://j\nproject: SEC\nauth: {token_env: VIGIL_TEST_SECRET}\n", "need 'email'", 3},
      {"jira", "url: https://j\nproject: SEC\nauth: {email: a, token_env: VIGIL_TEST_UNSET_VAR}\n",
       "'VIGIL_TEST_UNSET_VAR' (token_env) is unset or empty", 3},
      {"jira", "url: https://j\nproject: SEC\nauth: {email: a, token_env: VIGIL_TEST_SECRET}\npriorities: {urgent: P0}\n",
       "unknown key 'urgent'", 4},
      {"jira", "url: https://j\nproject: SEC\nauth: {email: a, token_env: VIGIL_TEST_SECRET}\nretry: {max_attempts: 0}\n",
       "'max_attempts' must be an integer from 1 to 20", 4},
      {"jira", "url: https://j\nproject: [SEC]\nauth: {email: a, token_env: VIGIL_TEST_SECRET}\n",
       "'project' must be a string", 2},
      {"jira", "url: https://j\nproject: SEC\nauth: {email: a, token_file: /nonexistent/vigil/token}\n",
       "cannot read '/nonexistent/vigil/token'", 3},
      {"webhook", "url: https://h\n", "set exactly one of 'secret_env'", 1},
      {"webhook", "url: https://h\nsecret_env: VIGIL_TEST_SECRET\ntimeout_seconds: 0\n",
       "'timeout_seconds' must be an integer from 1 to 600", 3},
      {"slack", "url: https://hooks.slack.com/services/x\n", "a Slack webhook URL is a secret", 1},
      {"slack", "url_env: VIGIL_TEST_HTTP_SLACK\n", "must start with https://", 1},
      {"kubernetes", "context: prod\n", "give 'kubeconfig'", 1},
      {"kubernetes", "in_cluster: true\nkubeconfig: /x\n", "takes no kubeconfig", 1},
      {"kubernetes", "kubeconfig: /x\nquarantine_label: 'bad label!'\n", "not a valid label key", 2},
      {"kubernetes", "kubeconfig: /x\nprotected_namespaces: kube-system\n", "must be a list", 2},
      {"kubernetes", "kubeconfig: /x\nin_cluster: yes please\n", "must be true or false", 2},
  };
  for (const auto& c : cases) {
    YAML::Node n = YAML::Load(c.yaml);
    const std::string kind = c.kind;
    Error e;
    if (kind == "jira") {
      auto r = ParseJiraOptions(n, "j", "vigil.yaml");
      ASSERT_FALSE(r) << c.yaml;
      e = r.error();
    } else if (kind == "webhook") {
      auto r = ParseWebhookOptions(n, "w", "vigil.yaml");
      ASSERT_FALSE(r) << c.yaml;
      e = r.error();
    } else if (kind == "slack") {
      auto r = ParseSlackOptions(n, "s", "vigil.yaml");
      ASSERT_FALSE(r) << c.yaml;
      e = r.error();
    } else {
      auto r = ParseKubernetesConfig(n, "vigil.yaml");
      ASSERT_FALSE(r) << c.yaml;
      e = r.error();
    }
    EXPECT_EQ(e.code, ErrorCode::kConfig) << e.ToString();
    EXPECT_NE(e.message.find(c.want), std::string::npos) << c.yaml << "\n→ " << e.ToString();
    EXPECT_EQ(e.pos.file, "vigil.yaml") << e.ToString();
    EXPECT_EQ(e.pos.line, c.line) << c.yaml << "\n→ " << e.ToString();
    EXPECT_GT(e.pos.column, 0);
    const std::string all = e.ToString();
    EXPECT_EQ(all.find("do-not-print-me"), std::string::npos) << all;
    EXPECT_EQ(all.find("hooks.slack.com/services"), std::string::npos) << all;
  }
  ::unsetenv("VIGIL_TEST_SECRET");
  ::unsetenv("VIGIL_TEST_HTTP_SLACK");
}

TEST(IntegrationsConfigTest, AKubernetesSectionYieldsTheFourActions) {
  TempDir dir;
  WriteFile(dir.File("kubeconfig"),
            "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
            "clusters:\n- name: k\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
            "users:\n- name: u\n  user: {tokenFile: token}\n");
  auto execs = MakeKubernetesExecutors(
      YAML::Load("kubeconfig: " + dir.File("kubeconfig") +
                 "\nprotected_namespaces: [kube-system, vigil]\nquarantine_label: example.com/quarantine\n"),
      "vigil.yaml");
  ASSERT_TRUE(execs) << execs.error().ToString();
  std::vector<std::string> kinds;
  for (const auto& e : *execs) kinds.emplace_back(e->kind());
  EXPECT_EQ(kinds, (std::vector<std::string>{"kubernetes.delete-binding", "kubernetes.scale-to-zero",
                                             "kubernetes.delete-pod", "kubernetes.quarantine-pod"}));
  auto missing = MakeKubernetesExecutors(YAML::Load("kubeconfig: /nonexistent/kubeconfig\n"), "vigil.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/kubeconfig"), std::string::npos);
  EXPECT_EQ(missing.error().pos.line, 1);
}

// The ClusterRole in examples/remediate/ grants exactly what the four actions do (and no more
// than get on what they only read), so an operator can apply it as is.
TEST(IntegrationsConfigTest, TheExampleClusterRoleGrantsWhatTheActionsNeed) {
  const std::string path = std::string(VIGIL_SOURCE_DIR) + "/examples/remediate/kubernetes-rbac.yaml";
  std::vector<YAML::Node> docs = YAML::LoadAllFromFile(path);
  YAML::Node role;
  for (const auto& d : docs) {
    if (d["kind"].as<std::string>() == "ClusterRole") role = d;
  }
  ASSERT_TRUE(role.IsDefined());
  std::map<std::string, std::set<std::string>> granted;  // "group/resource" → verbs
  for (const auto& rule : role["rules"]) {
    for (const auto& g : rule["apiGroups"]) {
      for (const auto& r : rule["resources"]) {
        for (const auto& v : rule["verbs"]) {
          granted[g.as<std::string>() + "/" + r.as<std::string>()].insert(v.as<std::string>());
        }
      }
    }
  }
  const std::map<std::string, std::set<std::string>> needed = {
      {"rbac.authorization.k8s.io/clusterrolebindings", {"get", "delete", "create"}},
      {"rbac.authorization.k8s.io/rolebindings", {"get", "delete", "create"}},
      {"apps/deployments/scale", {"get", "patch"}},
      {"apps/statefulsets/scale", {"get", "patch"}},
      {"apps/replicasets/scale", {"get", "patch"}},
      {"/pods", {"get", "delete", "patch"}},
      {"networking.k8s.io/networkpolicies", {"get", "create", "delete"}},
  };
  EXPECT_EQ(granted, needed);
  // The binding ties the role to vigil's ServiceAccount.
  bool bound = false;
  for (const auto& d : docs) {
    if (d["kind"].as<std::string>() == "ClusterRoleBinding") {
      bound = d["roleRef"]["name"].as<std::string>() == role["metadata"]["name"].as<std::string>() &&
              d["subjects"][0]["kind"].as<std::string>() == "ServiceAccount";
    }
  }
  EXPECT_TRUE(bound);
}

}  // namespace
}  // namespace vigil::remediate
