// The engine wired to the integrations through the remediation config, end to end: one vigil config
// with a `kubernetes:` section (FakeKubeApiServer over loopback HTTPS), a Jira tracker (FakeJira)
// and a signed webhook notifier (a loopback receiver that checks every signature), built by
// RemediationRuntime::Create and driven through Engine with a real SQLite state file. The finding
// is the one rules/policy.yaml emits for an anonymous binding (Policy:Kubernetes/
// AnonymousAccessGranted). Real AWS/Jira/Kubernetes cannot run here; these fakes answer like them.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "remediate/base64.h"
#include "remediate/config.h"
#include "remediate/engine.h"
#include "remediate/integrations/fake_jira.h"
#include "remediate/integrations/fake_kube.h"
#include "remediate/integrations/loopback_server.h"
#include "remediate/notifiers.h"
#include "remediate/runtime.h"
#include "store/sqlite/remediation_state.h"
#include "temp_dir.h"

namespace vigil::remediate::testing {
namespace {

using json = nlohmann::json;
using vigil::tests::TempDir;

const char* kCrbPath = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/anon-admin";
const char* kRbPath =
    "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings/anon-view";
constexpr const char* kSecret = "whsec-wiring-test";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

json Binding(const std::string& kind, const std::string& name, const std::string& ns) {
  json meta = {{"name", name}};
  if (!ns.empty()) meta["namespace"] = ns;
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", kind},
          {"metadata", meta},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "view"}}},
          {"subjects",
           {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"},
             {"name", "system:anonymous"}}}}};
}

findings::Finding AnonymousBindingFinding(const std::string& resource, const std::string& ns,
                                          const std::string& name) {
  findings::Finding f;
  f.id = "f-" + name;
  f.type = "Policy:Kubernetes/AnonymousAccessGranted";  // rules/policy.yaml
  f.rule = "Policy:Kubernetes/AnonymousAccessGranted";
  f.title = "Anonymous access granted by " + resource + " " + name;
  f.severity = findings::Severity::kHigh;
  f.cluster = "prod";
  f.resource.api_group = "rbac.authorization.k8s.io";
  f.resource.resource = resource;
  f.resource.ns = ns;
  f.resource.name = name;
  return f;
}

class WiringTest : public ::testing::Test {
 protected:
  WiringTest()
      : ca_("wiring-ca"),
        kube_(ca_, "sa-token-wiring"),
        jira_(ca_, "bot@example.com", "jira-token-wiring") {
    receiver_.server().Post("/hooks/vigil", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!VerifySignature(kSecret, req.body, req.get_header_value("X-Vigil-Signature-256"))) {
        ++bad_signatures_;
        res.status = 401;
        return;
      }
      events_.push_back(req.get_header_value("X-Vigil-Event"));
      res.status = 204;
    });
    receiver_.Start();
    WriteFile(dir_.File("ca.pem"), ca_.cert_pem());
    WriteFile(dir_.File("jira.token"), "jira-token-wiring\n");
    WriteFile(dir_.File("kubeconfig"),
              "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
              "clusters:\n- name: fake\n  cluster:\n    server: " + kube_.url() +
                  "\n    certificate-authority-data: " + Base64Encode(ca_.cert_pem()) +
                  "\ncontexts:\n- name: test\n  context:\n    cluster: fake\n    user: vigil\n"
                  "users:\n- name: vigil\n  user:\n    token: sa-token-wiring\n");
    ::setenv("VIGIL_WIRING_WEBHOOK_SECRET", kSecret, 1);
  }

  std::string Config(const std::string& mode) const {
    return "remediation:\n"
           "  kubernetes:\n"
           "    kubeconfig: " + dir_.File("kubeconfig") + "\n"
           "    retry: {max_attempts: 2, initial_backoff_ms: 1}\n"
           "  trackers:\n"
           "    jira:\n"
           "      type: jira\n"
           "      url: " + jira_.url() + "\n"
           "      project: SEC\n"
           "      ca_file: " + dir_.File("ca.pem") + "\n"
           "      auth: {email: bot@example.com, token_file: " + dir_.File("jira.token") + "}\n"
           "  notifiers:\n"
           "    soc:\n"
           "      type: webhook\n"
           "      url: " + receiver_.url("http") + "/hooks/vigil\n"
           "      secret_env: VIGIL_WIRING_WEBHOOK_SECRET\n"
           "  playbooks:\n"
           "    - name: anonymous-binding\n"
           "      mode: " + mode + "\n"
           "      notify: [soc]\n"
           "      match: {type: [Policy:Kubernetes/AnonymousAccessGranted]}\n"
           "      actions:\n"
           "        - kubernetes.delete-binding: {}\n";
  }

  // A fresh runtime, state and engine over the same SQLite file (as a new process would).
  Engine Open(const std::string& mode) {
    auto cfg = ParseRemediationConfig(Config(mode), "vigil.yaml");
    EXPECT_TRUE(cfg) << cfg.error().ToString();
    auto rt = RemediationRuntime::Create(*cfg, /*offline=*/false);
    EXPECT_TRUE(rt) << rt.error().ToString();
    runtime_ = std::move(*rt);
    auto st = store::SqliteRemediationState::Open(dir_.File("vigil.db"));
    EXPECT_TRUE(st) << st.error().ToString();
    state_ = std::move(*st);
    return Engine(runtime_->Deps(state_.get(), nullptr));
  }

  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

  std::vector<JournalEntry> Journal(const std::string& kind) {
    auto all = state_->ListJournal(0, 0, "");
    EXPECT_TRUE(all);
    std::vector<JournalEntry> out;
    for (auto& e : *all)
      if (e.kind == kind) out.push_back(e);
    return out;
  }

  TempDir dir_;
  TestCa ca_;
  FakeKubeApiServer kube_;
  FakeJira jira_;
  LoopbackServer receiver_;
  std::mutex mu_;
  std::vector<std::string> events_;
  int bad_signatures_ = 0;
  std::unique_ptr<RemediationRuntime> runtime_;
  std::unique_ptr<store::SqliteRemediationState> state_;
};

