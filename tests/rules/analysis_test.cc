// Index constraints: which verbs, resources and stages a condition requires.
#include "rules/analysis.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using Values = std::optional<std::vector<std::string>>;

struct ConstraintCase {
  const char* condition;
  Values verbs;
  Values resources;
  Values stages;
};

// A rule file of `prelude` (lists and macros) and one rule `r` with `condition`.
Result<RuleSet> LoadRule(const std::string& prelude, const std::string& condition) {
  return testing::LoadText(prelude + R"(
- rule: r
  desc: d
  output: o
  priority: INFO
  condition: |-
    )" + condition + "\n");
}

class ConstraintTest : public ::testing::TestWithParam<ConstraintCase> {};

TEST_P(ConstraintTest, ComputesRequiredValues) {
  const ConstraintCase& c = GetParam();
  auto set = LoadRule(R"(
- list: stages
  items: [ResponseComplete]
- macro: kevt
  condition: (jevt.value[/stage] in (stages))
- macro: kcreate
  condition: ka.verb=create
)", c.condition);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  const IndexConstraints& got = set->rules()[0].constraints;
  EXPECT_EQ(got.verbs, c.verbs) << c.condition;
  EXPECT_EQ(got.resources, c.resources) << c.condition;
  EXPECT_EQ(got.stages, c.stages) << c.condition;
}

const Values kAny = std::nullopt;
Values Of(std::vector<std::string> v) { return v; }

INSTANTIATE_TEST_SUITE_P(
    Conditions, ConstraintTest,
    ::testing::Values(
        ConstraintCase{"ka.verb=create", Of({"create"}), kAny, kAny},
        ConstraintCase{"kevt and kcreate and ka.target.resource=pods", Of({"create"}),
                       Of({"pods"}), Of({"ResponseComplete"})},
        ConstraintCase{"ka.verb in (update, create, patch, create)",
                       Of({"create", "patch", "update"}), kAny, kAny},
        ConstraintCase{"ka.verb in (create, update) and ka.verb in (update, delete)",
                       Of({"update"}), kAny, kAny},
        ConstraintCase{"ka.verb=get and ka.verb=create", Of({}), kAny, kAny},
        ConstraintCase{"ka.verb=get or ka.verb=create", Of({"create", "get"}), kAny, kAny},
        ConstraintCase{"ka.verb=get or ka.user.name=x", kAny, kAny, kAny},
        ConstraintCase{"not ka.verb=get", kAny, kAny, kAny},
        ConstraintCase{"ka.verb!=get", kAny, kAny, kAny},
        ConstraintCase{"ka.verb startswith cr", kAny, kAny, kAny},
        ConstraintCase{"ka.verb intersects (get, list)", Of({"get", "list"}), kAny, kAny},
        ConstraintCase{"(ka.verb=get and ka.target.resource=secrets) or "
                       "(ka.verb=create and ka.target.resource=pods)",
                       Of({"create", "get"}), Of({"pods", "secrets"}), kAny},
        ConstraintCase{"ka.stage=ResponseStarted and ka.target.resource in (pods)", kAny,
                       Of({"pods"}), Of({"ResponseStarted"})},
        ConstraintCase{"ka.stage=ResponseStarted and jevt.value[/stage]=ResponseComplete", kAny,
                       kAny, Of({})},
        ConstraintCase{"ka.target.subresource in (portforward)", kAny, kAny, kAny}));

