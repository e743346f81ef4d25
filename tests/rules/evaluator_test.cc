// Evaluation semantics of every operator on scalar and list fields, over one realistic event.
#include <gtest/gtest.h>

#include <string>

#include "rules/compiler.h"
#include "rules/rule.h"
#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::LoadText;
using testing::TestEvent;

// A pod created by alice with two containers (one privileged) and a hostPath volume.
constexpr const char* kPodCreate = R"({
  "kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse",
  "auditID":"0b0c7c9e-1","stage":"ResponseComplete",
  "requestURI":"/api/v1/namespaces/default/pods?dryRun=All&fieldManager=kubectl%20client",
  "verb":"create",
  "user":{"username":"alice","groups":["dev","system:authenticated"]},
  "sourceIPs":["10.0.0.1"],"userAgent":"kubectl/v1.28.0",
  "objectRef":{"resource":"pods","namespace":"default","name":"web","apiVersion":"v1"},
  "responseStatus":{"code":201},
  "requestObject":{"kind":"Pod","spec":{
    "containers":[
      {"name":"a","image":"nginx:1.25","securityContext":{"privileged":false}},
      {"name":"b","image":"docker.io/library/mysql@sha256:abc","securityContext":{"privileged":true}}],
    "volumes":[{"name":"v1","hostPath":{"path":"/var/run/docker.sock"}},{"name":"v2","emptyDir":{}}]}},
  "annotations":{"authorization.k8s.io/decision":"allow"},
  "requestReceivedTimestamp":"2024-01-01T00:00:00.000000Z",
  "stageTimestamp":"2024-01-01T00:00:00.100000Z"
})";

std::string RuleWith(const std::string& condition) {
  return "- rule: r\n  desc: d\n  output: o\n  priority: WARNING\n  condition: |-\n    " +
         condition + "\n";
}

struct EvalCase {
  const char* condition;
  bool want;
};

class EvaluatorTest : public ::testing::TestWithParam<EvalCase> {};

TEST_P(EvaluatorTest, MatchesLikeFalco) {
  const EvalCase& c = GetParam();
  TestEvent ev(kPodCreate);
  ASSERT_TRUE(ev.ok()) << ev.error();
  auto set = LoadText(RuleWith(c.condition));
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EvalContext ctx(set->fields());
  ctx.Reset(ev.event());
  EXPECT_EQ(set->rules()[0].Matches(ctx), c.want) << c.condition;
  // Cached values give the same answer.
  EXPECT_EQ(set->rules()[0].Matches(ctx), c.want) << c.condition << " (second evaluation)";
}

