// `vigil remediate ...` end to end: the real binary as a subprocess, a fake GitHub on loopback
// (configured the way GitHub Actions does it: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN),
// the fake `aws` first on PATH, the example config and snapshots, and a real SQLite file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "controls/command_runner.h"
#include "remediate/remediate_test_util.h"

namespace vigil::remediate::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RemediateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(github_.Start());
    bin_ = tmp_.File("bin");
    fs::create_directories(bin_);
    fs::copy_file(std::string(VIGIL_SOURCE_DIR) + "/tests/remediate/fake_aws.sh", bin_ + "/aws");
    fs::permissions(bin_ + "/aws", fs::perms::owner_all);
    aws_state_ = tmp_.File("aws-state");
    fs::create_directories(aws_state_);
    ::setenv("FAKE_AWS_STATE", aws_state_.c_str(), 1);
    ::setenv("PATH", (bin_ + ":" + std::string(std::getenv("PATH"))).c_str(), 1);
    ::setenv("GITHUB_API_URL", github_.url().c_str(), 1);
    ::setenv("GITHUB_REPOSITORY", "acme/infra", 1);
    ::setenv("GITHUB_TOKEN", std::string(kToken).c_str(), 1);
    db_ = tmp_.File("vigil.db");
  }

  controls::CommandResult Vigil(std::vector<std::string> args) {
    args.insert(args.begin(), VIGIL_BINARY);
    controls::ProcessRunner runner;
    auto r = runner.Run(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : controls::CommandResult{-1, "", ""};
  }

  // The example config with another mode.
  std::string ConfigWithMode(std::string_view mode) {
    std::string text = ReadText(Example("remediate-guardduty5.yaml"));
    text = std::regex_replace(text, std::regex("mode: dry-run"), "mode: " + std::string(mode));
    const std::string path = tmp_.File(std::string(mode) + ".yaml");
    std::ofstream(path) << text;
    return path;
  }

  controls::CommandResult Run(const std::string& config, const std::string& snapshot,
                              std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"remediate", "run",  "--config", config,
                                     "--snapshot", snapshot, "--db", db_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Vigil(args);
  }

  TempDir tmp_;
  vigil::testing::FakeGitHub github_{"acme/infra", std::string(kToken)};
  std::string bin_, aws_state_, db_;
};

