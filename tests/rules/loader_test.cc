// The rule-file loader: Falco's list/macro/rule semantics (append, override, exceptions,
// enable/disable, other sources) and error collection with positions.
#include "rules/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::LoadText;
using testing::MatchingRules;
using testing::TestEvent;

constexpr const char* kCreatePod = R"({"kind":"Event","auditID":"e1","stage":"ResponseComplete",
  "verb":"create","user":{"username":"alice","groups":["dev"]},
  "objectRef":{"resource":"pods","namespace":"default","name":"web"},
  "responseStatus":{"code":201},"requestURI":"/api/v1/namespaces/default/pods",
  "requestObject":{"spec":{"containers":[{"name":"a","image":"nginx:1.25"}]}},
  "stageTimestamp":"2024-01-01T00:00:00Z"})";

constexpr const char* kGetSecret = R"({"kind":"Event","auditID":"e2","stage":"ResponseComplete",
  "verb":"get","user":{"username":"bob"},
  "objectRef":{"resource":"secrets","namespace":"kube-system","name":"token"},
  "responseStatus":{"code":200},"requestURI":"/api/v1/namespaces/kube-system/secrets/token",
  "stageTimestamp":"2024-01-01T00:00:00Z"})";

std::vector<std::string> Matches(const RuleSet& set, const char* json) {
  TestEvent ev(json);
  EXPECT_TRUE(ev.ok()) << ev.error();
  if (!ev.ok()) return {};
  return MatchingRules(set, ev.event());
}

std::vector<std::string> Errors(const std::string& text, LoaderOptions options = {}) {
  RuleLoader loader(std::move(options));
  (void)loader.AddText("test.yaml", text);
  auto set = loader.Finish();
  std::vector<std::string> out;
  for (const Error& e : loader.errors()) out.push_back(e.ToString());
  if (set.has_value()) {
    EXPECT_TRUE(out.empty());
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(RuleLoaderTest, LoadsListsMacrosAndRules) {
  auto set = LoadText(R"(
- required_engine_version: 15
- required_plugin_versions:
    - name: k8saudit
      version: 0.18.0
- list: users
  items: [alice, "carol"]
- macro: kcreate
  condition: ka.verb=create
- rule: Pod Created By Known User
  desc: a known user created a pod
  condition: kcreate and ka.target.resource=pods and ka.user.name in (users)
  output: "%ka.user.name created %ka.target.name"
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, pods, k8s]
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  ASSERT_EQ(set->rules().size(), 1u);
  const Rule& r = set->rules()[0];
  EXPECT_EQ(r.name, "Pod Created By Known User");
  EXPECT_EQ(r.priority, Priority::kNotice);
  EXPECT_EQ(r.severity, "LOW");
  EXPECT_EQ(r.tags, (Strings{"k8s", "pods"}));
  EXPECT_EQ(r.pos.line, 10);
  EXPECT_EQ(r.pos.column, 3);
  EXPECT_FALSE(r.once_per_request);
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{"Pod Created By Known User"});
  EXPECT_EQ(Matches(*set, kGetSecret), Strings{});
  ASSERT_EQ(set->lists().size(), 1u);
  EXPECT_EQ(set->lists()[0].items, (Strings{"alice", "carol"}));
  ASSERT_EQ(set->macros().size(), 1u);
  EXPECT_EQ(set->macros()[0].condition, "ka.verb=create");
}

TEST(RuleLoaderTest, ExpandsListsNamedInListsAndConditions) {
  auto set = LoadText(R"(
- list: a
  items: [alice]
- list: b
  items: [a, bob, later]
- list: later
  items: [zed]
- rule: r
  desc: d
  condition: ka.user.name in (b, later)
  output: o
  priority: INFO
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  // `a` was defined before `b`, so it is expanded; `later` was not, so in `b` it is a literal.
  EXPECT_EQ(set->lists()[1].items, (Strings{"alice", "bob", "later"}));
  EXPECT_EQ(set->rules()[0].compiled.checks()[0].values,
            (Strings{"alice", "bob", "later", "zed"}));
}

TEST(RuleLoaderTest, ListAppendAndOverrideAffectEarlierRules) {
  auto set = LoadText(R"(
- list: users
  items: [carol]
- rule: r
  desc: d
  condition: ka.user.name in (users)
  output: o
  priority: INFO
- list: users
  items: [alice]
  append: true
- list: users
  items: [bob]
  override:
    items: append
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->lists()[0].items, (Strings{"carol", "alice", "bob"}));
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{"r"});

  auto replaced = LoadText(R"(
- list: users
  items: [alice]
- list: users
  items: [dave]
  override:
    items: replace
- rule: r
  desc: d
  condition: ka.user.name in (users)
  output: o
  priority: INFO
)");
  ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
  EXPECT_EQ(Matches(*replaced, kCreatePod), Strings{});
}

TEST(RuleLoaderTest, RedefinedListReplacesItems) {
  auto set = LoadText(R"(
- list: users
  items: [alice]
- list: users
  items: [bob]
- rule: r
  desc: d
  condition: ka.user.name in (users)
  output: o
  priority: INFO
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{});
  EXPECT_EQ(Matches(*set, kGetSecret), Strings{"r"});
}

TEST(RuleLoaderTest, MacroRedefinitionAppendAndOverride) {
  auto set = LoadText(R"(
- macro: m
  condition: ka.verb=get
- rule: r
  desc: d
  condition: m
  output: o
  priority: INFO
- macro: m
  condition: ka.verb=create
- macro: m
  condition: and ka.user.name=alice
  append: true
- macro: m2
  condition: ka.verb=get
- macro: m2
  condition: or ka.verb=create
  override:
    condition: append
- rule: r2
  desc: d
  condition: m2 and ka.target.resource=secrets
  output: o
  priority: INFO
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->macros()[0].condition, "ka.verb=create and ka.user.name=alice");
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{"r"});
  EXPECT_EQ(Matches(*set, kGetSecret), Strings{"r2"});
}

