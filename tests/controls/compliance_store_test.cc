// Control results as findings: their JSON/ASFF/OCSF shapes and their history in a real SQLite
// store (FAILED→PASSED resolves, PASSED→FAILED reopens; reference §3a).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controls/controls_test_util.h"
#include "controls/evaluate.h"
#include "findings/encode/asff.h"
#include "findings/encode/json.h"
#include "findings/encode/ocsf.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Finding;
using findings::WorkflowStatus;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using namespace vigil::controls::testing;

constexpr UnixNanos kT0 = 1'764'000'000'000'000'000;
constexpr UnixNanos kHour = 3600LL * 1'000'000'000;

std::vector<Finding> Evaluate(std::string_view fixture, UnixNanos now) {
  auto r = EvaluateSnapshot(FixtureSnapshot(fixture), {}, now);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? std::move(*r) : std::vector<Finding>{};
}

Finding Gd5(std::string_view fixture, UnixNanos now) {
  auto all = Evaluate(fixture, now);
  return OneResult(all, "GuardDuty.5", "111122223333", "us-east-1");
}

TEST(ControlFindingTest, IdIsStablePerControlAndResource) {
  const Finding a = Gd5("standalone_disabled", kT0);
  const Finding b = Gd5("standalone_enabled", kT0 + kHour);
  EXPECT_EQ(a.id, b.id);
  EXPECT_THAT(a.id,
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  const Finding gd6 = OneResult(Evaluate("standalone_disabled", kT0), "GuardDuty.6");
  EXPECT_NE(a.id, gd6.id);
}

TEST(ControlFindingTest, NativeJsonCarriesControlAccountRegionResourceStatusSeverityReasons) {
  const Finding f = Gd5("standalone_disabled", kT0);
  const auto j = findings::FindingToJson(f);
  EXPECT_EQ(j["compliance"]["control"], "GuardDuty.5");
  EXPECT_EQ(j["account"], "111122223333");
  EXPECT_EQ(j["region"], "us-east-1");
  EXPECT_EQ(j["compliance"]["resource_id"],
            "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0");
  EXPECT_EQ(j["compliance"]["status"], "FAILED");
  EXPECT_EQ(j["severity"], "HIGH");
  EXPECT_THAT(j["compliance"]["reasons"][0].get<std::string>(),
              HasSubstr("EKS_AUDIT_LOGS is DISABLED"));
  auto back = findings::ParseFindingJson(findings::EncodeFindingJson(f));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->compliance, f.compliance);
  EXPECT_TRUE(findings::SameContent(*back, f));
}

TEST(ControlFindingTest, AsffHasSecurityHubControlShape) {
  const Finding f = Gd5("standalone_disabled", kT0);
  const auto j = findings::FindingToAsff(f);
  EXPECT_EQ(j["Id"],
            "arn:aws:securityhub:us-east-1:111122223333:subscription/"
            "aws-foundational-security-best-practices/v/1.0.0/GuardDuty.5/finding/" +
                f.id);
  EXPECT_EQ(j["GeneratorId"], "aws-foundational-security-best-practices/v/1.0.0/GuardDuty.5");
  EXPECT_EQ(j["Compliance"]["Status"], "FAILED");
  EXPECT_EQ(j["Compliance"]["SecurityControlId"], "GuardDuty.5");
  EXPECT_EQ(j["Compliance"]["AssociatedStandards"][0]["StandardsId"],
            "standards/aws-foundational-security-best-practices/v/1.0.0");
  EXPECT_EQ(j["Severity"]["Label"], "HIGH");
  EXPECT_EQ(j["Resources"][0]["Type"], "AwsGuardDutyDetector");
  EXPECT_EQ(j["ProductFields"]["vigil/RemediationType"], "auto");
  EXPECT_THAT(j["Remediation"]["Recommendation"]["Text"].get<std::string>(),
              HasSubstr("EKS_AUDIT_LOGS"));
  EXPECT_EQ(j["SchemaVersion"], "2018-10-08");
  EXPECT_EQ(j["CreatedAt"], j["UpdatedAt"]);

  const Finding passed = Gd5("standalone_enabled", kT0);
  const auto p = findings::FindingToAsff(passed);
  EXPECT_EQ(p["Compliance"]["Status"], "PASSED");
  EXPECT_EQ(p["Severity"]["Label"], "INFORMATIONAL");
  EXPECT_EQ(p["Workflow"]["Status"], "RESOLVED");
}

TEST(ControlFindingTest, OcsfIsAComplianceFinding) {
  const Finding f = Gd5("standalone_disabled", kT0);
  const auto j = findings::FindingToOcsf(f);
  EXPECT_EQ(j["class_uid"], 2003);
  EXPECT_EQ(j["type_uid"], 200301);
  EXPECT_EQ(j["compliance"]["control"], "GuardDuty.5");
  EXPECT_EQ(j["compliance"]["status_id"], 3);
  EXPECT_EQ(j["severity_id"], 4);
  EXPECT_FALSE(j.contains("actor"));
  const Finding na = OneResult(Evaluate("no_detector", kT0), "GuardDuty.5");
  EXPECT_EQ(findings::FindingToOcsf(na)["compliance"]["status_id"], 99);
}

