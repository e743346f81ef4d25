// Explain: per-check results and field values for one rule on one event.
#include "rules/explain.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::TestEvent;

constexpr const char* kRules = R"(
- macro: kevt
  condition: (jevt.value[/stage] in (ResponseComplete))
- rule: Create Privileged Pod
  desc: d
  condition: kevt and ka.verb=create and ka.req.pod.containers.privileged intersects (true)
             and not ka.req.pod.containers.image.repository in (falco)
  output: privileged (user=%ka.user.name images=%ka.req.pod.containers.image)
  priority: WARNING
)";

constexpr const char* kPod = R"({"kind":"Event","auditID":"p1","stage":"ResponseComplete",
  "verb":"create","user":{"username":"alice"},"objectRef":{"resource":"pods"},
  "requestObject":{"spec":{"containers":[{"name":"a","image":"nginx:1.25",
    "securityContext":{"privileged":true}}]}},"stageTimestamp":"2024-01-01T00:00:00Z"})";

TEST(ExplainTest, ShowsEveryCheckAndFieldValue) {
  auto set = testing::LoadText(kRules);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  TestEvent ev(kPod);
  ASSERT_TRUE(ev.ok()) << ev.error();
  const Explanation e = ExplainRule(*set, set->rules()[0], ev.event());
  EXPECT_TRUE(e.matched);
  EXPECT_EQ(e.tree, (std::vector<std::string>{
                        "[true ] and",
                        "  [true ] jevt.value[/stage] in (ResponseComplete)",
                        "  [true ] ka.verb = create",
                        "  [true ] ka.req.pod.containers.privileged intersects (true)",
                        "  [true ] not",
                        "    [false] ka.req.pod.containers.image.repository in (falco)",
                    }));
  ASSERT_EQ(e.fields.size(), 6u);
  EXPECT_EQ(e.fields[0].name, "jevt.value[/stage]");
  EXPECT_EQ(e.fields[0].rendered, "ResponseComplete");
  EXPECT_EQ(e.fields[3].name, "ka.req.pod.containers.image.repository");
  EXPECT_EQ(e.fields[3].rendered, "(nginx)");
  EXPECT_EQ(e.fields[4].name, "ka.user.name");
  EXPECT_EQ(e.output, "privileged (user=alice images=(nginx:1.25))");
  const std::string text = FormatExplanation(e);
  EXPECT_NE(text.find("rule 'Create Privileged Pod': MATCH"), std::string::npos) << text;
  EXPECT_NE(text.find("ka.verb = create"), std::string::npos) << text;
}

TEST(ExplainTest, MarksChecksThatShortCircuitSkips) {
  auto set = testing::LoadText(kRules);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  std::string get = kPod;
  get.replace(get.find("\"create\""), 8, "\"get\"");
  TestEvent ev(get);
  ASSERT_TRUE(ev.ok()) << ev.error();
  const Explanation e = ExplainRule(*set, set->rules()[0], ev.event());
  EXPECT_FALSE(e.matched);
  ASSERT_EQ(e.tree.size(), 6u);
  EXPECT_EQ(e.tree[0], "[false] and");
  EXPECT_EQ(e.tree[2], "  [false] ka.verb = create");
  EXPECT_EQ(e.tree[3], "  [true ] ka.req.pod.containers.privileged intersects (true)  (not "
                       "reached)");
  EXPECT_NE(FormatExplanation(e).find("no match"), std::string::npos);
}

}  // namespace
}  // namespace vigil::rules