INSTANTIATE_TEST_SUITE_P(
    Operators, EvaluatorTest,
    ::testing::Values(
        // Equality on scalars; a field that is not available makes every check false.
        EvalCase{"ka.verb = create", true},
        EvalCase{"ka.verb = get", false},
        EvalCase{"ka.verb != get", true},
        EvalCase{"ka.target.namespace != kube-system", true},
        EvalCase{"ka.target.subresource != exec", false},
        EvalCase{"ka.target.subresource = exec", false},
        EvalCase{"not ka.target.subresource = exec", true},
        EvalCase{"ka.target.subresource exists", false},
        EvalCase{"not ka.target.subresource exists", true},
        EvalCase{"ka.auth.decision = \"allow\"", true},
        EvalCase{"jevt.value[/objectRef/name] = web", true},
        EvalCase{"jevt.value[/nope] exists", false},
        EvalCase{"jevt.rawtime = 0", false},
        EvalCase{"jevt.rawtime exists", true},
        EvalCase{"ka.uri.param[dryRun] = All", true},
        EvalCase{"ka.uri.param[fieldManager] = \"kubectl client\"", true},
        // Orderings are numeric when both sides are numbers (libsinsp would compare "201" and
        // "1000" as strings and say 201 > 1000).
        EvalCase{"ka.response.code < 300", true},
        EvalCase{"ka.response.code > 1000", false},
        EvalCase{"ka.response.code >= 201", true},
        EvalCase{"ka.response.code <= 200", false},
        EvalCase{"ka.response.code > 0x10", true},
        EvalCase{"ka.response.code < 201.5", true},
        EvalCase{"ka.user.name > alicia", false},
        EvalCase{"ka.user.name > alan", true},
        EvalCase{"ka.user.name < bob", true},
        // Substrings and patterns.
        EvalCase{"ka.response.code startswith 2", true},
        EvalCase{"ka.uri startswith /api/", true},
        EvalCase{"ka.uri endswith client", true},
        EvalCase{"ka.uri contains dryRun", true},
        EvalCase{"ka.uri contains DRYRUN", false},
        EvalCase{"ka.uri icontains DRYRUN", true},
        EvalCase{"ka.uri bcontains 647279", true},
        EvalCase{"ka.uri bcontains 00", false},
        EvalCase{"ka.uri bstartswith 2f617069", true},
        EvalCase{"ka.uri glob '/api/v1/*'", true},
        EvalCase{"ka.uri glob '/api/v?/namespaces/*/pods*'", true},
        EvalCase{"ka.uri glob '/API/*'", false},
        EvalCase{"ka.uri iglob '/API/*'", true},
        EvalCase{"ka.uri pmatch (/api/v1)", true},
        EvalCase{"ka.uri pmatch (/apis, /healthz)", false},
        EvalCase{"ka.uri pmatch (/api/*/namespaces)", true},
        EvalCase{"ka.uri pmatch (/)", true},
        EvalCase{"ka.target.resource pmatch (pods)", true},
        // in / intersects on scalars.
        EvalCase{"ka.user.name in (bob, alice)", true},
        EvalCase{"ka.user.name in (bob)", false},
        EvalCase{"ka.user.name in ()", false},
        EvalCase{"not ka.user.name in ()", true},
        EvalCase{"ka.user.name intersects (alice)", true},
        EvalCase{"ka.user.name in (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, alice)", true},
        EvalCase{"ka.user.name in (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)", false},
        EvalCase{"ka.target.subresource in (exec, attach)", false},
        EvalCase{"not ka.target.subresource in (exec, attach)", true},
        // in / intersects on list fields: `in` is "every value", `intersects` "some value".
        EvalCase{"ka.user.groups intersects (dev)", true},
        EvalCase{"ka.user.groups intersects (ops, qa)", false},
        EvalCase{"ka.user.groups in (dev, system:authenticated, ops)", true},
        EvalCase{"ka.user.groups in (dev)", false},
        EvalCase{"ka.user.groups exists", true},
        EvalCase{"ka.req.pod.containers.image.repository in (nginx, docker.io/library/mysql)",
                 true},
        EvalCase{"ka.req.pod.containers.image.repository in (nginx)", false},
        EvalCase{"ka.req.pod.containers.privileged intersects (true)", true},
        EvalCase{"ka.req.pod.initContainers.privileged intersects (true)", false},
        EvalCase{"ka.req.pod.volumes.hostpath intersects (/proc, /var/run/docker.sock)", true},
        EvalCase{"ka.req.pod.volumes.hostpath intersects (/proc, /var/run)", false},
        // An index makes a list field a scalar.
        EvalCase{"ka.req.pod.containers.image[1] = docker.io/library/mysql@sha256:abc", true},
        EvalCase{"ka.req.pod.containers.image[0] startswith nginx", true},
        EvalCase{"ka.req.pod.containers.image[5] exists", false},
        // Boolean structure.
        EvalCase{"ka.verb = create and (ka.user.name = bob or ka.user.name = alice)", true},
        EvalCase{"ka.verb = create and not ka.user.name = alice", false},
        EvalCase{"ka.verb = get or ka.user.name = alice and ka.target.resource = pods", true},
        EvalCase{"(ka.verb = get or ka.user.name = alice) and ka.target.resource = secrets",
                 false}));

// Compile-time rejections that Falco only reports when an event arrives (or never).
struct CompileErrorCase {
  const char* condition;
  const char* message;  // without the "test.yaml:L:C: rule 'r': " prefix
  int column;           // in line 6 of the rule text (the condition)
};

class EvaluatorCompileErrorTest : public ::testing::TestWithParam<CompileErrorCase> {};