TEST(RuleLoaderTest, RuleRedefinitionKeepsPositionAndAppendJoinsCondition) {
  auto set = LoadText(R"(
- rule: first
  desc: d
  condition: ka.verb=get
  output: o
  priority: INFO
- rule: second
  desc: d
  condition: ka.verb=create
  output: o
  priority: INFO
- rule: first
  desc: redefined
  condition: ka.verb=create
  output: o2
  priority: ERROR
- rule: second
  condition: and ka.user.name=nobody
  append: true
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  ASSERT_EQ(set->rules().size(), 2u);
  EXPECT_EQ(set->rules()[0].name, "first");
  EXPECT_EQ(set->rules()[0].desc, "redefined");
  EXPECT_EQ(set->rules()[0].severity, "HIGH");
  EXPECT_EQ(set->rules()[1].condition, "ka.verb=create and ka.user.name=nobody");
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{"first"});
  EXPECT_FALSE(set->warnings().empty());  // `append` is deprecated
}

TEST(RuleLoaderTest, OverrideAppendsAndReplacesPerKey) {
  auto set = LoadText(R"(
- rule: r
  desc: d
  condition: ka.verb=create
  output: user=%ka.user.name
  priority: INFO
  tags: [a]
- rule: r
  condition: and ka.target.resource=pods
  output: verb=%ka.verb
  tags: [b]
  priority: CRITICAL
  enabled: false
  override:
    condition: append
    output: append
    tags: append
    priority: replace
    enabled: replace
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  const Rule& r = set->rules()[0];
  EXPECT_EQ(r.condition, "ka.verb=create and ka.target.resource=pods");
  EXPECT_EQ(r.output, "user=%ka.user.name verb=%ka.verb");
  EXPECT_EQ(r.tags, (Strings{"a", "b"}));
  EXPECT_EQ(r.priority, Priority::kCritical);
  EXPECT_EQ(r.severity, "CRITICAL");
  EXPECT_FALSE(r.enabled);
}

TEST(RuleLoaderTest, EnabledOnlyItemSwitchesRules) {
  const std::string base = R"(
- rule: r
  desc: d
  condition: ka.verb=create
  output: o
  priority: INFO
)";
  auto off = LoadText(base + "- rule: r\n  enabled: false\n");
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_FALSE(off->rules()[0].enabled);
  EXPECT_EQ(off->enabled_count(), 0u);
  EXPECT_EQ(Matches(*off, kCreatePod), Strings{});

  auto on = LoadText(base + "- rule: r\n  enabled: false\n- rule: r\n  enabled: true\n");
  ASSERT_TRUE(on.has_value());
  EXPECT_TRUE(on->rules()[0].enabled);

  EXPECT_EQ(Errors("- rule: nope\n  enabled: false\n"),
            Strings{"test.yaml:1:3: rule 'nope': 'enabled' given but no rule by that name was "
                    "defined before"});
}

