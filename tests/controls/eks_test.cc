// EKS.8, EKS.1, EKS.3 and EKS.2 over the eks_clusters fixture snapshot.
#include "controls/eks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controls/controls_test_util.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Severity;
using ::testing::HasSubstr;
using namespace vigil::controls::testing;

constexpr UnixNanos kNow = 1'764'000'000'000'000'000;
constexpr std::string_view kAccount = "111122223333";
constexpr std::string_view kRegion = "us-east-2";

class EksControlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = EvaluateEks(Snapshot(FixtureSnapshot("eks_clusters")), EksOptions{}, kNow);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    results_ = std::move(*r);
  }
  const findings::Finding& Result(std::string_view control, std::string_view cluster) {
    return OneResult(results_, control, kAccount, kRegion, cluster);
  }
  std::vector<findings::Finding> results_;
};

TEST_F(EksControlsTest, AuditLogTypeEnabledPasses) {
  const auto& f = Result("EKS.8", "audit-on");
  EXPECT_EQ(StatusOf(f), ComplianceStatus::kPassed) << ReasonsOf(f);
  EXPECT_EQ(f.compliance->resource_type, "AwsEksCluster");
  EXPECT_EQ(f.compliance->resource_id, "arn:aws:eks:us-east-2:111122223333:cluster/audit-on");
  EXPECT_EQ(f.severity, Severity::kInformational);
}

TEST_F(EksControlsTest, AllLoggingOffFails) {
  const auto& f = Result("EKS.8", "audit-off");
  EXPECT_EQ(StatusOf(f), ComplianceStatus::kFailed);
  EXPECT_EQ(f.severity, Severity::kMedium);
  EXPECT_THAT(ReasonsOf(f), HasSubstr("no enabled clusterLogging entry has type 'audit'"));
}

TEST_F(EksControlsTest, AuditInTheDisabledEntryOfSplitLoggingFails) {
  const auto& f = Result("EKS.8", "split-logging");
  EXPECT_EQ(StatusOf(f), ComplianceStatus::kFailed);
  EXPECT_THAT(
      ReasonsOf(f),
      HasSubstr("[api,authenticator] enabled; [audit,controllerManager,scheduler] disabled"));
}

TEST_F(EksControlsTest, PublicEndpointFailsEks1) {
  const auto& f = Result("EKS.1", "public-old");
  EXPECT_EQ(StatusOf(f), ComplianceStatus::kFailed);
  EXPECT_EQ(f.severity, Severity::kHigh);
  EXPECT_THAT(ReasonsOf(f), HasSubstr("0.0.0.0/0"));
  EXPECT_EQ(StatusOf(Result("EKS.1", "audit-on")), ComplianceStatus::kPassed);
}

TEST_F(EksControlsTest, SecretsEncryptionIsEks3) {
  EXPECT_EQ(StatusOf(Result("EKS.3", "audit-on")), ComplianceStatus::kPassed);
  const auto& f = Result("EKS.3", "public-old");
  EXPECT_EQ(StatusOf(f), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(f), HasSubstr("secrets"));
}

TEST_F(EksControlsTest, VersionOlderThanTheParameterFailsEks2) {
  const auto& old = Result("EKS.2", "public-old");
  EXPECT_EQ(StatusOf(old), ComplianceStatus::kFailed);
  EXPECT_THAT(ReasonsOf(old), HasSubstr("1.26 is older than the oldest supported version 1.31"));
  EXPECT_EQ(StatusOf(Result("EKS.2", "audit-on")), ComplianceStatus::kPassed);
  EXPECT_EQ(StatusOf(Result("EKS.2", "audit-off")), ComplianceStatus::kPassed);
}

TEST_F(EksControlsTest, OldestSupportedVersionIsAParameter) {
  auto r = EvaluateEks(Snapshot(FixtureSnapshot("eks_clusters")),
                       EksOptions{.oldest_supported_version = "1.25"}, kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(StatusOf(OneResult(*r, "EKS.2", kAccount, kRegion, "public-old")),
            ComplianceStatus::kPassed);
  auto newer = EvaluateEks(Snapshot(FixtureSnapshot("eks_clusters")),
                           EksOptions{.oldest_supported_version = "1.32"}, kNow);
  ASSERT_TRUE(newer.has_value());
  EXPECT_EQ(StatusOf(OneResult(*newer, "EKS.2", kAccount, kRegion, "audit-on")),
            ComplianceStatus::kFailed);
}

TEST_F(EksControlsTest, ListedClusterWithoutDescribeFileIsNotAvailable) {
  for (std::string_view control : {"EKS.8", "EKS.1", "EKS.3", "EKS.2"}) {
    const auto& f = Result(control, "vanished");
    EXPECT_EQ(StatusOf(f), ComplianceStatus::kNotAvailable) << control;
    EXPECT_THAT(ReasonsOf(f), HasSubstr("describe-cluster-vanished.json: file is missing"));
  }
}

TEST_F(EksControlsTest, RegionWithoutListClustersIsNotAvailableForTheAccount) {
  auto found = ResultsFor(results_, "EKS.8", kAccount, "eu-west-2");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(StatusOf(*found[0]), ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(*found[0]), HasSubstr("list-clusters.json: file is missing"));
  EXPECT_EQ(found[0]->compliance->resource_type, "AwsAccount");
}

TEST_F(EksControlsTest, UnreadableListClustersIsNotAvailableWithTheReason) {
  auto found = ResultsFor(results_, "EKS.1", kAccount, "eu-west-1");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(StatusOf(*found[0]), ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(*found[0]), HasSubstr("not valid JSON"));
}

TEST_F(EksControlsTest, RegionWithoutAnEksFolderWasNotCollectedAndHasNoResults) {
  auto gd = Snapshot(FixtureSnapshot("standalone_enabled"));
  auto r = EvaluateEks(gd, EksOptions{}, kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
}

TEST(EksVersionTest, ParsesMajorMinorOnly) {
  EXPECT_EQ(ParseKubernetesVersion("1.26"), (std::pair{1, 26}));
  EXPECT_EQ(ParseKubernetesVersion("1.9"), (std::pair{1, 9}));
  EXPECT_FALSE(ParseKubernetesVersion("1"));
  EXPECT_FALSE(ParseKubernetesVersion("1."));
  EXPECT_FALSE(ParseKubernetesVersion("v1.26"));
  EXPECT_FALSE(ParseKubernetesVersion("1.26.3"));
  EXPECT_FALSE(ParseKubernetesVersion(""));
}

}  // namespace
}  // namespace vigil::controls
