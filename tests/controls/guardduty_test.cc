// GuardDuty.1 and the feature controls over the hand-written fixture snapshots
// (tests/data/controls/snapshots), one per case of issue 4's "How it is checked".
#include "controls/guardduty.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controls/control.h"
#include "controls/controls_test_util.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Severity;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace vigil::controls::testing;

constexpr UnixNanos kNow = 1'764'000'000'000'000'000;
constexpr std::string_view kAccount = "111122223333";
constexpr std::string_view kAdmin = "555555555555";
constexpr std::string_view kRegion = "us-east-1";

std::vector<findings::Finding> Evaluate(std::string_view fixture) {
  auto results = EvaluateGuardDuty(Snapshot(FixtureSnapshot(fixture)), kNow);
  EXPECT_TRUE(results.has_value()) << (results ? "" : results.error().message);
  return results ? std::move(*results) : std::vector<findings::Finding>{};
}

TEST(GuardDutyControlsTest, StandaloneEnabledPassesEveryFeatureControl) {
  auto results = Evaluate("standalone_enabled");
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.1", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  for (const FeatureControl& control : FeatureControls()) {
    const auto& f = OneResult(results, control.control, kAccount, kRegion);
    EXPECT_EQ(StatusOf(f), ComplianceStatus::kPassed) << control.control << ": " << ReasonsOf(f);
    EXPECT_EQ(f.severity, Severity::kInformational) << control.control;
    EXPECT_EQ(f.compliance->resource_type, "AwsGuardDutyDetector");
    EXPECT_EQ(f.compliance->resource_id,
              "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0");
  }
  EXPECT_EQ(results.size(), 1 + FeatureControls().size());
}

TEST(GuardDutyControlsTest, StandaloneDisabledFailsGuardDuty5WithHighSeverity) {
  auto results = Evaluate("standalone_disabled");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAccount, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kFailed);
  EXPECT_EQ(gd5.severity, Severity::kHigh);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("EKS_AUDIT_LOGS is DISABLED"));
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("account 111122223333"));
  ASSERT_FALSE(gd5.compliance->evidence.empty());
  EXPECT_THAT(gd5.compliance->evidence[0].file,
              HasSubstr("guardduty/get-detector-12abc34d567e8fa901bc2d34e56789f0.json"));
  EXPECT_TRUE(gd5.compliance->auto_remediation);
  // The other features are on.
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.10", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.1", kAccount, kRegion)),
            ComplianceStatus::kPassed);
}

TEST(GuardDutyControlsTest, NoDetectorFailsGuardDuty1AndLeavesFeaturesNotAvailable) {
  auto results = Evaluate("no_detector");
  const auto& gd1 = OneResult(results, "GuardDuty.1", kAccount, kRegion);
  EXPECT_EQ(StatusOf(gd1), ComplianceStatus::kFailed);
  EXPECT_EQ(gd1.severity, Severity::kHigh);
  EXPECT_THAT(ReasonsOf(gd1), HasSubstr("no GuardDuty detector"));
  EXPECT_EQ(gd1.compliance->resource_type, "AwsAccount");
  EXPECT_EQ(gd1.compliance->resource_id, "AWS::::Account:111122223333");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAccount, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kNotAvailable);
  EXPECT_EQ(gd5.severity, Severity::kInformational);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("see GuardDuty.1"));
}

TEST(GuardDutyControlsTest, SuspendedDetectorFailsGuardDuty1) {
  auto results = Evaluate("suspended_detector");
  const auto& gd1 = OneResult(results, "GuardDuty.1", kAccount, kRegion);
  EXPECT_EQ(StatusOf(gd1), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(gd1), HasSubstr("Status is DISABLED"));
}

TEST(GuardDutyControlsTest, LegacyDataSourcesShapeIsRead) {
  auto results = Evaluate("legacy_only");
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.5", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.8", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  const auto& s3 = OneResult(results, "GuardDuty.10", kAccount, kRegion);
  EXPECT_EQ(StatusOf(s3), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(s3), HasSubstr("S3_DATA_EVENTS is DISABLED"));
  // A feature the legacy shape cannot express is reported as not reported, and fails.
  const auto& lambda = OneResult(results, "GuardDuty.6", kAccount, kRegion);
  EXPECT_EQ(StatusOf(lambda), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(lambda), HasSubstr("LAMBDA_NETWORK_LOGS is not reported"));
}

TEST(GuardDutyControlsTest, CamelCaseApiShapeIsRead) {
  auto results = Evaluate("camel_case");
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.1", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.5", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.11", kAccount, kRegion)),
            ComplianceStatus::kPassed);
  const auto& gd7 = OneResult(results, "GuardDuty.7", kAccount, kRegion);
  EXPECT_EQ(StatusOf(gd7), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(gd7),
              HasSubstr("RUNTIME_MONITORING is ENABLED but EKS_ADDON_MANAGEMENT is DISABLED"));
}

TEST(GuardDutyControlsTest, OrganizationAllEnabledPassesAndMembersGetNoFeatureResult) {
  auto results = Evaluate("org_all_enabled");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAdmin, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kPassed) << ReasonsOf(gd5);
  // Two associated members; the Removed one does not count.
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("2 associated member(s)"));
  // The member's own detector has EKS audit logs off, but members get no result of their own.
  EXPECT_TRUE(ResultsFor(results, "GuardDuty.5", kAccount).empty());
  EXPECT_TRUE(ResultsFor(results, "GuardDuty.11", kAccount).empty());
  // GuardDuty.1 is per account.
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.1", kAccount, kRegion)),
            ComplianceStatus::kPassed);
}

