// Table-driven tests of the condition parser: what parses, into which tree (printed back in
// normalised form), and for what does not, the exact message and line:column.
#include "rules/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/ast.h"

namespace vigil::rules {
namespace {

struct ValidCase {
  const char* input;
  const char* printed;  // AstToString of the result
};

class ParserValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ParserValidTest, ParsesAndPrintsNormalised) {
  const ValidCase& c = GetParam();
  auto ast = ParseCondition(c.input);
  ASSERT_TRUE(ast.has_value()) << c.input << ": " << ast.error().ToString();
  EXPECT_EQ(AstToString(**ast), c.printed) << c.input;
  // Printing is a fixed point: the printed form parses to the same print.
  auto again = ParseCondition(AstToString(**ast));
  ASSERT_TRUE(again.has_value()) << AstToString(**ast);
  EXPECT_EQ(AstToString(**again), c.printed);
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, ParserValidTest,
    ::testing::Values(
        // Bare values, as Falco's k8s rules write them.
        ValidCase{"ka.verb=create", "ka.verb = create"},
        ValidCase{"ka.verb = create", "ka.verb = create"},
        ValidCase{"ka.verb==create", "ka.verb = create"},
        ValidCase{"ka.user.name=system:anonymous", "ka.user.name = system:anonymous"},
        ValidCase{"ka.uri startswith /healthz?", "ka.uri startswith /healthz?"},
        ValidCase{"ka.response.code startswith 2", "ka.response.code startswith 2"},
        ValidCase{"ka.target.namespace!=kube-system", "ka.target.namespace != kube-system"},
        ValidCase{"jevt.rawtime=0", "jevt.rawtime = 0"},
        // Quoted values, both quote styles, escapes.
        ValidCase{"ka.auth.decision=\"allow\"", "ka.auth.decision = allow"},
        ValidCase{"ka.user.name = 'a b'", "ka.user.name = \"a b\""},
        ValidCase{"ka.uri contains \"a\\\"b\"", "ka.uri contains \"a\\\"b\""},
        ValidCase{"ka.uri contains 'it\\'s'", "ka.uri contains \"it's\""},
        ValidCase{"ka.uri = \"a\\\\\"", "ka.uri = a\\"},
        ValidCase{"ka.uri = \"tab\\there\"", "ka.uri = \"tab\\there\""},
        ValidCase{"ka.uri = \"\"", "ka.uri = \"\""},
        // Lists.
        ValidCase{"ka.verb in (create,update,patch)", "ka.verb in (create, update, patch)"},
        ValidCase{"ka.target.name in (foo, kube-system)", "ka.target.name in (foo, kube-system)"},
        ValidCase{"ka.verb in ()", "ka.verb in ()"},
        ValidCase{"ka.verb in(create)", "ka.verb in (create)"},
        ValidCase{"ka.verb in ( create , 'up date' )", "ka.verb in (create, \"up date\")"},
        ValidCase{"ka.verb in (k8s_audit_stages)", "ka.verb in (k8s_audit_stages)"},
        ValidCase{"ka.verb in my_list", "ka.verb in my_list"},
        ValidCase{"ka.req.pod.volumes.hostpath intersects (/proc, /)",
                  "ka.req.pod.volumes.hostpath intersects (/proc, /)"},
        ValidCase{"ka.uri pmatch (/api, /apis)", "ka.uri pmatch (/api, /apis)"},
        // Field arguments.
        ValidCase{"ka.uri.param[command] exists", "ka.uri.param[command] exists"},
        ValidCase{"jevt.value[/annotations/authorization.k8s.io~1decision] exists",
                  "jevt.value[/annotations/authorization.k8s.io~1decision] exists"},
        ValidCase{"ka.req.pod.containers.image[0] = nginx",
                  "ka.req.pod.containers.image[0] = nginx"},
        ValidCase{"ka.uri.param[\"a b\"] exists", "ka.uri.param[\"a b\"] exists"},
        // Operators.
        ValidCase{"ka.uri icontains HEALTH", "ka.uri icontains HEALTH"},
        ValidCase{"ka.uri bcontains 6869", "ka.uri bcontains 6869"},
        ValidCase{"ka.uri bstartswith 2f", "ka.uri bstartswith 2f"},
        ValidCase{"ka.uri endswith z", "ka.uri endswith z"},
        ValidCase{"ka.uri glob '/api/*'", "ka.uri glob /api/*"},
        ValidCase{"ka.uri iglob '/API/*'", "ka.uri iglob /API/*"},
        ValidCase{"ka.response.code < 300", "ka.response.code < 300"},
        ValidCase{"ka.response.code<=300", "ka.response.code <= 300"},
        ValidCase{"ka.response.code>299", "ka.response.code > 299"},
        ValidCase{"ka.response.code >= 0x10", "ka.response.code >= 0x10"},
        // Boolean structure, precedence (not > and > or), nesting, macros.
        ValidCase{"kevt", "kevt"},
        ValidCase{"kevt and pod and kcreate", "kevt and pod and kcreate"},
        ValidCase{"a or b and c", "a or (b and c)"},
        ValidCase{"(a or b) and c", "(a or b) and c"},
        ValidCase{"not a and b", "not a and b"},
        ValidCase{"not (a and b)", "not (a and b)"},
        ValidCase{"not(a)", "not a"},
        ValidCase{"not not a", "a"},
        ValidCase{"a and(b)", "a and b"},
        ValidCase{"a and (b and c)", "a and b and c"},
        ValidCase{"((((a))))", "a"},
        ValidCase{"notification and android", "notification and android"},
        ValidCase{"kevt\nand\tpod\r\n", "kevt and pod"},
        ValidCase{"(kactivity and kcreate and deployment and response_successful)",
                  "kactivity and kcreate and deployment and response_successful"},
        ValidCase{"ka.target.subresource in (exec,attach) and not user_known_exec_pod_activities",
                  "ka.target.subresource in (exec, attach) and not "
                  "user_known_exec_pod_activities"}));

struct InvalidCase {
  const char* input;
  const char* message;
  int line;
  int column;
};

class ParserInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ParserInvalidTest, ReportsWhatWasExpectedAndWhere) {
  const InvalidCase& c = GetParam();
  std::uint32_t offset = 12345;
  auto ast = ParseCondition(c.input, 0, &offset);
  ASSERT_FALSE(ast.has_value()) << c.input << " parsed as " << AstToString(**ast);
  EXPECT_EQ(ast.error().code, ErrorCode::kConfig);
  EXPECT_EQ(ast.error().message, c.message) << c.input;
  EXPECT_EQ(ast.error().pos.line, c.line) << c.input;
  EXPECT_EQ(ast.error().pos.column, c.column) << c.input;
  EXPECT_NE(offset, 12345u);
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, ParserInvalidTest,
    ::testing::Values(
        InvalidCase{"", "condition is empty", 1, 1},
        InvalidCase{"   \n ", "condition is empty", 2, 2},
        InvalidCase{"ka.verb", "expected an operator after field 'ka.verb' (=, !=, <, <=, >, >=, "
                               "contains, icontains, bcontains, startswith, bstartswith, "
                               "endswith, glob, iglob, in, intersects, pmatch or exists) but "
                               "found end of condition",
                    1, 8},
        InvalidCase{"ka.verb equals get", "expected an operator after field 'ka.verb' (=, !=, <, "
                                          "<=, >, >=, contains, icontains, bcontains, startswith, "
                                          "bstartswith, endswith, glob, iglob, in, intersects, "
                                          "pmatch or exists) but found 'equals'",
                    1, 9},
        InvalidCase{"ka.verb =", "expected a value after '=' but found end of condition", 1, 10},
        InvalidCase{"ka.verb = (create)", "expected a value after '=' but found '('", 1, 11},
        InvalidCase{"ka.verb in create, update",
                    "expected 'and', 'or' or the end of the condition but found ','", 1, 18},
        InvalidCase{"ka.verb in (create", "expected ',' or ')' in the list after 'in' but found "
                                          "end of condition",
                    1, 19},
        InvalidCase{"ka.verb in (create,)", "expected a value in the list after 'in' but found "
                                            "')'",
                    1, 20},
        InvalidCase{"ka.verb in (create update)", "expected ',' or ')' in the list after 'in' but "
                                                  "found 'update'",
                    1, 20},
        InvalidCase{"ka.verb in", "expected '(' or a list name after 'in' but found end of "
                                  "condition",
                    1, 11},
        InvalidCase{"(kevt and pod", "expected ')' to close the '(' at 1:1 but found end of "
                                     "condition",
                    1, 14},
        InvalidCase{"kevt and\n  (pod or\n   kcreate", "expected ')' to close the '(' at 2:3 but "
                                                       "found end of condition",
                    3, 11},
        InvalidCase{"kevt)", "expected 'and', 'or' or the end of the condition but found ')'", 1,
                    5},
        InvalidCase{"kevt pod", "expected 'and', 'or' or the end of the condition but found "
                                "'pod'",
                    1, 6},
        InvalidCase{"kevt and", "expected a condition after 'and' but found end of condition", 1,
                    9},
        InvalidCase{"kevt or ", "expected a condition after 'or' but found end of condition", 1,
                    9},
        InvalidCase{"not", "expected a condition after 'not' but found end of condition", 1, 4},
        InvalidCase{"not ", "expected a condition after 'not' but found end of condition", 1, 5},
        InvalidCase{"and kevt", "expected a field, a macro name, 'not' or '(' but found 'and'", 1,
                    1},
        InvalidCase{"= create", "expected a field, a macro name, 'not' or '(' but found '='", 1,
                    1},
        InvalidCase{"kevt and andrew or", "expected a condition after 'or' but found end of "
                                          "condition",
                    1, 19},
        InvalidCase{"ka.uri = \"abc", "unterminated string: missing closing \"", 1, 10},
        InvalidCase{"ka.uri = 'abc\\'", "unterminated string: missing closing '", 1, 10},
        InvalidCase{"ka.uri = \"a\\qb\"", "unsupported escape sequence \\q in string", 1, 12},
        InvalidCase{"ka.uri = 'a\\\"b'", "invalid escape \\\" in a '...' string", 1, 12},
        InvalidCase{"ka.uri.param[ = x", "expected an argument after '[' in field "
                                         "'ka.uri.param' but found ' '",
                    1, 14},
        InvalidCase{"ka.uri.param[command exists", "expected ']' after the argument of field "
                                                   "'ka.uri.param' but found ' '",
                    1, 21},
        InvalidCase{"kevt and allowed_users in (a)",
                    "'allowed_users' is not a field: field names contain a dot, such as "
                    "ka.user.name (found 'allowed_users' followed by 'in' at column 24)",
                    1, 10},
        InvalidCase{"verb=create", "'verb' is not a field: field names contain a dot, such as "
                                   "ka.user.name (found 'verb' followed by '=' at column 5)",
                    1, 1},
        InvalidCase{"kevt and\nka.verb in (a,\n  b", "expected ',' or ')' in the list after 'in' "
                                                    "but found end of condition",
                    3, 4}));