TEST(ControlHistoryTest, FailedThenPassedResolvesAndFailingAgainReopens) {
  TempDir dir;
  auto store = store::SqliteFindingStore::Open(dir.File("vigil.db"));
  ASSERT_TRUE(store.has_value()) << store.error().message;

  auto r1 = (*store)->Upsert(Evaluate("standalone_disabled", kT0), kT0);
  ASSERT_TRUE(r1.has_value()) << r1.error().message;
  const std::string id = Gd5("standalone_disabled", kT0).id;
  auto f1 = (*store)->Get(id);
  ASSERT_TRUE(f1.has_value());
  EXPECT_EQ(f1->workflow, WorkflowStatus::kNew);
  EXPECT_EQ(f1->compliance->status, ComplianceStatus::kFailed);
  EXPECT_EQ(f1->compliance->status_since, kT0);

  // The same state again: no status change, no new history, one more evaluation.
  auto r2 = (*store)->Upsert(Evaluate("standalone_disabled", kT0 + kHour), kT0 + kHour);
  ASSERT_TRUE(r2.has_value());
  auto f2 = (*store)->Get(id);
  EXPECT_EQ(f2->count, 2u);
  EXPECT_EQ(f2->compliance->status_since, kT0);
  EXPECT_EQ(f2->last_seen, kT0 + kHour);

  // Fixed: PASSED resolves it.
  auto r3 = (*store)->Upsert(Evaluate("standalone_enabled", kT0 + 2 * kHour), kT0 + 2 * kHour);
  ASSERT_TRUE(r3.has_value());
  auto f3 = (*store)->Get(id);
  EXPECT_EQ(f3->workflow, WorkflowStatus::kResolved);
  EXPECT_EQ(f3->compliance->status, ComplianceStatus::kPassed);
  EXPECT_EQ(f3->severity, findings::Severity::kInformational);
  EXPECT_EQ(f3->compliance->status_since, kT0 + 2 * kHour);

  // Broken again: back to NEW.
  auto r4 = (*store)->Upsert(Evaluate("standalone_disabled", kT0 + 3 * kHour), kT0 + 3 * kHour);
  ASSERT_TRUE(r4.has_value());
  bool reopened = false;
  for (const auto& o : r4->outcomes) reopened = reopened || (o.id == id && o.reopened);
  EXPECT_TRUE(reopened);
  auto f4 = (*store)->Get(id);
  EXPECT_EQ(f4->workflow, WorkflowStatus::kNew);
  EXPECT_EQ(f4->severity, findings::Severity::kHigh);
  EXPECT_EQ(f4->created_at, kT0);

  auto workflow = (*store)->History(id);
  ASSERT_TRUE(workflow.has_value());
  ASSERT_EQ(workflow->size(), 2u);
  EXPECT_EQ((*workflow)[0].to, WorkflowStatus::kResolved);
  EXPECT_EQ((*workflow)[0].actor, "vigil");
  EXPECT_EQ((*workflow)[1].from, WorkflowStatus::kResolved);
  EXPECT_EQ((*workflow)[1].to, WorkflowStatus::kNew);

  auto history = (*store)->ComplianceHistory(id);
  ASSERT_TRUE(history.has_value()) << history.error().message;
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].status, ComplianceStatus::kFailed);
  EXPECT_EQ((*history)[0].at, kT0);
  EXPECT_EQ((*history)[1].status, ComplianceStatus::kPassed);
  EXPECT_EQ((*history)[1].at, kT0 + 2 * kHour);
  EXPECT_EQ((*history)[2].status, ComplianceStatus::kFailed);
  ASSERT_FALSE((*history)[2].evidence.empty());
  EXPECT_THAT((*history)[2].evidence[0].file, HasSubstr("get-detector-"));
}

TEST(ControlHistoryTest, SuppressedStaysSuppressed) {
  TempDir dir;
  auto store = store::SqliteFindingStore::Open(dir.File("vigil.db"));
  ASSERT_TRUE(store.has_value());
  const std::string id = Gd5("standalone_disabled", kT0).id;
  ASSERT_TRUE((*store)->Upsert(Evaluate("standalone_disabled", kT0), kT0).has_value());
  ASSERT_TRUE(
      (*store)
          ->SetWorkflowStatus(id, WorkflowStatus::kSuppressed, "alice", "accepted risk", kT0 + 1)
          .has_value());
  ASSERT_TRUE(
      (*store)->Upsert(Evaluate("standalone_enabled", kT0 + kHour), kT0 + kHour).has_value());
  ASSERT_TRUE((*store)
                  ->Upsert(Evaluate("standalone_disabled", kT0 + 2 * kHour), kT0 + 2 * kHour)
                  .has_value());
  EXPECT_EQ((*store)->Get(id)->workflow, WorkflowStatus::kSuppressed);
}

TEST(ControlHistoryTest, FirstEvaluationThatPassesIsStoredResolved) {
  TempDir dir;
  auto store = store::SqliteFindingStore::Open(dir.File("vigil.db"));
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->Upsert(Evaluate("standalone_enabled", kT0), kT0).has_value());
  auto f = (*store)->Get(Gd5("standalone_enabled", kT0).id);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->workflow, WorkflowStatus::kResolved);
  // The compliance history arrived with schema version 2; a store has it from then on.
  EXPECT_GE((*store)->SchemaVersion().value(), 2);
}

}  // namespace
}  // namespace vigil::controls