TEST_F(RemediateCliTest, TheExampleConfigOpensOneIssueClosesItWhenFixedAndReopensTheSame) {
  const std::string config = Example("remediate-guardduty5.yaml");
  auto r = Run(config, Example("snapshots/demo"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("update-detector"), std::string::npos) << r.out;
  ASSERT_EQ(github_.issues().size(), 1u);
  EXPECT_EQ(CountAwsOp(aws_state_, "update-detector"), 0u) << "dry-run";
  EXPECT_EQ(r.err.find(std::string(kToken)), std::string::npos);
  EXPECT_EQ(r.out.find(std::string(kToken)), std::string::npos);

  r = Run(config, Example("snapshots/demo"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(github_.issues().size(), 1u) << "no duplicate";

  r = Run(config, Example("snapshots/guardduty5-passing"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(github_.issues().size(), 1u);
  EXPECT_EQ(github_.issues()[0].state, "closed");

  r = Run(config, Example("snapshots/demo"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(github_.issues().size(), 1u) << "the same issue, reopened";
  EXPECT_EQ(github_.issues()[0].state, "open");
}

TEST_F(RemediateCliTest, PlanPrintsTheArtefactAndChangesNothing) {
  auto r = Vigil({"remediate", "plan", "--config", Example("remediate-guardduty5.yaml"),
                  "--snapshot", Example("snapshots/guardduty5-org"), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_FALSE(plan["executed"].get<bool>());
  ASSERT_EQ(plan["tickets"].size(), 1u);
  EXPECT_EQ(plan["tickets"][0]["op"], "open");
  ASSERT_EQ(plan["plans"].size(), 1u);
  EXPECT_EQ(plan["plans"][0]["changes"].size(), 3u);
  EXPECT_EQ(plan["plans"][0]["hash"].get<std::string>().size(), 64u);
  EXPECT_TRUE(github_.requests().empty());
  EXPECT_FALSE(fs::exists(aws_state_ + "/argv.log"));
}

TEST_F(RemediateCliTest, AutoModeRunsTheAwsCliAsAnArgumentVector) {
  auto r = Run(ConfigWithMode("auto"), Example("snapshots/demo"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  bool found = false;
  for (const auto& argv : AwsCalls(aws_state_)) {
    if (argv.size() > 1 && argv[1] == "update-detector") {
      found = true;
      EXPECT_EQ(argv, (std::vector<std::string>{
                          "guardduty", "update-detector", "--region", "us-east-1",
                          "--detector-id", "12abc34d567e8fa901bc2d34e56789f0", "--features",
                          R"([{"Name":"EKS_AUDIT_LOGS","Status":"ENABLED"}])"}));
    }
  }
  EXPECT_TRUE(found);

  // Rollback the applied action, named in the journal.
  r = Vigil({"remediate", "journal", "--db", db_, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string action;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line);
    if (e["kind"] == "result" && action.empty()) action = e["action_id"];
  }
  ASSERT_FALSE(action.empty()) << r.out;
  r = Vigil({"remediate", "rollback", action, "--db", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadText(aws_state_ + "/detector"), "DISABLED\n");
}

TEST_F(RemediateCliTest, ApproveNeedsTheReviewedHash) {
  const std::string config = ConfigWithMode("approve");
  auto r = Run(config, Example("snapshots/demo"), {"--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json report = json::parse(r.out);
  ASSERT_EQ(report["plans"].size(), 1u);
  const std::string id = report["plans"][0]["id"], hash = report["plans"][0]["hash"];
  EXPECT_EQ(report["plans"][0]["state"], "awaiting_approval");

  r = Vigil({"remediate", "approve", id, "--hash", std::string(64, 'a'), "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("review the plan again"), std::string::npos) << r.err;

  r = Vigil({"remediate", "status", "--config", config, "--db", db_, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["awaiting_approval"], 1);

  r = Vigil({"remediate", "approve", id, "--hash", hash, "--db", db_, "--actor", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run(config, Example("snapshots/demo"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CountAwsOp(aws_state_, "update-detector"), 1u);
}

TEST_F(RemediateCliTest, JournalVerifyNamesTheTamperedEntry) {
  auto r = Run(ConfigWithMode("auto"), Example("snapshots/demo"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Vigil({"remediate", "journal", "--db", db_, "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("chain intact"), std::string::npos);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE remediation_journal SET kind = 'nothing' WHERE seq = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  r = Vigil({"remediate", "journal", "--db", db_, "--verify"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("FAILED at entry 2"), std::string::npos) << r.out;
}

TEST_F(RemediateCliTest, ATrackerThatStaysDownFailsTheRunAndLosesNothing) {
  github_.FailNext(1000);
  auto r = Run(Example("remediate-guardduty5.yaml"), Example("snapshots/demo"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAILED (will be retried)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(std::string(kToken)), std::string::npos);
  github_.FailNext(0);
  r = Run(Example("remediate-guardduty5.yaml"), Example("snapshots/demo"));
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(github_.issues().size(), 1u);
}

TEST_F(RemediateCliTest, BadConfigIsRejectedWithItsPosition) {
  const std::string path = tmp_.File("bad.yaml");
  std::ofstream(path) << "remediation:\n  playbooks:\n    - name: x\n      mode: sometimes\n"
                         "      match: {control: GuardDuty.5}\n";
  auto r = Vigil({"remediate", "plan", "--config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:4:13"), std::string::npos) << r.err;
}

// docs/remediation.md: every ```console block that starts with "$ vigil ..." is run from the
// source folder and its stdout must be the rest of the block (plan ids, which depend on the time
// of the run, are compared as "some id").
TEST_F(RemediateCliTest, ExamplesInTheDocumentAreWhatVigilPrints) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/remediation.md");
  ASSERT_TRUE(in) << "docs/remediation.md is missing";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  fs::current_path(VIGIL_SOURCE_DIR);
  const std::regex plan_id("plan [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  std::size_t blocks = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != "```console" || i + 1 >= lines.size() || !lines[i + 1].starts_with("$ vigil "))
      continue;
    std::vector<std::string> argv;
    std::istringstream words(lines[i + 1].substr(2));
    for (std::string w; words >> w;) argv.push_back(w);
    argv.erase(argv.begin());
    std::string expected;
    std::size_t j = i + 2;
    for (; j < lines.size() && lines[j] != "```"; ++j) expected += lines[j] + "\n";
    auto r = Vigil(argv);
    EXPECT_EQ(std::regex_replace(r.out, plan_id, "plan ID"),
              std::regex_replace(expected, plan_id, "plan ID"))
        << lines[i + 1];
    ++blocks;
    i = j;
  }
  EXPECT_GE(blocks, 1u);
}

}  // namespace
}  // namespace vigil::remediate::testing