TEST(RuleParserTest, RejectsConditionsNestedTooDeeply) {
  std::string deep(2000, '(');
  deep += "kevt";
  deep += std::string(2000, ')');
  auto ast = ParseCondition(deep);
  ASSERT_FALSE(ast.has_value());
  EXPECT_EQ(ast.error().message, "condition is nested more than 1000 levels deep");
}

TEST(RuleParserTest, AcceptsDeepButReasonableNesting) {
  std::string deep(300, '(');
  deep += "kevt";
  deep += std::string(300, ')');
  EXPECT_TRUE(ParseCondition(deep).has_value());
}

TEST(RuleParserTest, RecordsOffsetsOfNodesAndValues) {
  auto ast = ParseCondition("kevt and ka.verb in (create, 'patch')", 7);
  ASSERT_TRUE(ast.has_value());
  const AstNode& root = **ast;
  ASSERT_EQ(root.kind, AstNode::Kind::kAnd);
  EXPECT_EQ(root.source, 7u);
  const AstNode& macro = *root.children[0];
  EXPECT_EQ(macro.kind, AstNode::Kind::kMacroRef);
  EXPECT_EQ(macro.offset, 0u);
  const AstNode& check = *root.children[1];
  EXPECT_EQ(check.kind, AstNode::Kind::kCheck);
  EXPECT_EQ(check.offset, 9u);
  EXPECT_EQ(check.op, CmpOp::kIn);
  EXPECT_EQ(check.op_offset, 17u);
  ASSERT_EQ(check.values.size(), 2u);
  EXPECT_EQ(check.values[0].offset, 21u);
  EXPECT_FALSE(check.values[0].quoted);
  EXPECT_EQ(check.values[1].text, "patch");
  EXPECT_TRUE(check.values[1].quoted);
}