TEST(ConstraintByNameTest, LooksFieldsUpByName) {
  auto set = testing::LoadText(R"(
- rule: r
  desc: d
  output: o
  priority: INFO
  condition: jevt.value[/stage]=ResponseComplete and ka.verb in (get, list) and ka.uri.param[watch]=true
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  const CompiledCondition& c = set->rules()[0].compiled;
  EXPECT_EQ(RequiredValues(c, set->fields(), "ka.verb"), Of({"get", "list"}));
  EXPECT_EQ(RequiredValues(c, set->fields(), "ka.stage"), Of({"ResponseComplete"}));
  EXPECT_EQ(RequiredValues(c, set->fields(), "ka.uri.param[watch]"), Of({"true"}));
  EXPECT_EQ(RequiredValues(c, set->fields(), "ka.target.resource"), kAny);
  EXPECT_EQ(RequiredValues(c, set->fields(), "not a field"), kAny);
}

// Gates: a necessary disjunction of cheap facts, rendered "dim:{values} | ..." ("any": none found,
// "never": the condition cannot be true).
std::string Render(const std::optional<std::vector<GateAtom>>& gate) {
  if (!gate) return "any";
  if (gate->empty()) return "never";
  std::string out;
  for (const GateAtom& a : *gate) {
    if (!out.empty()) out += " | ";
    switch (a.dim) {
      case GateDim::kThreat: out += "threat"; break;
      case GateDim::kUser: out += "user"; break;
      case GateDim::kSubresource: out += "subresource"; break;
      case GateDim::kGroups: out += "groups"; break;
      case GateDim::kUserNot: out += "user-not"; break;
      case GateDim::kNoTime: out += "no-time"; break;
    }
    if (!a.values.empty()) {
      out += ":{";
      for (size_t i = 0; i < a.values.size(); ++i) out += (i ? "," : "") + a.values[i];
      out += "}";
    }
    if (!a.prefixes.empty()) {
      out += " prefix:{";
      for (size_t i = 0; i < a.prefixes.size(); ++i) out += (i ? "," : "") + a.prefixes[i];
      out += "}";
    }
  }
  return out;
}

struct GateCase {
  const char* condition;
  const char* gate;
};

class GateTest : public ::testing::TestWithParam<GateCase> {};

TEST_P(GateTest, FindsTheCheapestNecessaryFacts) {
  const GateCase& c = GetParam();
  auto set = LoadRule(R"(
- list: anon_users
  items: ["system:anonymous"]
- macro: anonymous
  condition: (ka.user.name in (anon_users) or ka.user.groups intersects ("system:unauthenticated"))
- macro: never_true
  condition: (jevt.rawtime=0)
)", c.condition);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(Render(set->rules()[0].constraints.gate), c.gate) << c.condition;
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, GateTest,
    ::testing::Values(
        GateCase{"ka.verb=get", "any"},
        GateCase{"ka.user.name=admin", "user:{admin}"},
        GateCase{"ka.user.name in (b, a, b)", "user:{a,b}"},
        GateCase{"anonymous and ka.verb=get", "user:{system:anonymous} | groups:{system:unauthenticated}"},
        GateCase{"ka.user.name=a or ka.user.name=b", "user:{a,b}"},
        GateCase{"ka.user.name=a or ka.verb=get", "any"},
        GateCase{"ka.target.subresource in (exec, attach)", "subresource:{attach,exec}"},
        GateCase{"ka.target.subresource=exec and ka.user.name=x", "user:{x}"},
        GateCase{"vigil.threat.lists exists and anonymous", "threat"},
        GateCase{"vigil.threat.tor=true", "threat"},
        GateCase{"vigil.threat.tor=false", "any"},
        GateCase{"not vigil.threat.lists exists", "any"},
        GateCase{"never_true and ka.verb=get", "no-time"},
        GateCase{"jevt.rawtime=5", "any"},
        GateCase{"not ka.user.name startswith \"system:\"", "user-not prefix:{system:}"},
        GateCase{"not ka.user.name startswith \"system:\" and ka.user.name=x", "user:{x}"},
        GateCase{"ka.user.name startswith \"system:\"", "any"},
        GateCase{"not ka.user.name=x", "user-not:{x}"},
        GateCase{"not ka.user.name in (b, a, \"\")", "user-not:{a,b}"},
        GateCase{"not ka.user.name in (\"\")", "any"},
        GateCase{"not ka.user.name contains x", "any"},
        // Falco's "Disallowed K8s User": the exclusions hold together, so they merge.
        GateCase{"ka.verb=get and not ka.user.name startswith \"system:\" and "
                 "not ka.user.name in (b, a) and not ka.user.name in (c)",
                 "user-not:{a,b,c} prefix:{system:}"},
        // A positive fact is always preferred, even a long list of names.
        GateCase{"not ka.user.name in (a) and ka.user.name in (x, y, z)", "user:{x,y,z}"},
        // Alternatives stay separate: either exclusion may hold.
        GateCase{"not ka.user.name=x or not ka.user.name=y", "user-not:{x} | user-not:{y}"},
        GateCase{"not ka.user.name=x or ka.user.name=y", "user-not:{x} | user:{y}"},
        // "No subresource" is looked up as "", and is the weakest gate of all.
        GateCase{"not ka.target.subresource exists", "subresource:{}"},
        GateCase{"(ka.verb=create and not ka.target.subresource exists) or "
                 "ka.target.subresource=ephemeralcontainers",
                 "subresource:{,ephemeralcontainers}"},
        GateCase{"not ka.target.subresource exists and not ka.user.name startswith \"system:\"",
                 "user-not prefix:{system:}"},
        GateCase{"not ka.target.subresource exists and ka.user.name=x", "user:{x}"},
        GateCase{"ka.target.subresource exists", "any"},
        GateCase{"ka.user.groups in (a)", "any"}));

}  // namespace
}  // namespace vigil::rules