const UnixNanos kT0 = 1'790'000'000LL * 1'000'000'000LL;

TEST_F(WiringTest, AutoModeDeletesTheBindingVerifiesClosesTheJiraIssueAndRollbackRestoresIt) {
  kube_.Put(kCrbPath, Binding("ClusterRoleBinding", "anon-admin", ""));
  const auto f = AnonymousBindingFinding("clusterrolebindings", "", "anon-admin");
  {
    Engine engine = Open("auto");
    auto run = engine.Process(std::span(&f, 1), kT0, /*execute=*/true);
    ASSERT_TRUE(run) << run.error().ToString();
    for (const auto& n : run->notes) EXPECT_NE(n.kind, "error") << n.text;
  }
  EXPECT_FALSE(kube_.Get(kCrbPath).has_value()) << "the binding was not deleted";
  ASSERT_EQ(jira_.issue_count(), 1u);
  const json issue = jira_.issue("SEC-1");
  EXPECT_EQ(issue["status"], "Done") << issue.dump();
  auto verifications = Journal("verification");
  ASSERT_EQ(verifications.size(), 1u);
  EXPECT_EQ(verifications[0].detail["verdict"], "fixed");
  // The receiver got signed notifications for opened, applied and closed, and no bad signature.
  const auto events = Events();
  EXPECT_EQ(bad_signatures_, 0);
  EXPECT_NE(std::find(events.begin(), events.end(), "ticket.opened"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "action.applied"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "ticket.closed"), events.end());
  EXPECT_EQ(Journal("notification").size(), events.size());

  // A re-run opens no second issue.
  {
    Engine engine = Open("auto");
    ASSERT_TRUE(engine.Process(std::span(&f, 1), kT0 + 60'000'000'000LL, true));
  }
  EXPECT_EQ(jira_.issue_count(), 1u);
  EXPECT_EQ(jira_.creates(), 1u);

  // Rollback re-creates the deleted binding.
  auto actions = Journal("action");
  ASSERT_EQ(actions.size(), 1u);
  Engine engine = Open("auto");
  auto rolled = engine.Rollback(actions[0].action_id, "tester", kT0 + 120'000'000'000LL);
  ASSERT_TRUE(rolled) << rolled.error().ToString();
  auto restored = kube_.Get(kCrbPath);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ((*restored)["subjects"][0]["name"], "system:anonymous");
}

TEST_F(WiringTest, AKubeSystemRoleBindingIsRefusedAndSaysWhy) {
  kube_.Put(kRbPath, Binding("RoleBinding", "anon-view", "kube-system"));
  const auto f = AnonymousBindingFinding("rolebindings", "kube-system", "anon-view");
  Engine engine = Open("auto");
  auto run = engine.Process(std::span(&f, 1), kT0, true);
  ASSERT_TRUE(run) << run.error().ToString();
  bool refused = false;
  for (const auto& n : run->notes) {
    if (n.kind == "refused") {
      refused = true;
      EXPECT_NE(n.text.find("kube-system"), std::string::npos) << n.text;
    }
  }
  std::string all;
  for (const auto& n : run->notes) all += n.kind + ": " + n.text + "\n";
  EXPECT_TRUE(refused) << all;
  EXPECT_TRUE(kube_.Get(kRbPath).has_value());
  EXPECT_EQ(kube_.mutating_requests(), 0u);
}

TEST_F(WiringTest, DryRunModeSendsDryRunAllAndPersistsNothing) {
  kube_.Put(kCrbPath, Binding("ClusterRoleBinding", "anon-admin", ""));
  const auto f = AnonymousBindingFinding("clusterrolebindings", "", "anon-admin");
  Engine engine = Open("dry-run");
  auto run = engine.Process(std::span(&f, 1), kT0, true);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_TRUE(kube_.Get(kCrbPath).has_value());
  bool saw_dry_delete = false;
  for (const auto& r : kube_.requests()) {
    if (r.method == "DELETE") {
      EXPECT_EQ(r.query, "dryRun=All");
      saw_dry_delete = true;
    }
  }
  EXPECT_TRUE(saw_dry_delete);
  EXPECT_TRUE(Journal("action").empty());
}

TEST_F(WiringTest, AFailingNotifierIsJournaledAndDoesNotStopRemediation) {
  kube_.Put(kCrbPath, Binding("ClusterRoleBinding", "anon-admin", ""));
  ::setenv("VIGIL_WIRING_WEBHOOK_SECRET", "a-different-secret", 1);  // the receiver answers 401
  const auto f = AnonymousBindingFinding("clusterrolebindings", "", "anon-admin");
  Engine engine = Open("auto");
  auto run = engine.Process(std::span(&f, 1), kT0, true);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_FALSE(kube_.Get(kCrbPath).has_value());
  auto notes = Journal("notification");
  ASSERT_FALSE(notes.empty());
  for (const auto& n : notes) {
    EXPECT_EQ(n.detail["ok"], false);
    EXPECT_EQ(n.detail.dump().find("a-different-secret"), std::string::npos);
  }
}

TEST(WiringConfigTest, OfflinePlanNeedsNoCredentialsAndErrorsKeepTheirPosition) {
  const std::string text =
      "remediation:\n"
      "  kubernetes: {kubeconfig: /nonexistent/kubeconfig}\n"
      "  trackers:\n"
      "    jira: {type: jira, url: 'https://jira.invalid', project: SEC,\n"
      "           auth: {email: a@b, token_env: VIGIL_WIRING_UNSET_TOKEN}}\n"
      "  notifiers:\n"
      "    soc: {type: webhook, url: 'https://hooks.invalid/x', secret_env: VIGIL_WIRING_UNSET}\n";
  ::unsetenv("VIGIL_WIRING_UNSET_TOKEN");
  ::unsetenv("VIGIL_WIRING_UNSET");
  auto cfg = ParseRemediationConfig(text, "vigil.yaml");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  EXPECT_TRUE(RemediationRuntime::Create(*cfg, /*offline=*/true));
  auto online = RemediationRuntime::Create(*cfg, /*offline=*/false);
  ASSERT_FALSE(online);
  EXPECT_NE(online.error().ToString().find("vigil.yaml:"), std::string::npos)
      << online.error().ToString();

  auto bad = ParseRemediationConfig(
      "remediation:\n  notifiers:\n    soc: {type: pager}\n  playbooks:\n"
      "    - {name: p, notify: [nobody], match: {type: [x]}}\n",
      "vigil.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().ToString().find("vigil.yaml:3:"), std::string::npos)
      << bad.error().ToString();
  EXPECT_NE(bad.error().ToString().find("unknown type 'pager'"), std::string::npos);
}

// The combined example of docs/remediation-integrations.md parses as a whole config.
TEST(WiringConfigTest, TheDocsCombinedConfigParses) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/remediation-integrations.md");
  ASSERT_TRUE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t mark = doc.find("<!-- vigil-remediation-config: all -->");
  ASSERT_NE(mark, std::string::npos);
  const size_t body = doc.find('\n', doc.find("```", mark)) + 1;
  const std::string block = doc.substr(body, doc.find("```", body) - body);
  auto cfg = ParseRemediationConfig(block, "doc:all");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  EXPECT_EQ(cfg->notifiers.size(), 2u);
  EXPECT_TRUE(cfg->kubernetes.has_value());
  ASSERT_EQ(cfg->playbooks.size(), 1u);
  EXPECT_EQ(cfg->playbooks[0].notify->size(), 2u);
  EXPECT_EQ(cfg->trackers[0].type, "jira");
  // Offline (plan) it builds without any of the secrets or the kubeconfig.
  EXPECT_TRUE(RemediationRuntime::Create(*cfg, /*offline=*/true));
}

}  // namespace
}  // namespace vigil::remediate::testing
