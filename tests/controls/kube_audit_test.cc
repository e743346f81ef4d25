// KubeAudit.1–.3 over kube-apiserver manifests, flags files and audit policies
// (tests/data/controls/apiserver), and the API server's policy matching.
#include "controls/kube_audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "controls/controls_test_util.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Severity;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace vigil::controls::testing;

constexpr UnixNanos kNow = 1'764'000'000'000'000'000;

std::string Apiserver(std::string_view name) {
  return FixtureFile("apiserver/" + std::string(name));
}

std::vector<findings::Finding> Check(std::string_view manifest, std::string_view policy = "") {
  KubeAuditOptions options;
  options.cluster = "lab";
  if (!policy.empty()) options.policy_file = Apiserver(policy);
  auto r = EvaluateApiServerManifest(Apiserver(manifest), options, kNow);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  return r ? std::move(*r) : std::vector<findings::Finding>{};
}

TEST(KubeAuditTest, GoodManifestAndPolicyPassAllThree) {
  auto results =
      Check("good-manifest.yaml");  // its --audit-policy-file is relative: good-policy.yaml
  ASSERT_EQ(results.size(), 3u);
  for (const auto& f : results) {
    EXPECT_EQ(StatusOf(f), ComplianceStatus::kPassed)
        << f.compliance->control_id << ": " << ReasonsOf(f);
    EXPECT_EQ(f.cluster, "lab");
    EXPECT_EQ(f.severity, Severity::kInformational);
  }
  EXPECT_THAT(ReasonsOf(OneResult(results, "KubeAudit.3")),
              HasSubstr("Secrets are logged at Metadata only"));
  EXPECT_THAT(ReasonsOf(OneResult(results, "KubeAudit.1")), HasSubstr("a log file and a webhook"));
}

TEST(KubeAuditTest, ManifestWithoutAuditFlagsFailsEveryClauseByName) {
  auto results = Check("no-audit-manifest.yaml");
  const auto& enabled = OneResult(results, "KubeAudit.1");
  EXPECT_EQ(StatusOf(enabled), ComplianceStatus::kFailed);
  EXPECT_EQ(enabled.severity, Severity::kHigh);
  EXPECT_THAT(ReasonsOf(enabled), HasSubstr("--audit-policy-file is not set"));
  EXPECT_THAT(ReasonsOf(enabled),
              HasSubstr("neither --audit-log-path nor --audit-webhook-config-file"));
  EXPECT_EQ(StatusOf(OneResult(results, "KubeAudit.2")), ComplianceStatus::kFailed);
  const auto& policy = OneResult(results, "KubeAudit.3");
  EXPECT_EQ(StatusOf(policy), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("there is no policy"));
}

TEST(KubeAuditTest, FlagsFileWithShortRetentionNamesEachFlag) {
  auto results = Check("short-retention.flags", "good-policy.yaml");
  EXPECT_EQ(StatusOf(OneResult(results, "KubeAudit.1")), ComplianceStatus::kPassed);
  const auto& retention = OneResult(results, "KubeAudit.2");
  EXPECT_EQ(StatusOf(retention), ComplianceStatus::kFailed);
  EXPECT_EQ(retention.severity, Severity::kMedium);
  EXPECT_THAT(ReasonsOf(retention), HasSubstr("--audit-log-maxage=7 is below 30 (CIS 1.2.17)"));
  EXPECT_THAT(ReasonsOf(retention), HasSubstr("--audit-log-maxbackup is not set"));
  EXPECT_THAT(ReasonsOf(retention), Not(HasSubstr("maxsize")));
  EXPECT_EQ(StatusOf(OneResult(results, "KubeAudit.3")), ComplianceStatus::kPassed);
}

TEST(KubeAuditTest, PolicyPathFromTheHostThatIsNotHereIsNotAvailable) {
  auto results = Check("short-retention.flags");
  const auto& policy = OneResult(results, "KubeAudit.3");
  EXPECT_EQ(StatusOf(policy), ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("/etc/kubernetes/policies/audit.yaml"));
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("--audit-policy"));
}