TEST(RuleLoaderTest, SkipsAndCountsOtherSources) {
  auto set = LoadText(R"(
- macro: spawned_process
  condition: evt.type = execve and evt.dir=<
- rule: Terminal shell in container
  desc: syscall rule
  condition: spawned_process and container and proc.name = bash
  output: shell (user=%user.name)
  priority: NOTICE
  source: syscall
- rule: Terminal shell in container
  enabled: false
- rule: Terminal shell in container
  condition: and not proc.pname = sshd
  append: true
- rule: k
  desc: d
  condition: ka.verb=create
  output: o
  priority: INFO
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->rules().size(), 1u);
  EXPECT_EQ(set->skipped_other_source(), 1u);

  // With Falco's default source, a rule without `source` is a syscall rule.
  LoaderOptions falco;
  falco.default_source = "syscall";
  auto strict = LoadText("- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n"
                         "  priority: INFO\n",
                         falco);
  ASSERT_TRUE(strict.has_value()) << strict.error().message;
  EXPECT_EQ(strict->rules().size(), 0u);
  EXPECT_EQ(strict->skipped_other_source(), 1u);
}

TEST(RuleLoaderTest, ExceptionsBecomeAndNotClauses) {
  auto set = LoadText(R"(
- list: trusted_users
  items: [bob]
- rule: r
  desc: d
  condition: ka.verb in (create, get)
  output: o
  priority: INFO
  exceptions:
    - name: by_user
      fields: ka.user.name
      values: [carol, trusted_users]
    - name: by_user_and_ns
      fields: [ka.user.name, ka.target.namespace]
      comps: [=, in]
      values:
        - [alice, [default, kube-public]]
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->rules()[0].exception_names, (Strings{"by_user", "by_user_and_ns"}));
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{});  // alice in default: excepted
  EXPECT_EQ(Matches(*set, kGetSecret), Strings{});  // bob: a trusted user via the list
  std::string carol_secret = kGetSecret;
  carol_secret.replace(carol_secret.find("\"bob\""), 5, "\"dan\"");
  EXPECT_EQ(Matches(*set, carol_secret.c_str()), Strings{"r"});
}

TEST(RuleLoaderTest, ExceptionValuesCanBeAppended) {
  auto set = LoadText(R"(
- rule: r
  desc: d
  condition: ka.verb in (create, get)
  output: o
  priority: INFO
  exceptions:
    - name: by_user
      fields: [ka.user.name]
      values: [[carol]]
- rule: r
  exceptions:
    - name: by_user
      values: [[alice]]
    - name: by_ns
      fields: ka.target.namespace
      comps: pmatch
      values: [kube-system]
  override:
    exceptions: append
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(Matches(*set, kCreatePod), Strings{});
  EXPECT_EQ(Matches(*set, kGetSecret), Strings{});
}

TEST(RuleLoaderTest, ReportsMalformedExceptions) {
  EXPECT_EQ(Errors(R"(- rule: r
  desc: d
  condition: ka.verb=get
  output: o
  priority: INFO
  exceptions:
    - name: e1
      fields: [ka.user.name, ka.verb]
      comps: [=]
      values: []
    - name: e2
      fields: ka.user.name
      comps: "="
    - name: e3
      fields: [ka.user.name]
      values: [[a, b]]
    - name: e4
      fields: [ka.user.nam]
      values: [[a]]
    - name: e5
      fields: [ka.user.name]
      comps: [startswith]
      values: [[[a, b]]]
)"),
            (Strings{
                "test.yaml:7:7: rule 'r': exception 'e1': 'fields' and 'comps' must be lists of "
                "equal length",
                "test.yaml:11:7: rule 'r': exception 'e2': with a single field, 'comps' must be "
                "one of in, pmatch, intersects"}));
  // The shapes above stop the rule early; these are found when compiling.
  auto errors = Errors(R"(- rule: r
  desc: d
  condition: ka.verb=get
  output: o
  priority: INFO
  exceptions:
    - name: e3
      fields: [ka.user.name]
      values: [[a, b]]
    - name: e4
      fields: [ka.user.nam]
      values: [[a]]
    - name: e5
      fields: [ka.user.name]
      comps: [startswith]
      values: [[[a, b]]]
)");
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "test.yaml:7:7: rule 'r': exception 'e3': value #1 must be a list of 1 "
                       "item(s), one per field");
  EXPECT_EQ(errors[1], "test.yaml:10:7: rule 'r': exception 'e4': unknown field 'ka.user.nam'; "
                       "did you mean 'ka.user.name'?");
  EXPECT_EQ(errors[2], "test.yaml:13:7: rule 'r': exception 'e5': value for field "
                       "'ka.user.name' is a list, which needs in, intersects or pmatch, not "
                       "'startswith'");
}