TEST_P(EvaluatorCompileErrorTest, RejectsAtLoad) {
  const CompileErrorCase& c = GetParam();
  RuleLoader loader;
  (void)loader.AddText("test.yaml", RuleWith(c.condition));
  auto set = loader.Finish();
  ASSERT_FALSE(set.has_value()) << c.condition;
  ASSERT_EQ(loader.errors().size(), 1u) << set.error().message;
  const Error& e = loader.errors()[0];
  EXPECT_EQ(e.message, std::string("rule 'r': ") + c.message);
  EXPECT_EQ(e.pos.file, "test.yaml");
  EXPECT_EQ(e.pos.line, 6);
  EXPECT_EQ(e.pos.column, c.column) << c.condition;
}

INSTANTIATE_TEST_SUITE_P(
    Operators, EvaluatorCompileErrorTest,
    ::testing::Values(
        CompileErrorCase{"ka.user.groups = dev",
                         "operator '=' cannot be applied to 'ka.user.groups', which is a list of "
                         "values: use 'intersects' (some value is in a list) or 'in' (every value "
                         "is)",
                         20},
        CompileErrorCase{"ka.verb = get and ka.req.pod.containers.image contains nginx",
                         "operator 'contains' cannot be applied to 'ka.req.pod.containers.image', "
                         "which is a list of values: use 'intersects' (some value is in a list) or "
                         "'in' (every value is), or pick one element with an index such as "
                         "'ka.req.pod.containers.image[0]'",
                         51},
        CompileErrorCase{"ka.user.groups pmatch (/a)",
                         "operator 'pmatch' cannot be applied to 'ka.user.groups', which is a list "
                         "of values: use 'intersects' (some value is in a list) or 'in' (every "
                         "value is)",
                         20},
        CompileErrorCase{"ka.uri bcontains xyz",
                         "'bcontains' needs hexadecimal bytes such as 'CAFEBABE', not 'xyz'", 22}));

TEST(EvaluatorTest, ParsesNumbersLikeFalcoLiterals) {
  EXPECT_EQ(ParseNumber("201")->i, 201);
  EXPECT_EQ(ParseNumber("-5")->i, -5);
  EXPECT_EQ(ParseNumber("+5")->i, 5);
  EXPECT_EQ(ParseNumber("0x1F")->i, 31);
  EXPECT_FALSE(ParseNumber("1.5")->is_int);
  EXPECT_DOUBLE_EQ(ParseNumber("1.5e2")->d, 150.0);
  EXPECT_EQ(ParseNumber("1546361352581541000")->i, 1546361352581541000);
  EXPECT_FALSE(ParseNumber("").has_value());
  EXPECT_FALSE(ParseNumber("abc").has_value());
  EXPECT_FALSE(ParseNumber("12abc").has_value());
  EXPECT_FALSE(ParseNumber("inf").has_value());
  EXPECT_FALSE(ParseNumber("nan").has_value());
  EXPECT_FALSE(ParseNumber("-").has_value());
  EXPECT_FALSE(ParseNumber("0x").has_value());
}

TEST(EvaluatorTest, EvaluatesManyEventsWithOneContext) {
  auto set = LoadText(RuleWith("ka.user.name = alice and ka.user.groups intersects (dev)"));
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EvalContext ctx(set->fields());
  std::string other = kPodCreate;
  other.replace(other.find("\"alice\""), 7, "\"bob\"");
  TestEvent a(kPodCreate);
  TestEvent b(other);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 100; ++i) {
    ctx.Reset(a.event());
    EXPECT_TRUE(set->rules()[0].Matches(ctx));
    ctx.Reset(b.event());
    EXPECT_FALSE(set->rules()[0].Matches(ctx));
  }
}

TEST(EvaluatorTest, SharesOneSlotPerDistinctField) {
  auto set = LoadText(
      "- rule: a\n  desc: d\n  output: '%ka.user.name'\n  priority: INFO\n"
      "  condition: ka.user.name = x and jevt.value[/stage] = ResponseComplete\n"
      "- rule: b\n  desc: d\n  output: '%ka.verb'\n  priority: INFO\n"
      "  condition: ka.user.name = y and jevt.value[/stage] exists and ka.verb = get\n");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->fields().size(), 3u);
}

}  // namespace
}  // namespace vigil::rules
