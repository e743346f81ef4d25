// `vigil controls check|collect|report` end to end: the real binary runs as a subprocess
// (posix_spawn with an argument vector, through controls::ProcessRunner), on the fixture
// snapshots, a real SQLite file and a fake `aws` on PATH. Also runs the examples of
// docs/controls.md and compares their output with the document, so the document stays true.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "controls/command_runner.h"
#include "controls/controls_test_util.h"

namespace vigil::controls {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

const fs::path kSource = VIGIL_SOURCE_DIR;

std::string Fixture(std::string_view name) {
  return (kSource / "tests/data/controls/snapshots" / std::string(name)).string();
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

class ControlsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }
  CommandResult Vigil(std::vector<std::string> args) {
    args.insert(args.begin(), VIGIL_BINARY);
    ProcessRunner runner;
    auto r = runner.Run(args);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : CommandResult{-1, "", ""};
  }
  static std::vector<json> JsonLines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
  }
  static const json* Control(const std::vector<json>& lines, std::string_view id) {
    for (const json& j : lines) {
      if (j.contains("compliance") && j["compliance"]["control"] == id) return &j;
    }
    return nullptr;
  }
  std::string Db() const { return (dir_ / "vigil.db").string(); }
  testing::TempDir tmp_;
  fs::path dir_;
};