TEST(RuleLoaderTest, CollectsEveryErrorWithPositions) {
  const auto errors = Errors(R"(- list: l
  items: [a]
- macro: m
  condition: ka.verb=
- macro: ok_macro
  condition: ka.verb=get and missing_macro
- rule: r1
  desc: d
  conditon: ka.verb=get
  output: o
  priority: INFO
- rule: r2
  desc: d
  condition: ok_macro and l and ka.nope=1
  output: o
  priority: LOUD
- rule: r3
  desc: d
  condition: ka.verb=get
  output: "%kaa.verb is %"
  priority: INFO
- bogus: 1
- rule: r4
  desc: d
  condition: >
    ka.verb=get and
    ka.user.name in (a, b) and ka.target.namespace != )
  output: o
  priority: INFO
)");
  EXPECT_EQ(errors,
            (Strings{
                "test.yaml:4:22: macro 'm': expected a value after '=' but found end of "
                "condition",
                "test.yaml:6:30: macro 'ok_macro': undefined macro 'missing_macro'",
                "test.yaml:7:3: rule 'r1': missing 'condition'",
                "test.yaml:9:3: rule 'r1': unknown key 'conditon' (did you mean 'condition'?)",
                "test.yaml:16:13: rule 'r2': invalid priority 'LOUD': use EMERGENCY, ALERT, "
                "CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (or INFO) or DEBUG",
                "test.yaml:20:13: rule 'r3': output: unknown field 'kaa.verb'; did you mean "
                "'ka.verb'?",
                "test.yaml:22:3: unknown item 'bogus': expected one of the keys rule, macro, "
                "list, required_engine_version, required_plugin_versions",
                "test.yaml:27:55: rule 'r4': expected a value after '!=' but found ')'",
            }));
}

TEST(RuleLoaderTest, UnknownKeyDoesNotHideOtherProblemsOfTheItem) {
  EXPECT_EQ(Errors("- rule: r\n  desc: d\n  condition: ka.verb in (a, b\n  output: o\n"
                   "  priority: INFO\n  severty: LOW\n"),
            (Strings{"test.yaml:3:30: rule 'r': expected ',' or ')' in the list after 'in' but "
                     "found end of condition",
                     "test.yaml:6:3: rule 'r': unknown key 'severty' (did you mean "
                     "'severity'?)"}));
}

TEST(RuleLoaderTest, ReportsUnknownFieldsAndListsUsedAsMacros) {
  const auto errors = Errors(R"(- list: l
  items: [a]
- rule: r2
  desc: d
  condition: ka.verb=get and l and ka.nope=1
  output: o
  priority: INFO
)");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:5:30: rule 'r2': 'l' is a list, not a macro: a list can only "
                       "follow in, intersects or pmatch, as in 'ka.user.name in (l)'");
  EXPECT_EQ(errors[1].rfind("test.yaml:5:36: rule 'r2': unknown field 'ka.nope'", 0), 0u)
      << errors[1];
}