TEST(KubeAuditTest, BadPolicyNamesEveryFailedClause) {
  auto results = Check("good-manifest.yaml", "bad-policy.yaml");
  const auto& policy = OneResult(results, "KubeAudit.3");
  ASSERT_EQ(StatusOf(policy), ComplianceStatus::kFailed);
  const std::string reasons = ReasonsOf(policy);
  // The catch-all Metadata rule (rule 4) wins before the workload rule: first match decides.
  EXPECT_THAT(reasons, HasSubstr("not true that pods are written at Request or RequestResponse: "
                                 "create pods by vigil-probe@example.com in default is logged at "
                                 "Metadata (rule 4, line 20)"));
  EXPECT_THAT(reasons, HasSubstr("not true that pod-template workloads"));
  EXPECT_THAT(reasons, HasSubstr("not true that Secrets are logged at Metadata only: get secrets"));
  EXPECT_THAT(reasons, HasSubstr("is logged at RequestResponse (rule 1"));
  EXPECT_THAT(reasons, HasSubstr("not true that pods/exec, pods/attach and pods/portforward are "
                                 "logged: create pods/exec by vigil-probe@example.com in "
                                 "kube-system is logged at None (rule 2"));
  EXPECT_THAT(reasons, HasSubstr("not true that the RequestReceived stage is omitted"));
  // RBAC bindings are fine in this policy.
  EXPECT_THAT(reasons, Not(HasSubstr("RBAC bindings")));
  EXPECT_EQ(policy.compliance->reasons.size(), 5u);
}

TEST(KubeAuditTest, PolicyThatDropsAnonymousRequestsFails) {
  auto results = Check("good-manifest.yaml", "anonymous-blind-policy.yaml");
  const auto& policy = OneResult(results, "KubeAudit.3");
  ASSERT_EQ(StatusOf(policy), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("by system:anonymous"));
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("logged at None (rule 1"));
}

TEST(KubeAuditTest, InvalidPolicyIsNotAvailableWithFileAndLine) {
  auto results = Check("good-manifest.yaml", "not-a-policy.yaml");
  const auto& policy = OneResult(results, "KubeAudit.3");
  EXPECT_EQ(StatusOf(policy), ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("not-a-policy.yaml:4:"));
  EXPECT_THAT(ReasonsOf(policy), HasSubstr("unknown level 'Verbose'"));
}

TEST(KubeAuditTest, ManifestErrorsAreConfigErrorsNamingTheFile) {
  auto none = ParseApiServerFlags("just some words\n", "x.flags");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::kConfig);
  EXPECT_THAT(none.error().ToString(), HasSubstr("x.flags"));
  auto deployment = ParseApiServerFlags("apiVersion: apps/v1\nkind: Deployment\n", "d.yaml");
  ASSERT_FALSE(deployment.has_value());
  EXPECT_THAT(deployment.error().ToString(), HasSubstr("d.yaml:2:7: kind is not 'Pod'"));
  auto no_apiserver = ParseApiServerFlags(
      "kind: Pod\nspec:\n  containers:\n  - name: etcd\n    command: [etcd, --data-dir=/x]\n",
      "p.yaml");
  ASSERT_FALSE(no_apiserver.has_value());
  EXPECT_THAT(no_apiserver.error().message, HasSubstr("no kube-apiserver container"));
  auto missing = EvaluateApiServerManifest(Apiserver("nope.yaml"), {}, kNow);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

TEST(KubeAuditTest, FlagsFileAcceptsQuotedAndSpaceSeparatedValues) {
  auto flags = ParseApiServerFlags(
      "KUBE_APISERVER_ARGS=\"--audit-log-path '/var/log/a b.log' --audit-log-maxage=30 --v=2\"\n",
      "env");
  ASSERT_TRUE(flags.has_value()) << flags.error().message;
  EXPECT_EQ(flags->values.at("audit-log-path"), "/var/log/a b.log");
  EXPECT_EQ(flags->values.at("audit-log-maxage"), "30");
}

// controls_policy_fuzz found that "--=value" made a flag without a name.
TEST(KubeAuditTest, FuzzRegressionTokenWithoutAFlagNameIsSkipped) {
  std::ifstream in(FixtureFile("fuzz_regressions/flag_without_name"), std::ios::binary);
  ASSERT_TRUE(in);
  std::ostringstream text;
  text << in.rdbuf();
  auto flags = ParseApiServerFlags(text.str(), "crash");
  ASSERT_TRUE(flags.has_value()) << flags.error().message;
  for (const auto& [name, value] : flags->values) EXPECT_FALSE(name.empty()) << value;
  auto simple = ParseApiServerFlags("--=/etc/policy.yaml --v=2\n", "x");
  ASSERT_TRUE(simple.has_value());
  EXPECT_EQ(simple->values.size(), 1u);
}

// The API server's matching rules, one by one.
class AuditPolicyMatchTest : public ::testing::Test {
 protected:
  AuditDecision Decide(std::string_view yaml, AuditRequest q) {
    auto policy = ParseAuditPolicy(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + std::string(yaml), "p.yaml");
    EXPECT_TRUE(policy.has_value()) << (policy ? "" : policy.error().ToString());
    return policy ? Evaluate(*policy, q) : AuditDecision{};
  }
  static AuditRequest Pod(std::string verb, std::string sub = "", std::string ns = "default") {
    AuditRequest q;
    q.user = "alice";
    q.groups = {"system:authenticated"};
    q.verb = std::move(verb);
    q.resource = "pods";
    q.subresource = std::move(sub);
    q.ns = std::move(ns);
    q.name = "web";
    return q;
  }
};