TEST(GuardDutyControlsTest, OrganizationWithOneMemberDisabledFails) {
  auto results = Evaluate("org_member_disabled");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAdmin, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kFailed);
  EXPECT_EQ(gd5.severity, Severity::kHigh);
  EXPECT_THAT(
      ReasonsOf(gd5),
      HasSubstr("member 444455556666 (RelationshipStatus Enabled): EKS_AUDIT_LOGS is DISABLED"));
  EXPECT_THAT(ReasonsOf(gd5), Not(HasSubstr("111122223333")));
  EXPECT_EQ(StatusOf(OneResult(results, "GuardDuty.10", kAdmin, kRegion)),
            ComplianceStatus::kPassed);
}

TEST(GuardDutyControlsTest, SuspendedMemberWithFeatureOffStillFails) {
  auto results = Evaluate("org_suspended_member");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAdmin, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(gd5),
              HasSubstr("member 444455556666 (RelationshipStatus AccountSuspended)"));
}

TEST(GuardDutyControlsTest, UnprocessedMembersMakeItNotAvailableNamingThem) {
  auto results = Evaluate("org_unprocessed");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAdmin, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kNotAvailable);
  EXPECT_EQ(gd5.severity, Severity::kInformational);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("444455556666 (unprocessed: The request is rejected"));
}

TEST(GuardDutyControlsTest, AutoEnableDoesNotPassAMemberThatIsOff) {
  auto results = Evaluate("org_auto_enable_member_disabled");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAdmin, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("member 111122223333"));
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("auto-enable for EKS_AUDIT_LOGS is NEW"));
}

TEST(GuardDutyControlsTest, MissingMemberDetectorsFileIsNotAvailable) {
  auto results = Evaluate("org_member_detectors_missing");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAdmin, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("get-member-detectors.json: file is missing"));
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("111122223333, 444455556666"));
}

TEST(GuardDutyControlsTest, MissingDetectorFileIsNotAvailableNeverPassed) {
  auto results = Evaluate("missing_detector_file");
  for (const auto& f : results) {
    EXPECT_EQ(StatusOf(f), ComplianceStatus::kNotAvailable) << f.compliance->control_id;
    EXPECT_THAT(ReasonsOf(f),
                HasSubstr("get-detector-12abc34d567e8fa901bc2d34e56789f0.json: file is missing"));
  }
  EXPECT_EQ(results.size(), 1 + FeatureControls().size());
}

TEST(GuardDutyControlsTest, UnreadableDetectorFileIsNotAvailableWithTheReason) {
  auto results = Evaluate("unreadable_detector_file");
  const auto& gd5 = OneResult(results, "GuardDuty.5", kAccount, kRegion);
  EXPECT_EQ(StatusOf(gd5), ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("not valid JSON at byte"));
}

TEST(GuardDutyControlsTest, MissingSnapshotRootIsAnIoError) {
  auto results = EvaluateGuardDuty(Snapshot(FixtureSnapshot("does-not-exist")), kNow);
  ASSERT_FALSE(results.has_value());
  EXPECT_EQ(results.error().code, ErrorCode::kIo);
  EXPECT_THAT(results.error().message, HasSubstr("does-not-exist"));
}

TEST(GuardDutyControlsTest, OneTableDrivesGuardDuty5To13) {
  std::vector<std::string> ids;
  for (const FeatureControl& c : FeatureControls()) {
    ids.emplace_back(c.control);
    const ControlDef* def = FindControl(c.control);
    ASSERT_NE(def, nullptr) << c.control;
    EXPECT_EQ(def->standard, kAwsFsbp);
  }
  EXPECT_THAT(ids, ::testing::ElementsAre("GuardDuty.5", "GuardDuty.6", "GuardDuty.7",
                                          "GuardDuty.8", "GuardDuty.9", "GuardDuty.10",
                                          "GuardDuty.11", "GuardDuty.12", "GuardDuty.13"));
  EXPECT_EQ(Control("GuardDuty.12").severity, Severity::kMedium);
  EXPECT_EQ(Control("GuardDuty.5").severity, Severity::kHigh);
}

TEST(GuardDutyControlsTest, ParseFeaturesRejectsWrongShapesNamingTheMember) {
  auto bad = ParseFeatures(nlohmann::json::parse(R"({"Features": {"Name": "x"}})"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message, HasSubstr("Features is not a list"));
  auto nameless = ParseFeatures(nlohmann::json::parse(R"({"Features": [{"Status": "ENABLED"}]})"));
  ASSERT_FALSE(nameless.has_value());
  EXPECT_THAT(nameless.error().message, HasSubstr("Features[0] has no Name"));
}

TEST(GuardDutyControlsTest, FeaturesListWinsOverLegacyDataSources) {
  auto features = ParseFeatures(nlohmann::json::parse(
      R"({"DataSources": {"Kubernetes": {"AuditLogs": {"Status": "ENABLED"}}},
          "Features": [{"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"}]})"));
  ASSERT_TRUE(features.has_value());
  EXPECT_EQ(features->at("EKS_AUDIT_LOGS").status, "DISABLED");
  EXPECT_EQ(features->at("EKS_AUDIT_LOGS").source, "Features[EKS_AUDIT_LOGS]");
}

}  // namespace
}  // namespace vigil::controls