TEST(RuleLoaderTest, ReportsMacroProblemsOnceAtTheMacro) {
  const auto errors = Errors(R"(- macro: a
  condition: b and ka.verb=get
- macro: b
  condition: ka.user.name=x or a
- macro: off
  condition: ka.verb=get
  enabled: false
- macro: bad_field
  condition: ka.verbb=get
- rule: r1
  desc: d
  condition: a
  output: o
  priority: INFO
- rule: r2
  desc: d
  condition: a or off
  output: o
  priority: INFO
- rule: r3
  desc: d
  condition: bad_field
  output: o
  priority: INFO
- rule: r4
  desc: d
  condition: bad_field and ka.verb=get
  output: o
  priority: INFO
)");
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0].substr(0, 30), "test.yaml:4:32: macro 'b': mac");
  EXPECT_NE(errors[0].find("refers to itself (a -> b -> a)"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[1], "test.yaml:9:14: macro 'bad_field': unknown field 'ka.verbb'; did you "
                       "mean 'ka.verb'?");
  EXPECT_EQ(errors[2], "test.yaml:17:19: rule 'r2': macro 'off' is disabled");
}

TEST(RuleLoaderTest, ToleratesFalcoKeysAndRejectsUnknownOnes) {
  auto set = LoadText(R"(
- rule: r
  desc: d
  condition: ka.verb=get
  output: o
  priority: INFO
  warn_evttypes: false
  skip-if-unknown-filter: false
  capture: false
  capture_duration: 5
)");
  EXPECT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(Errors("- macro: m\n  condition: ka.verb=get\n  desc: x\n"),
            Strings{"test.yaml:3:3: macro 'm': unknown key 'desc'"});
  EXPECT_EQ(Errors("- list: l\n  items: [a]\n  itmes: [b]\n"),
            Strings{"test.yaml:3:3: list 'l': unknown key 'itmes' (did you mean 'items'?)"});
}

TEST(RuleLoaderTest, SkipsRulesWithUnknownFieldsWhenAsked) {
  auto set = LoadText(R"(
- rule: future
  desc: d
  condition: ka.verb=get and ka.some.future.field=1
  output: o
  priority: INFO
  skip-if-unknown-filter: true
- rule: now
  desc: d
  condition: ka.verb=get
  output: o
  priority: INFO
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->rules().size(), 1u);
  EXPECT_EQ(set->skipped_unknown_filter(), 1u);
}

TEST(RuleLoaderTest, ReadsVigilKeys) {
  auto set = LoadText(R"(
- rule: Privileged pod
  desc: d
  condition: ka.verb=create
  output: o
  priority: WARNING
  finding_type: PrivilegeEscalation:Kubernetes/PrivilegedContainer
  severity: high
  mitre:
    - {tactic: Privilege Escalation, technique_id: T1611, technique: Escape to Host}
  dedup_by: [ka.user.name, "jevt.value[/objectRef/name]"]
  remediation:
    text: Remove privileged
    url: https://example.com/fix
- rule: Plain
  desc: d
  condition: ka.verb=create
  output: o
  priority: ERROR
  once_per_request: true
)");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  const Rule& r = set->rules()[0];
  EXPECT_EQ(r.finding_type, "PrivilegeEscalation:Kubernetes/PrivilegedContainer");
  EXPECT_EQ(r.severity, "HIGH");
  EXPECT_TRUE(r.severity_explicit);
  EXPECT_TRUE(r.once_per_request);
  ASSERT_EQ(r.mitre.size(), 1u);
  EXPECT_EQ(r.mitre[0].technique_id, "T1611");
  EXPECT_EQ(r.dedup_by, (Strings{"ka.user.name", "jevt.value[/objectRef/name]"}));
  EXPECT_EQ(r.dedup_slots.size(), 2u);
  ASSERT_TRUE(r.remediation.has_value());
  EXPECT_EQ(r.remediation->url, "https://example.com/fix");
  EXPECT_EQ(set->rules()[1].severity, "HIGH");
  EXPECT_FALSE(set->rules()[1].severity_explicit);
  EXPECT_TRUE(set->rules()[1].once_per_request);

  EXPECT_EQ(Errors(R"(- rule: r
  desc: d
  condition: ka.verb=get
  output: o
  priority: INFO
  severity: urgent
  mitre: [{tactic: x, tecnique: y}]
  dedup_by: [ka.nope]
)"),
            (Strings{"test.yaml:6:13: rule 'r': severity 'urgent' is not one of INFORMATIONAL, "
                     "LOW, MEDIUM, HIGH, CRITICAL",
                     "test.yaml:7:23: rule 'r': mitre entry: unknown key 'tecnique' (did you "
                     "mean 'technique'?)",
                     "test.yaml:8:13: rule 'r': dedup_by: unknown field 'ka.nope'; fields start "
                     "with ka., jevt., json. or vigil. (see docs/rule-language.md)"}));
}

