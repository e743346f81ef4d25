#include "remediate/config.h"

#include <gtest/gtest.h>

#include "remediate/aws_actions.h"
#include "remediate/remediate_test_util.h"

namespace vigil::remediate {
namespace {

TEST(RemediationConfigTest, DefaultsHoldWhenNothingIsSaid) {
  auto c = ParseRemediationConfig("serve: {listen: 127.0.0.1:8080}\n", "vigil.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->protected_namespaces, std::vector<std::string>{"kube-system"});
  EXPECT_EQ(c->ticket_min_severity, findings::Severity::kMedium);
  EXPECT_EQ(c->attempt_cap, 3u);
  EXPECT_EQ(c->accepted_risk_label, "accepted-risk");
  EXPECT_EQ(c->approve_label, "approve-fix");
  EXPECT_TRUE(c->playbooks.empty());
}

TEST(RemediationConfigTest, ReadsAPlaybook) {
  auto c = ParseRemediationConfig(R"(
remediation:
  global_cap_per_hour: 7
  flap_window: 2h
  trackers:
    github: {repository: acme/infra, token_env: MY_TOKEN, labels: [security]}
  playbooks:
    - name: gd5
      mode: approve
      rate_limit_per_hour: 2
      match: {control: GuardDuty.5, compliance: [FAILED], account: ["1111*"]}
      exclude: {account: "111100000000"}
      actions:
        - aws.guardduty.enable-eks-audit-logs: {auto_enable: NEW}
        - command: {argv: [/usr/local/bin/page, oncall]}
)",
                                  "vigil.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_EQ(c->playbooks.size(), 1u);
  const Playbook& p = c->playbooks[0];
  EXPECT_EQ(p.mode, Mode::kApprove);
  EXPECT_EQ(p.rate_limit_per_hour, 2u);
  EXPECT_EQ(c->global_cap_per_hour, 7u);
  EXPECT_EQ(c->flap_window_seconds, 7200);
  ASSERT_EQ(p.actions.size(), 2u);
  EXPECT_EQ(p.actions[0].params["auto_enable"], "NEW");
  EXPECT_EQ(p.actions[1].params["argv"][1], "oncall");
  ASSERT_EQ(c->trackers.size(), 1u);
  EXPECT_EQ(c->trackers[0].type, "github");

  findings::Finding f;
  f.account = "111122223333";
  f.compliance = findings::Compliance{};
  f.compliance->control_id = "GuardDuty.5";
  f.compliance->status = findings::ComplianceStatus::kFailed;
  EXPECT_EQ(FindPlaybook(*c, f), &p);
  f.account = "111100000000";
  EXPECT_EQ(FindPlaybook(*c, f), nullptr) << "excluded";
  f.account = "222222222222";
  EXPECT_EQ(FindPlaybook(*c, f), nullptr);
}

TEST(RemediationConfigTest, RejectsBadInputSayingWhatAndWhere) {
  struct Case {
    const char* yaml;
    const char* says;
  } cases[] = {
      {"remediation:\n  playbooks:\n    - name: x\n      mode: yolo\n      match: {type: a}\n",
       "test.yaml:4:13: mode: expected off, notify, dry-run, approve or auto"},
      {"remediation:\n  playbooks:\n    - name: x\n", "'match' is required"},
      {"remediation:\n  atempt_cap: 3\n", "unknown key 'atempt_cap'"},
      {"remediation:\n  attempt_cap: -1\n", "attempt_cap: expected a positive whole number"},
      {"remediation:\n  flap_window: soon\n", "flap_window: expected a duration"},
      {"remediation:\n  trackers:\n    github: {token: abc}\n", "a token is never written"},
      {"remediation:\n  playbooks:\n    - {name: a, match: {type: t}}\n    - {name: a, match: "
       "{type: t}}\n",
       "defined twice"},
      {"remediation:\n  playbooks:\n    - {name: a, tracker: jira, match: {type: t}}\n",
       "tracker 'jira' is not configured"},
      {"remediation: [\n", "not valid YAML"},
      {"remediation:\n  playbooks:\n    - {name: a, match: {compliance: [BROKEN]}}\n",
       "'BROKEN' is not PASSED"},
      {"remediation:\n  include: [/nonexistent/playbooks.yaml]\n", "cannot read"},
  };
  for (const Case& c : cases) {
    auto r = ParseRemediationConfig(c.yaml, "test.yaml");
    ASSERT_FALSE(r.has_value()) << c.yaml;
    EXPECT_EQ(r.error().code, ErrorCode::kConfig);
    EXPECT_NE(r.error().ToString().find(c.says), std::string::npos)
        << c.yaml << "\n→ " << r.error().ToString();
  }
}

TEST(RemediationConfigTest, IncludesPlaybookFilesRelativeToTheConfig) {
  tests::TempDir dir;
  std::ofstream(dir.File("more.yaml")) << "playbooks:\n  - {name: b, match: {type: t}}\n";
  std::ofstream(dir.File("vigil.yaml"))
      << "remediation:\n  include: more.yaml\n  playbooks:\n    - {name: a, match: {type: u}}\n";
  auto c = LoadRemediationConfig(dir.File("vigil.yaml"));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_EQ(c->playbooks.size(), 2u);
  EXPECT_EQ(c->playbooks[0].name, "b");
}

TEST(RemediationConfigTest, TheExampleConfigLoads) {
  auto c = LoadRemediationConfig(testing::Example("remediate-guardduty5.yaml"));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_FALSE(c->playbooks.empty());
  EXPECT_EQ(c->playbooks[0].mode, Mode::kDryRun);
}

TEST(GitHubOptionsTest, DefaultsComeFromGitHubActionsVariables) {
  TrackerConfig t;
  t.name = "github";
  t.type = "github";
  std::map<std::string, std::string> env = {{"GITHUB_API_URL", "https://ghe.example.com/api/v3"},
                                            {"GITHUB_REPOSITORY", "acme/infra"},
                                            {"GITHUB_TOKEN", "secret-value"}};
  auto o = ResolveGitHubOptions(t, &env);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->api_url, "https://ghe.example.com/api/v3");
  EXPECT_EQ(o->repository, "acme/infra");
  EXPECT_EQ(o->token, "secret-value");
  env.erase("GITHUB_TOKEN");
  auto missing = ResolveGitHubOptions(t, &env);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("GITHUB_TOKEN"), std::string::npos);
}

TEST(GitHubTrackerTest, ErrorsNeverCarryTheToken) {
  vigil::testing::FakeGitHub gh("acme/infra", "right-token");
  ASSERT_TRUE(gh.Start());
  GitHubOptions o;
  o.api_url = gh.url();
  o.repository = "acme/infra";
  o.token = "wrong-token-value";
  o.sleep = [](std::chrono::milliseconds) {};
  auto t = GitHubTracker::Create(o);
  ASSERT_TRUE(t.has_value());
  TicketContent c{"f1", "title", "body", findings::Severity::kHigh, {}};
  auto r = (*t)->Open(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("401"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Bad credentials"), std::string::npos);
  EXPECT_EQ(r.error().message.find("wrong-token-value"), std::string::npos);
  EXPECT_EQ(gh.requests().size(), 1u) << "a 401 is not retried";
}

TEST(GitHubTrackerTest, RateLimitedAnswersAreRetriedAfterTheReset) {
  vigil::testing::FakeGitHub gh("acme/infra", "t");
  ASSERT_TRUE(gh.Start());
  GitHubOptions o;
  o.api_url = gh.url();
  o.repository = "acme/infra";
  o.token = "t";
  std::vector<std::chrono::milliseconds> waits;
  o.sleep = [&](std::chrono::milliseconds d) { waits.push_back(d); };
  auto t = GitHubTracker::Create(o);
  ASSERT_TRUE(t.has_value());
  gh.RateLimitNext(1);
  auto r = (*t)->Open({"f1", "title", "body", findings::Severity::kHigh, {}});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_GE(waits[0], std::chrono::milliseconds(1000)) << "waited for X-RateLimit-Reset";
  EXPECT_EQ(gh.issues().size(), 1u);
}

TEST(CommandActionTest, RunsTheProgramWithTheFindingOnStandardInput) {
  tests::TempDir dir;
  controls::ProcessRunner runner;
  auto action = MakeCommandAction(runner);
  findings::Finding f;
  f.id = "abc";
  f.type = "Custom:Kubernetes/Test";
  const std::string out = dir.File("got.json");
  auto plan = action->Plan(f, {{"argv", {"/bin/sh", "-c", "cat > \"$0\"", out}}});
  ASSERT_TRUE(plan.has_value()) << plan.error().ToString();
  ASSERT_EQ(plan->size(), 1u);
  auto dry = action->Apply((*plan)[0], true);
  ASSERT_TRUE(dry.has_value());
  EXPECT_FALSE(std::filesystem::exists(out)) << "a dry run runs nothing";
  auto applied = action->Apply((*plan)[0], false);
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  auto got = nlohmann::json::parse(testing::ReadText(out));
  EXPECT_EQ(got["id"], "abc");
  EXPECT_EQ(got["type"], "Custom:Kubernetes/Test");
  // A program that does not read its input, and a failing one.
  auto deaf = action->Plan(f, {{"argv", {"/bin/true"}}});
  EXPECT_TRUE(action->Apply((*deaf)[0], false).has_value());
  auto failing = action->Plan(f, {{"argv", {"/bin/false"}}});
  EXPECT_FALSE(action->Apply((*failing)[0], false).has_value());
  EXPECT_FALSE(action->Plan(f, {{"argv", nlohmann::json::array()}}).has_value());
}

TEST(EksActionTest, EnablesAuditKeepingTheOtherTypesAndRollsBack) {
  tests::TempDir dir;
  const std::string aws = dir.File("aws");
  std::filesystem::copy_file(std::string(VIGIL_SOURCE_DIR) + "/tests/remediate/fake_aws.sh", aws);
  std::filesystem::permissions(aws, std::filesystem::perms::owner_all);
  ::setenv("FAKE_AWS_STATE", dir.path().c_str(), 1);
  controls::ProcessRunner runner;
  auto action = MakeEksAuditLoggingAction(runner);
  findings::Finding f;
  f.compliance = findings::Compliance{};
  f.compliance->control_id = "EKS.8";
  f.compliance->resource_id = "arn:aws:eks:us-east-1:111122223333:cluster/prod";
  auto plan = action->Plan(f, {{"aws", aws}});
  ASSERT_TRUE(plan.has_value()) << plan.error().ToString();
  const std::vector<std::string> argv = (*plan)[0].detail["argv"];
  EXPECT_EQ(argv, (std::vector<std::string>{
                      aws, "eks", "update-cluster-config", "--region", "us-east-1", "--name",
                      "prod", "--logging",
                      R"({"clusterLogging":[{"types":["audit"],"enabled":true}]})"}));
  auto out = action->Apply((*plan)[0], false);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_FALSE(out->before["audit"].get<bool>());
  EXPECT_TRUE(out->before["types"]["api"].get<bool>()) << "recorded as it was";
  EXPECT_TRUE(out->after["audit"].get<bool>());
  EXPECT_TRUE(out->after["types"]["api"].get<bool>());
  EXPECT_EQ(action->Verify((*plan)[0], *out)->verdict, Verdict::kFixed);
  auto back = action->Rollback((*plan)[0], *out);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_FALSE(back->after["audit"].get<bool>());
  f.compliance->control_id = "GuardDuty.5";
  EXPECT_FALSE(action->Plan(f, {}).has_value());
}

}  // namespace
}  // namespace vigil::remediate
