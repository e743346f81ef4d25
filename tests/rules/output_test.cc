// Output formatting: Falco's %field syntax, <NA>, list rendering, output_fields.
#include "rules/output.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::TestEvent;

constexpr const char* kExec = R"({"kind":"Event","auditID":"x1","stage":"ResponseStarted",
  "verb":"create","user":{"username":"minikube-user","groups":["system:masters","system:authenticated"]},
  "objectRef":{"resource":"pods","subresource":"exec","namespace":"default","name":"nginx"},
  "requestURI":"/api/v1/namespaces/default/pods/nginx/exec?command=bash&container=nginx1",
  "responseStatus":{"code":101},"stageTimestamp":"2018-10-26T13:38:34.902914Z"})";

struct OutputCase {
  const char* format;
  const char* rendered;
};

class OutputRenderTest : public ::testing::TestWithParam<OutputCase> {};

TEST_P(OutputRenderTest, RendersLikeFalco) {
  const OutputCase& c = GetParam();
  TestEvent ev(kExec);
  ASSERT_TRUE(ev.ok()) << ev.error();
  FieldTable fields;
  auto format = OutputFormat::Compile(c.format, fields);
  ASSERT_TRUE(format.has_value()) << format.error().ToString();
  EvalContext ctx(fields);
  ctx.Reset(ev.event());
  EXPECT_EQ(format->Render(ctx), c.rendered);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, OutputRenderTest,
    ::testing::Values(
        OutputCase{"plain text", "plain text"},
        OutputCase{"", ""},
        OutputCase{"user=%ka.user.name", "user=minikube-user"},
        OutputCase{"%ka.user.name", "minikube-user"},
        OutputCase{"target=%ka.target.name/%ka.target.resource", "target=nginx/pods"},
        OutputCase{"ns=%ka.target.namespace)", "ns=default)"},
        OutputCase{"cmd=%ka.uri.param[command] c=%ka.uri.param[container]",
                   "cmd=bash c=nginx1"},
        OutputCase{"missing=%ka.uri.param[nope] role=%ka.req.binding.role",
                   "missing=<NA> role=<NA>"},
        OutputCase{"groups=%ka.user.groups", "groups=(system:masters,system:authenticated)"},
        OutputCase{"first=%ka.req.pod.containers.image[0]", "first=<NA>"},
        // ka.user.groups takes no index, so "[0]" is text.
        OutputCase{"%ka.user.groups[0]", "(system:masters,system:authenticated)[0]"},
        OutputCase{"images=%ka.req.pod.containers.image", "images=<NA>"},
        OutputCase{"code=%ka.response.code", "code=101"},
        OutputCase{"name=%jevt.value[/objectRef/name]!", "name=nginx!"},
        OutputCase{"[%5ka.verb]", "[creat]"},
        OutputCase{"[%10ka.verb]", "[create    ]"},
        // Longest known field name wins; the rest is text (as in Falco).
        OutputCase{"%ka.verbose", "createose"},
        OutputCase{"%ka.target.namespace.", "default."},
        // A field without arguments leaves '[' as text.
        OutputCase{"%ka.verb[0]", "create[0]"}));

struct OutputErrorCase {
  const char* format;
  const char* message;
  int column;
};

class OutputErrorTest : public ::testing::TestWithParam<OutputErrorCase> {};

TEST_P(OutputErrorTest, RejectsBadFormats) {
  const OutputErrorCase& c = GetParam();
  FieldTable fields;
  std::uint32_t offset = 0;
  auto format = OutputFormat::Compile(c.format, fields, &offset);
  ASSERT_FALSE(format.has_value()) << c.format;
  EXPECT_EQ(format.error().message, c.message);
  EXPECT_EQ(format.error().pos.column, c.column);
  EXPECT_EQ(static_cast<int>(offset) + 1, c.column);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, OutputErrorTest,
    ::testing::Values(
        OutputErrorCase{"100%", "'%' must be followed by a field name", 4},
        OutputErrorCase{"a % b", "'%' must be followed by a field name", 3},
        OutputErrorCase{"x=%kaa.verb", "unknown field 'kaa.verb'; did you mean 'ka.verb'?", 4},
        OutputErrorCase{"x=%ka.uri.param", "field 'ka.uri.param' needs a key in brackets, e.g. "
                                           "ka.uri.param[name]",
                        4},
        OutputErrorCase{"x=%ka.uri.param[command", "missing ']' after the argument of "
                                                   "'%ka.uri.param'",
                        16}));

TEST(OutputFormatTest, ListsOutputFieldsLikeFalcoOutputFields) {
  TestEvent ev(kExec);
  ASSERT_TRUE(ev.ok()) << ev.error();
  FieldTable fields;
  auto format = OutputFormat::Compile(
      "%ka.user.name %ka.user.groups %ka.uri.param[command] %ka.req.binding.role %ka.user.name",
      fields);
  ASSERT_TRUE(format.has_value()) << format.error().ToString();
  EvalContext ctx(fields);
  ctx.Reset(ev.event());
  const auto out = format->Fields(ctx);
  ASSERT_EQ(out.size(), 4u);  // ka.user.name once
  EXPECT_EQ(out[0].name, "ka.user.name");
  EXPECT_TRUE(out[0].available);
  EXPECT_FALSE(out[0].is_list);
  EXPECT_EQ(out[0].values, std::vector<std::string>{"minikube-user"});
  EXPECT_EQ(out[1].name, "ka.user.groups");
  EXPECT_TRUE(out[1].is_list);
  EXPECT_EQ(out[1].values.size(), 2u);
  EXPECT_EQ(out[1].rendered, "(system:masters,system:authenticated)");
  EXPECT_EQ(out[2].name, "ka.uri.param[command]");
  EXPECT_EQ(out[2].rendered, "bash");
  EXPECT_EQ(out[3].name, "ka.req.binding.role");
  EXPECT_FALSE(out[3].available);
  EXPECT_EQ(out[3].rendered, "<NA>");
}

TEST(OutputFormatTest, RuleOutputsAreTrimmedAndCompiledAtLoad) {
  TestEvent ev(kExec);
  ASSERT_TRUE(ev.ok());
  auto set = testing::LoadText(R"(
- rule: Attach/Exec Pod
  desc: d
  condition: ka.target.subresource in (exec, attach)
  output: >
    Attach/Exec to pod (user=%ka.user.name pod=%ka.target.name
    action=%ka.target.subresource command=%ka.uri.param[command])
  priority: NOTICE
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EvalContext ctx(set->fields());
  ctx.Reset(ev.event());
  const Rule& r = set->rules()[0];
  ASSERT_TRUE(r.Matches(ctx));
  EXPECT_EQ(r.output_format.Render(ctx),
            "Attach/Exec to pod (user=minikube-user pod=nginx action=exec command=bash)");
}

}  // namespace
}  // namespace vigil::rules