TEST(RuleParserTest, KeepsBackslashSpaceAsFalcoDoes) {
  // libsinsp turns "\ " into a single backslash; rules written for Falco rely on that.
  auto ast = ParseCondition("ka.uri contains \"a\\ b\"");
  ASSERT_TRUE(ast.has_value());
  EXPECT_EQ((*ast)->values[0].text, "a\\b");
}

TEST(RuleParserTest, ParsesFieldReferences) {
  auto plain = ParseFieldRef("ka.user.name");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->name, "ka.user.name");
  EXPECT_FALSE(plain->arg.has_value());
  auto with_arg = ParseFieldRef(" jevt.value[/objectRef/name] ");
  ASSERT_TRUE(with_arg.has_value());
  EXPECT_EQ(with_arg->name, "jevt.value");
  EXPECT_EQ(with_arg->arg, "/objectRef/name");
  auto bad = ParseFieldRef("ka.uri.param[command");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "malformed argument of field 'ka.uri.param'");
  auto trailing = ParseFieldRef("ka.verb x");
  ASSERT_FALSE(trailing.has_value());
  EXPECT_EQ(trailing.error().message, "unexpected 'x' after field 'ka.verb'");
  EXPECT_FALSE(ParseFieldRef("kevt").has_value());
}

}  // namespace
}  // namespace vigil::rules
