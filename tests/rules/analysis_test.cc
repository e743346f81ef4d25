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

class ConstraintTest : public ::testing::TestWithParam<ConstraintCase> {};

TEST_P(ConstraintTest, ComputesRequiredValues) {
  const ConstraintCase& c = GetParam();
  auto set = testing::LoadText(R"(
- list: stages
  items: [ResponseComplete]
- macro: kevt
  condition: (jevt.value[/stage] in (stages))
- macro: kcreate
  condition: ka.verb=create
- rule: r
  desc: d
  output: o
  priority: INFO
  condition: |-
    )" + std::string(c.condition) + "\n");
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

}  // namespace
}  // namespace vigil::rules