TEST(RuleLoaderTest, SeverityAloneSetsPriority) {
  auto set = LoadText("- rule: r\n  desc: d\n  condition: ka.verb=get\n  output: o\n"
                      "  severity: MEDIUM\n  finding_type: Discovery:Kubernetes/X\n");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->rules()[0].priority, Priority::kWarning);
  EXPECT_TRUE(set->rules()[0].once_per_request);
}

TEST(RuleLoaderTest, ReportsYamlSyntaxErrorsWithPosition) {
  const auto errors = Errors("- rule: r\n  desc: [unclosed\n  output: o\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.yaml:", 0), 0u);
  EXPECT_NE(errors[0].find("invalid YAML"), std::string::npos);
  EXPECT_EQ(Errors("rule: r\n"),
            Strings{"test.yaml:1:1: a rules file must be a list of items (- rule: ..., - macro: "
                    "..., - list: ...)"});
}

TEST(RuleLoaderTest, ReportsMissingKeysAndBadAppends) {
  EXPECT_EQ(Errors("- rule: r\n  desc: d\n  condition: ka.verb=get\n"),
            (Strings{"test.yaml:1:3: rule 'r': missing 'output'",
                     "test.yaml:1:3: rule 'r': missing 'priority'"}));
  EXPECT_EQ(Errors("- rule: r\n  condition: and x\n  append: true\n"),
            Strings{"test.yaml:1:3: rule 'r': cannot append to a rule that was not defined "
                    "before"});
  EXPECT_EQ(Errors("- list: l\n  items: [x]\n  append: true\n"),
            Strings{"test.yaml:1:3: list 'l': cannot append to a list that was not defined "
                    "before"});
  EXPECT_EQ(Errors("- macro: m\n  condition: x\n  override:\n    condition: append\n"),
            Strings{"test.yaml:1:3: macro 'm': cannot append to a macro that was not defined "
                    "before"});
  EXPECT_EQ(Errors("- macro: bad-name\n  condition: ka.verb=get\n"),
            Strings{"test.yaml:1:3: macro 'bad-name': a macro name must be a letter followed by "
                    "letters, digits or '_'"});
  const std::string base = "- rule: r\n  desc: d\n  condition: ka.verb=get\n  output: o\n"
                           "  priority: INFO\n";
  EXPECT_EQ(Errors(base + "- rule: r\n  output: x\n  override:\n    condition: append\n"),
            (Strings{"test.yaml:6:3: rule 'r': an override for 'condition' was given but "
                     "'condition' is not set",
                     "test.yaml:7:3: rule 'r': key 'output' has no entry under 'override' (add "
                     "'output: append' or 'output: replace')"}));
  EXPECT_EQ(Errors(base + "- rule: r\n  priority: INFO\n  override:\n    priority: append\n"),
            Strings{"test.yaml:9:5: rule 'r': key 'priority' cannot be appended to, use "
                    "'replace' instead"});
  EXPECT_EQ(Errors(base + "- rule: r\n  output: x\n  append: true\n"),
            Strings{"test.yaml:7:3: rule 'r': with 'append: true' only 'condition' and "
                    "'exceptions' can be added; use 'override' to change 'output'"});
  EXPECT_EQ(Errors(base + "- rule: r\n  desc: d\n  condition: ka.verb=get\n  output: o\n"
                          "  priority: INFO\n  source: syscall\n"),
            Strings{"test.yaml:6:3: rule 'r': redefined with source 'syscall' but was defined "
                    "with source 'k8s_audit'"});
}

