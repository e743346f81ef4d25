#include "findings/finding.h"

#include <gtest/gtest.h>

#include <set>

#include "findings/sample_observations.h"

namespace vigil::findings {
namespace {

using testing::MakeObservation;
using testing::T;

TEST(SeverityTest, NamesRoundTripCaseInsensitively) {
  for (Severity s : {Severity::kInformational, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    std::string name(SeverityName(s));
    EXPECT_EQ(ParseSeverity(name), s);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ParseSeverity(name), s) << name;
  }
  EXPECT_EQ(SeverityName(Severity::kInformational), "INFORMATIONAL");
  EXPECT_EQ(ParseSeverity("SEVERE"), std::nullopt);
  EXPECT_EQ(ParseSeverity(""), std::nullopt);
  EXPECT_EQ(ParseSeverity("HIGH "), std::nullopt);
}

TEST(SeverityTest, FalcoPrioritiesMapToAsffLabels) {
  struct Case {
    const char* priority;
    std::optional<Severity> expected;
  };
  const Case cases[] = {
      {"EMERGENCY", Severity::kCritical},
      {"Alert", Severity::kCritical},
      {"critical", Severity::kCritical},
      {"ERROR", Severity::kHigh},
      {"Warning", Severity::kMedium},
      {"NOTICE", Severity::kLow},
      {"INFORMATIONAL", Severity::kInformational},
      {"info", Severity::kInformational},
      {"DEBUG", Severity::kInformational},
      {"WARN", std::nullopt},
      {"", std::nullopt},
      {"HIGH", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SeverityFromFalcoPriority(c.priority), c.expected) << c.priority;
  }
}

TEST(SeverityTest, NormalizedFollowsSecurityHub) {
  EXPECT_EQ(NormalizedSeverity(Severity::kInformational), 0);
  EXPECT_EQ(NormalizedSeverity(Severity::kLow), 1);
  EXPECT_EQ(NormalizedSeverity(Severity::kMedium), 40);
  EXPECT_EQ(NormalizedSeverity(Severity::kHigh), 70);
  EXPECT_EQ(NormalizedSeverity(Severity::kCritical), 90);
}

TEST(WorkflowStatusTest, NamesRoundTrip) {
  for (WorkflowStatus s : {WorkflowStatus::kNew, WorkflowStatus::kNotified,
                           WorkflowStatus::kResolved, WorkflowStatus::kSuppressed}) {
    EXPECT_EQ(ParseWorkflowStatus(WorkflowStatusName(s)), s);
  }
  EXPECT_EQ(ParseWorkflowStatus("resolved"), WorkflowStatus::kResolved);
  EXPECT_EQ(WorkflowStatusName(WorkflowStatus::kSuppressed), "SUPPRESSED");
  EXPECT_EQ(ParseWorkflowStatus("ARCHIVED"), std::nullopt);
}

// The id recipe is a compatibility promise: stored findings, Security Hub Ids and tickets are keyed
// by it. If this test fails, every existing finding would be re-opened under a new id.
TEST(FindingIdTest, IsPinnedAcrossVersions) {
  EXPECT_EQ(FindingId("Anonymous API discovery", "prod-eks\x1fsystem:anonymous"),
            "713b6a2c-67f3-58dc-9b73-396bb77288fe");
}

TEST(FindingIdTest, IsUuidShapedAndDependsOnRuleAndKey) {
  const std::string id = FindingId("rule", "key");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '5');  // version nibble
  EXPECT_EQ(id, FindingId("rule", "key"));
  EXPECT_NE(id, FindingId("rule2", "key"));
  EXPECT_NE(id, FindingId("rule", "key2"));
  // The separator keeps (rule, key) pairs from colliding when concatenated.
  EXPECT_NE(FindingId("ab", "c"), FindingId("a", "bc"));
}

TEST(DefaultDedupKeyTest, UsesClusterPrincipalAndResource) {
  Observation a = MakeObservation("r", "alice", "id-1", T("2024-05-01T00:00:00Z"));
  Observation b = a;
  b.audit_id = "id-2";
  b.time = T("2024-05-01T01:00:00Z");
  b.resource.request_uri = "/api/v1/namespaces/default/pods/web?resourceVersion=7";
  EXPECT_EQ(DefaultDedupKey(a), DefaultDedupKey(b));  // query strings do not split findings

  std::set<std::string> keys = {DefaultDedupKey(a)};
  for (auto change : {+[](Observation& o) { o.cluster = "other"; },
                      +[](Observation& o) { o.principal.username = "bob"; },
                      +[](Observation& o) { o.resource.ns = "kube-system"; },
                      +[](Observation& o) { o.resource.name = "db"; },
                      +[](Observation& o) { o.resource.subresource = "exec"; },
                      +[](Observation& o) { o.resource.api_group = "apps"; }}) {
    Observation c = a;
    change(c);
    EXPECT_TRUE(keys.insert(DefaultDedupKey(c)).second);
  }
}

TEST(DefaultDedupKeyTest, NonResourceRequestsUseTheUri) {
  Observation a = MakeObservation("r", "alice", "id-1", 1);
  a.resource = {};
  a.resource.request_uri = "/api";
  Observation b = a;
  b.resource.request_uri = "/apis";
  EXPECT_NE(DefaultDedupKey(a), DefaultDedupKey(b));
}

TEST(EventRefTest, IdentifiesAuditIdAndStage) {
  Observation a = MakeObservation("r", "alice", "id-1", 5);
  Observation same = a;
  same.description = "rendered differently";
  Observation other_stage = a;
  other_stage.stage = "ResponseStarted";
  Observation other_id = a;
  other_id.audit_id = "id-2";
  EXPECT_EQ(EventRefOf(a), EventRefOf(same));
  EXPECT_EQ(EventRefOf(a).time, 5);
  EXPECT_NE(EventRefOf(a).digest, EventRefOf(other_stage).digest);
  EXPECT_NE(EventRefOf(a).digest, EventRefOf(other_id).digest);
}

TEST(EventRefTest, WithoutAuditIdUsesTimeAndEvidence) {
  Observation a = MakeObservation("r", "alice", "", 5);
  Observation b = a;
  EXPECT_EQ(EventRefOf(a), EventRefOf(b));
  b.evidence = "{}";
  EXPECT_NE(EventRefOf(a).digest, EventRefOf(b).digest);
  Observation c = a;
  c.time = 6;
  EXPECT_NE(EventRefOf(a).digest, EventRefOf(c).digest);
}

TEST(SameContentTest, IgnoresTimestampsAndEvents) {
  Finding a;
  a.id = "x";
  a.count = 2;
  Finding b = a;
  b.created_at = 10;
  b.updated_at = 20;
  b.events.push_back(EventRef{});
  EXPECT_TRUE(SameContent(a, b));
  b.count = 3;
  EXPECT_FALSE(SameContent(a, b));
}

}  // namespace
}  // namespace vigil::findings