TEST_F(AuditPolicyMatchTest, FirstMatchingRuleWinsAndNoMatchIsNone) {
  const char* rules = "- level: Metadata\n  verbs: [get]\n- level: Request\n";
  EXPECT_EQ(Decide(rules, Pod("get")).level, AuditLevel::kMetadata);
  EXPECT_EQ(Decide(rules, Pod("create")).level, AuditLevel::kRequest);
  EXPECT_EQ(Decide("- level: Request\n  verbs: [delete]\n", Pod("get")).level, AuditLevel::kNone);
  EXPECT_EQ(Decide("- level: Request\n  verbs: [delete]\n", Pod("get")).rule, -1);
}

TEST_F(AuditPolicyMatchTest, SubresourceWildcards) {
  EXPECT_EQ(Decide("- level: Request\n  resources: [{group: \"\", resources: [\"pods/*\"]}]\n",
                   Pod("create", "exec"))
                .level,
            AuditLevel::kRequest);
  EXPECT_EQ(Decide("- level: Request\n  resources: [{group: \"\", resources: [\"*/exec\"]}]\n",
                   Pod("create", "exec"))
                .level,
            AuditLevel::kRequest);
  // "pods" alone does not cover pods/exec.
  EXPECT_EQ(Decide("- level: Request\n  resources: [{group: \"\", resources: [pods]}]\n",
                   Pod("create", "exec"))
                .level,
            AuditLevel::kNone);
  // A group with no resources covers every resource of the group.
  EXPECT_EQ(Decide("- level: Request\n  resources: [{group: \"\"}]\n", Pod("create", "exec")).level,
            AuditLevel::kRequest);
  // Another group does not.
  EXPECT_EQ(Decide("- level: Request\n  resources: [{group: apps}]\n", Pod("create")).level,
            AuditLevel::kNone);
}

TEST_F(AuditPolicyMatchTest, NamespacesUsersGroupsAndResourceNames) {
  EXPECT_EQ(Decide("- level: None\n  namespaces: [kube-system]\n- level: Metadata\n",
                   Pod("get", "", "kube-system"))
                .level,
            AuditLevel::kNone);
  EXPECT_EQ(Decide("- level: None\n  users: [bob]\n- level: Metadata\n", Pod("get")).level,
            AuditLevel::kMetadata);
  EXPECT_EQ(
      Decide("- level: None\n  userGroups: [system:authenticated]\n- level: Metadata\n", Pod("get"))
          .level,
      AuditLevel::kNone);
  EXPECT_EQ(
      Decide("- level: None\n  resources: [{group: \"\", resources: [pods], resourceNames: [db]}]\n"
             "- level: Metadata\n",
             Pod("get"))
          .level,
      AuditLevel::kMetadata);
}

TEST_F(AuditPolicyMatchTest, NonResourceUrlRulesSkipResourceRequests) {
  AuditRequest health;
  health.user = "alice";
  health.verb = "get";
  health.resource_request = false;
  health.path = "/healthz/etcd";
  const char* rules = "- level: None\n  nonResourceURLs: [\"/healthz*\"]\n- level: Metadata\n";
  EXPECT_EQ(Decide(rules, health).level, AuditLevel::kNone);
  EXPECT_EQ(Decide(rules, Pod("get")).level, AuditLevel::kMetadata);
}

TEST_F(AuditPolicyMatchTest, OmitStagesJoinPolicyAndRule) {
  auto policy = ParseAuditPolicy(
      "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n"
      "- level: Metadata\n  omitStages: [ResponseStarted]\n",
      "p.yaml");
  ASSERT_TRUE(policy.has_value());
  auto d = Evaluate(*policy, Pod("get"));
  EXPECT_THAT(d.omit_stages, ::testing::UnorderedElementsAre("RequestReceived", "ResponseStarted"));
}

TEST_F(AuditPolicyMatchTest, ParseErrorsNameFileLineAndProblem) {
  auto wrong_kind = ParseAuditPolicy("apiVersion: v1\nkind: ConfigMap\n", "p.yaml");
  ASSERT_FALSE(wrong_kind.has_value());
  EXPECT_EQ(wrong_kind.error().ToString(), "p.yaml:2:7: kind is not 'Policy'");
  auto bad_list = ParseAuditPolicy(
      "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: get\n", "p.yaml");
  ASSERT_FALSE(bad_list.has_value());
  EXPECT_EQ(bad_list.error().ToString(), "p.yaml:5:10: 'verbs' must be a list");
  auto not_yaml = ParseAuditPolicy("rules: [", "p.yaml");
  ASSERT_FALSE(not_yaml.has_value());
  EXPECT_THAT(not_yaml.error().ToString(), HasSubstr("p.yaml:"));
}

}  // namespace
}  // namespace vigil::controls