TEST_F(ControlsCliTest, CheckPrintsJsonResultsAndExitsZero) {
  auto r = Vigil(
      {"controls", "check", "--snapshot", Fixture("standalone_disabled"), "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  EXPECT_EQ(lines.size(), 10u);
  const json* gd5 = Control(lines, "GuardDuty.5");
  ASSERT_NE(gd5, nullptr);
  EXPECT_EQ((*gd5)["account"], "111122223333");
  EXPECT_EQ((*gd5)["region"], "us-east-1");
  EXPECT_EQ((*gd5)["severity"], "HIGH");
  EXPECT_EQ((*gd5)["compliance"]["status"], "FAILED");
  EXPECT_THAT((*gd5)["compliance"]["reasons"][0].get<std::string>(),
              HasSubstr("EKS_AUDIT_LOGS is DISABLED"));
  EXPECT_THAT(r.err, HasSubstr("10 results: 1 FAILED, 9 PASSED"));
}

TEST_F(ControlsCliTest, FailOnGivesExitThreeOnlyForFailuresAtThatSeverity) {
  EXPECT_EQ(Vigil({"controls", "check", "--snapshot", Fixture("standalone_disabled"), "--format",
                   "json", "--fail-on", "HIGH"})
                .exit_code,
            3);
  EXPECT_EQ(Vigil({"controls", "check", "--snapshot", Fixture("standalone_disabled"), "--format",
                   "json", "--fail-on", "CRITICAL"})
                .exit_code,
            0);
  EXPECT_EQ(Vigil({"controls", "check", "--snapshot", Fixture("standalone_enabled"), "--format",
                   "json", "--fail-on", "LOW"})
                .exit_code,
            0);
}

TEST_F(ControlsCliTest, UsageAndIoErrorsHaveTheScanExitCodes) {
  auto none = Vigil({"controls", "check"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("--snapshot"));
  EXPECT_EQ(Vigil({"controls", "check", "--snapshot", Fixture("x"), "--fail-on", "BAD"}).exit_code,
            2);
  EXPECT_EQ(Vigil({"controls", "check", "--snapshot", Fixture("x"), "--eks-oldest-version", "v1"})
                .exit_code,
            2);
  auto missing = Vigil({"controls", "check", "--snapshot", Fixture("does-not-exist")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("does-not-exist"));
  fs::create_directories(dir_ / "empty");
  auto empty = Vigil({"controls", "check", "--snapshot", (dir_ / "empty").string()});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("no account folder"));
  EXPECT_EQ(Vigil({"controls", "report", "--db", (dir_ / "nope.db").string()}).exit_code, 1);
}

TEST_F(ControlsCliTest, StoredHistoryResolvesAndReopensAndTheReportShowsIt) {
  auto r1 = Vigil({"controls", "check", "--snapshot", Fixture("standalone_disabled"), "--db", Db(),
                   "--format", "asff"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto asff = JsonLines(r1.out);
  bool saw = false;
  for (const json& a : asff) {
    if (a["Compliance"]["SecurityControlId"] != "GuardDuty.5") continue;
    saw = true;
    EXPECT_EQ(a["Workflow"]["Status"], "NEW");
    EXPECT_THAT(a["Id"].get<std::string>(),
                ::testing::StartsWith(
                    "arn:aws:securityhub:us-east-1:111122223333:subscription/"
                    "aws-foundational-security-best-practices/v/1.0.0/GuardDuty.5/finding/"));
  }
  EXPECT_TRUE(saw);
  auto r2 = Vigil({"controls", "check", "--snapshot", Fixture("standalone_enabled"), "--db", Db(),
                   "--format", "json"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  const auto lines = JsonLines(r2.out);
  const json* gd5 = Control(lines, "GuardDuty.5");
  ASSERT_NE(gd5, nullptr);
  EXPECT_EQ((*gd5)["workflow_status"], "RESOLVED");
  EXPECT_EQ((*gd5)["count"], 2);

  auto report = Vigil({"controls", "report", "--db", Db(), "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto j = json::parse(report.out);
  EXPECT_EQ(j["summary"]["PASSED"], 10);
  EXPECT_EQ(j["results"][1]["control"], "GuardDuty.5");
  EXPECT_EQ(j["results"][1]["history"].size(), 2u);
  auto md = Vigil({"controls", "report", "--db", Db(), "--format", "md"});
  EXPECT_THAT(md.out, HasSubstr("## GuardDuty.5"));
  auto html = Vigil({"controls", "report", "--db", Db(), "--format", "html"});
  EXPECT_THAT(html.out, HasSubstr("<h2>GuardDuty.5"));

  // The stored control findings are findings like any other.
  auto listed =
      Vigil({"findings", "list", "--db", Db(), "--type", "Control:*", "--format", "json"});
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_EQ(JsonLines(listed.out).size(), 10u);
}

TEST_F(ControlsCliTest, ApiServerManifestCheck) {
  auto r =
      Vigil({"controls", "check", "--apiserver-manifest",
             (kSource / "tests/data/controls/apiserver/good-manifest.yaml").string(),
             "--audit-policy", (kSource / "tests/data/controls/apiserver/bad-policy.yaml").string(),
             "--cluster", "lab", "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  for (const json& l : lines) EXPECT_EQ(l["class_uid"], 2003);
  EXPECT_EQ(lines[2]["compliance"]["control"], "KubeAudit.3");
  EXPECT_EQ(lines[2]["compliance"]["status"], "FAILED");
}

TEST_F(ControlsCliTest, CollectRunsTheAwsCliFromPath) {
  const std::string old_path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  const std::string log = (dir_ / "aws.log").string();
  setenv("PATH", ((kSource / "tests/data/controls/fake-aws").string() + ":" + old_path).c_str(), 1);
  setenv("FAKE_AWS_LOG", log.c_str(), 1);
  auto r = Vigil({"controls", "collect", "--out", (dir_ / "snap").string(), "--regions",
                  "us-east-1,eu-west-1", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("snapshot of account 555555555555 (2 regions)"));
  auto check =
      Vigil({"controls", "check", "--snapshot", (dir_ / "snap").string(), "--format", "json"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  setenv("FAKE_AWS_MODE", "unauthorised", 1);
  auto denied =
      Vigil({"controls", "collect", "--out", (dir_ / "snap2").string(), "--regions", "us-east-1"});
  EXPECT_EQ(denied.exit_code, 2);
  EXPECT_THAT(denied.err, HasSubstr("aws is not authorised"));
  unsetenv("FAKE_AWS_MODE");
  setenv("PATH", old_path.c_str(), 1);
  auto missing = Vigil(
      {"controls", "collect", "--out", (dir_ / "snap3").string(), "--aws", "vigil-no-such-aws"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("was not found on PATH"));
  unsetenv("FAKE_AWS_LOG");
}

// docs/controls.md: every ```console block that starts with "$ vigil ..." is run from the
// source folder and its stdout must be the rest of the block; every ```json block preceded by
// "<!-- output of: vigil ARGS (CONTROL) -->" must have the keys and values of that control's line
// in the real output (times excepted).
TEST(ControlsDocsTest, ExamplesInTheDocumentAreWhatVigilPrints) {
  std::ifstream in(kSource / "docs/controls.md");
  ASSERT_TRUE(in) << "docs/controls.md is missing";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  fs::current_path(kSource);
  ProcessRunner runner;
  size_t console = 0;
  size_t json_blocks = 0;
  const std::regex source_comment(R"(<!-- output of: vigil (.*) \((.*)\) -->)");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (lines[i] == "```console" && i + 1 < lines.size() && lines[i + 1].starts_with("$ vigil ")) {
      std::vector<std::string> argv = Split(lines[i + 1].substr(2));
      argv[0] = VIGIL_BINARY;
      std::string expected;
      size_t j = i + 2;
      for (; j < lines.size() && lines[j] != "```"; ++j) expected += lines[j] + "\n";
      auto r = runner.Run(argv);
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->out, expected) << lines[i + 1];
      ++console;
      i = j;
    } else if (std::regex_match(lines[i], m, source_comment) && i + 1 < lines.size() &&
               lines[i + 1] == "```json") {
      std::vector<std::string> argv = Split("vigil " + m[1].str());
      argv[0] = VIGIL_BINARY;
      std::string text;
      size_t j = i + 2;
      for (; j < lines.size() && lines[j] != "```"; ++j) text += lines[j] + "\n";
      const json documented = json::parse(text);
      auto r = runner.Run(argv);
      ASSERT_TRUE(r.has_value());
      const json* actual = nullptr;
      std::vector<json> all;
      std::istringstream out(r->out);
      for (std::string line; std::getline(out, line);) {
        if (!line.empty()) all.push_back(json::parse(line));
      }
      for (const json& a : all) {
        if (a.contains("compliance") && a["compliance"]["control"] == m[2].str()) actual = &a;
      }
      ASSERT_NE(actual, nullptr) << m[1];
      for (const auto& [key, value] : actual->items()) {
        ASSERT_TRUE(documented.contains(key)) << "the document lacks " << key;
        if (key.ends_with("_at") || key.ends_with("_seen")) continue;
        if (key == "compliance") {
          json a = value, d = documented[key];
          a.erase("status_since");
          d.erase("status_since");
          EXPECT_EQ(a, d);
        } else {
          EXPECT_EQ(value, documented[key]) << key;
        }
      }
      ++json_blocks;
      i = j;
    }
  }
  EXPECT_GE(console, 2u);
  EXPECT_GE(json_blocks, 1u);
}

}  // namespace
}  // namespace vigil::controls