TEST(RuleLoaderTest, MapsErrorPositionsInsideMultiLineConditions) {
  // Literal block: the token's own line and column.
  auto literal = Errors("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: |\n"
                        "    ka.verb=get and\n    ka.nope = 1\n");
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(literal[0].rfind("test.yaml:7:5: ", 0), 0u) << literal[0];
  // Folded block.
  auto folded = Errors("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: >-\n"
                       "    ka.verb=get and\n      (ka.user.name=x or\n       ka.nope = 1)\n");
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(folded[0].rfind("test.yaml:8:8: ", 0), 0u) << folded[0];
  // Double-quoted with an escape before the error.
  auto quoted = Errors("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n"
                       "  condition: \"ka.uri=\\\"/a\\\" and ka.nope=1\"\n");
  ASSERT_EQ(quoted.size(), 1u);
  EXPECT_EQ(quoted[0].rfind("test.yaml:5:33: ", 0), 0u) << quoted[0];
  // Plain multi-line scalar.
  auto plain = Errors("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition:\n"
                      "    ka.verb=get and\n    undefined_thing\n");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0], "test.yaml:7:5: rule 'r': undefined macro 'undefined_thing'");
  // An appended fragment maps to its own item.
  auto appended = Errors("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n"
                         "  condition: ka.verb=get\n- rule: r\n  condition: and nope_macro\n"
                         "  append: true\n");
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(appended[0], "test.yaml:7:18: rule 'r': undefined macro 'nope_macro'");
}

TEST(RuleLoaderTest, StopsExponentialMacroExpansion) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += "- macro: m" + std::to_string(i) + "\n  condition: m" + std::to_string(i + 1) +
            " and m" + std::to_string(i + 1) + "\n";
  }
  text += "- macro: m30\n  condition: ka.verb=get\n";
  text += "- rule: r\n  desc: d\n  condition: m0\n  output: o\n  priority: INFO\n";
  auto errors = Errors(text);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("expands to more than"), std::string::npos) << errors[0];
}

TEST(RuleLoaderTest, LoadsDirectoriesInNameOrder) {
  const auto dir = std::filesystem::path(VIGIL_BINARY_DIR) / "rules_loader_test_dir";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "- list: users\n  items: [bob]\n  append: true\n";
  std::ofstream(dir / "a.yml") << "- list: users\n  items: [alice]\n"
                                  "- rule: r\n  desc: d\n  condition: ka.user.name in (users)\n"
                                  "  output: o\n  priority: INFO\n";
  std::ofstream(dir / "notes.txt") << "not rules";
  auto set = LoadRuleFiles({dir.string()});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->lists()[0].items, (Strings{"alice", "bob"}));

  RuleLoader loader;
  Status missing = loader.AddFile((dir / "nope.yaml").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  auto finished = loader.Finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error().message.rfind("1 error in rule files:\n  ", 0), 0u);
}

TEST(RuleLoaderTest, YamlSyntaxErrorSaysWhereAndInWhatAsTheDocsShow) {
  // The example in docs/rule-language.md.
  EXPECT_EQ(Errors("- rule: r\n  tags: [a, b\n  desc: d\n"),
            Strings{"test.yaml:3:7: invalid YAML: did not find expected ',' or ']' (while parsing a "
                    "flow sequence that starts at 2:9)"});
}

// Regressions found by fuzz/rule_parser_fuzz.

TEST(RuleLoaderFuzzRegressionTest, StrayCommaAtTopLevelIsAnErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll looped forever on this (fuzz timeout-cd5f5dc9); libyaml, which the
  // loader uses now, reports it.
  EXPECT_EQ(Errors(","), Strings{"test.yaml:1:1: invalid YAML: did not find expected node content"});
  EXPECT_EQ(Errors("- list: a\n  items: [x]\n,\n"),
            Strings{"test.yaml:3:1: invalid YAML: did not find expected '-' indicator (while "
                    "parsing a block collection that starts at 1:1)"});
}

}  // namespace
}  // namespace vigil::rules
