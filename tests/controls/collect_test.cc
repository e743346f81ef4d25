// `vigil controls collect` against a fake `aws` executable on PATH
// (tests/data/controls/fake-aws/aws, a shell script that records its arguments and prints canned
// CLI output): real processes, real files. No AWS account is reachable here; the script answers
// like the AWS CLI v2 does.
#include "controls/collect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "controls/controls_test_util.h"
#include "controls/evaluate.h"

namespace vigil::controls {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace vigil::controls::testing;

class CollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    log_ = (dir_ / "aws.log").string();
    old_path_ = getenv("PATH") != nullptr ? getenv("PATH") : "";
    setenv("PATH", (FixtureFile("fake-aws") + ":" + old_path_).c_str(), 1);
    setenv("FAKE_AWS_LOG", log_.c_str(), 1);
    unsetenv("FAKE_AWS_MODE");
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    unsetenv("FAKE_AWS_LOG");
    unsetenv("FAKE_AWS_MODE");
  }
  std::vector<std::string> Calls() const {
    std::ifstream in(log_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string Snap() const { return (dir_ / "snap").string(); }

  TempDir tmp_;
  std::filesystem::path dir_;
  std::string log_;
  std::string old_path_;
};

TEST_F(CollectTest, WritesTheSnapshotWithPaginationBatchesAndEveryRegion) {
  ProcessRunner runner;
  CollectOptions options;
  options.out = Snap();
  options.regions = {"us-east-1", "eu-west-1"};
  options.profile = "audit";
  options.page_size = 1;
  options.member_batch = 2;
  auto summary = Collect(runner, options);
  ASSERT_TRUE(summary.has_value()) << summary.error().message;
  EXPECT_EQ(summary->account, "555555555555");
  const std::string us = " --output json --region us-east-1 --profile audit";
  const std::string eu = " --output json --region eu-west-1 --profile audit";
  EXPECT_THAT(
      Calls(),
      ElementsAre(
          "sts get-caller-identity --output json --profile audit",
          "guardduty list-detectors --max-items 1" + us,
          "guardduty get-detector --detector-id a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5" + us,
          "guardduty get-administrator-account --detector-id a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5" + us,
          "guardduty describe-organization-configuration --detector-id "
          "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5" +
              us,
          "guardduty list-members --detector-id a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5 "
          "--only-associated true --max-items 1" +
              us,
          "guardduty get-member-detectors --detector-id a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5 "
          "--account-ids 111122223333 222233334444" +
              us,
          "guardduty get-member-detectors --detector-id a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5 "
          "--account-ids 444455556666" +
              us,
          "eks list-clusters --max-items 1" + us, "guardduty list-detectors --max-items 1" + eu,
          "eks list-clusters --max-items 1" + eu,
          "eks list-clusters --max-items 1 --starting-token eyJuZXh0IjogMX0=" + eu,
          "eks describe-cluster --name prod" + eu, "eks describe-cluster --name dev" + eu));
  EXPECT_EQ(summary->calls, Calls().size());

  // The snapshot is what `controls check` reads.
  auto results = EvaluateSnapshot(Snap(), {}, 1);
  ASSERT_TRUE(results.has_value()) << results.error().message;
  const auto& gd5 = OneResult(*results, "GuardDuty.5", "555555555555", "us-east-1");
  EXPECT_EQ(StatusOf(gd5), findings::ComplianceStatus::kNotAvailable);
  EXPECT_THAT(ReasonsOf(gd5), HasSubstr("444455556666 (unprocessed: The request is rejected"));
  EXPECT_EQ(StatusOf(OneResult(*results, "GuardDuty.1", "555555555555", "eu-west-1")),
            findings::ComplianceStatus::kFailed);
  EXPECT_EQ(StatusOf(OneResult(*results, "EKS.8", "555555555555", "eu-west-1", "dev")),
            findings::ComplianceStatus::kPassed);
  EXPECT_EQ(StatusOf(OneResult(*results, "EKS.8", "555555555555", "eu-west-1", "prod")),
            findings::ComplianceStatus::kPassed);
  EXPECT_FALSE(std::filesystem::exists(
      Snap() + "/555555555555/us-east-1/guardduty/get-administrator-account.json"));
}

TEST_F(CollectTest, AsksForTheRegionsWhenNoneAreGiven) {
  ProcessRunner runner;
  CollectOptions options;
  options.out = Snap();
  auto summary = Collect(runner, options);
  ASSERT_TRUE(summary.has_value()) << summary.error().message;
  EXPECT_THAT(summary->regions, ElementsAre("us-east-1", "eu-west-1"));
  EXPECT_EQ(Calls()[1], "ec2 describe-regions --output json");
  EXPECT_TRUE(
      std::filesystem::exists(Snap() + "/555555555555/eu-west-1/eks/describe-cluster-dev.json"));
}

TEST_F(CollectTest, MissingAwsIsAClearConfigError) {
  ProcessRunner runner;
  CollectOptions options;
  options.out = Snap();
  options.aws = "vigil-test-no-such-aws";
  auto summary = Collect(runner, options);
  ASSERT_FALSE(summary.has_value());
  EXPECT_EQ(summary.error().code, ErrorCode::kConfig);
  EXPECT_THAT(summary.error().message,
              HasSubstr("'vigil-test-no-such-aws') was not found on PATH"));
}

TEST_F(CollectTest, UnauthorisedAwsIsAClearConfigError) {
  setenv("FAKE_AWS_MODE", "unauthorised", 1);
  ProcessRunner runner;
  CollectOptions options;
  options.out = Snap();
  options.regions = {"us-east-1"};
  auto summary = Collect(runner, options);
  ASSERT_FALSE(summary.has_value());
  EXPECT_EQ(summary.error().code, ErrorCode::kConfig);
  EXPECT_THAT(summary.error().message,
              HasSubstr("aws is not authorised for 'sts get-caller-identity'"));
  EXPECT_THAT(summary.error().message, HasSubstr("ExpiredToken"));
  EXPECT_EQ(Calls().size(), 1u);
}

TEST_F(CollectTest, RegionNamesCannotEscapeTheSnapshotFolder) {
  ProcessRunner runner;
  CollectOptions options;
  options.out = Snap();
  options.regions = {"../../etc"};
  auto summary = Collect(runner, options);
  ASSERT_FALSE(summary.has_value());
  EXPECT_EQ(summary.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::controls
