// Many engines over one store (issue 8): several real `vigil remediate run` processes started at
// the same moment against one SQLite file or one PostgreSQL database (a throwaway server,
// tests/pg_server.h), a fake GitHub on loopback that counts the issues created, and the fake
// `aws` program that logs every invocation. Each finding is claimed before it is processed
// (RemediationStateStore::TryClaim), so exactly one issue is opened and the plan applied once.
// A claim left by a process killed with kill -9 keeps others off until it runs out, then the
// finding is processed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "base/time.h"
#include "controls/command_runner.h"
#include "pg_server.h"
#include "remediate/remediate_test_util.h"
#include "store/postgres/remediation_state.h"

extern char** environ;

namespace vigil::remediate::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

enum class Backend { kSqlite, kPostgres };

class ManyEnginesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      VIGIL_REQUIRE_PG_SERVER(server);
      std::string why;
      static int databases = 0;
      db_ = server->CreateDatabase("many_engines_" + std::to_string(++databases), &why);
      ASSERT_FALSE(db_.empty()) << why;
    } else {
      db_ = tmp_.File("vigil.db");
    }
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
    // Auto mode, one attempt: after the one applied change the next run escalates instead of
    // applying again, so every applied change beyond one is a double apply.
    std::string text = ReadText(Example("remediate-guardduty5.yaml"));
    text = std::regex_replace(text, std::regex("mode: dry-run"), "mode: auto");
    text = std::regex_replace(text, std::regex("attempt_cap: 3"), "attempt_cap: 1");
    config_ = tmp_.File("auto.yaml");
    std::ofstream(config_) << text;
  }

  std::vector<std::string> RunArgs() const {
    return {VIGIL_BINARY, "remediate",  "run",          "--config", config_,
            "--snapshot", Example("snapshots/demo"), "--db", db_, "--format", "json"};
  }

  // Starts `n` runs back to back (they overlap) and waits for all; returns each one's stdout.
  std::vector<std::string> RunAtOnce(int n) {
    std::vector<pid_t> pids;
    std::vector<std::string> outs;
    const std::vector<std::string> args = RunArgs();
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (int i = 0; i < n; ++i) {
      outs.push_back(tmp_.File("run-" + std::to_string(i) + ".out"));
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 1, outs.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0600);
      posix_spawn_file_actions_addopen(&fa, 2, (outs.back() + ".err").c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
      pid_t pid = -1;
      EXPECT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
      posix_spawn_file_actions_destroy(&fa);
      pids.push_back(pid);
    }
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < pids.size(); ++i) {
      int status = 0;
      waitpid(pids[i], &status, 0);
      EXPECT_TRUE(WIFEXITED(status)) << "run " << i;
      texts.push_back(ReadText(outs[i]));
      EXPECT_EQ(WEXITSTATUS(status), 0) << "run " << i << ": " << ReadText(outs[i] + ".err")
                                        << texts.back();
    }
    return texts;
  }

  // The id of the one finding the demo snapshot makes (from a plan that touches nothing).
  std::string FindingId() {
    controls::ProcessRunner runner;
    auto r = runner.Run({VIGIL_BINARY, "remediate", "plan", "--config", config_, "--snapshot",
                         Example("snapshots/demo"), "--format", "json"});
    EXPECT_TRUE(r.has_value() && r->exit_code == 0);
    if (!r || r->exit_code != 0) return "";
    json plan = json::parse(r->out);
    return plan["tickets"].empty() ? "" : plan["tickets"][0]["finding_id"].get<std::string>();
  }

  TempDir tmp_;
  vigil::testing::FakeGitHub github_{"acme/infra", std::string(kToken)};
  std::string bin_, aws_state_, db_, config_;
};

std::size_t CountBusy(const std::vector<std::string>& outs) {
  std::size_t busy = 0;
  for (const std::string& out : outs) {
    if (out.empty()) continue;
    json report = json::parse(out, nullptr, false);
    if (report.is_discarded()) continue;
    for (const json& n : report["notes"]) busy += n.value("kind", "") == "busy";
  }
  return busy;
}

TEST_P(ManyEnginesTest, RunsStartedTogetherOpenOneIssueAndApplyThePlanOnce) {
  {  // migrate before the race, as a deployed store is
    auto state = store::OpenRemediationState(db_);
    ASSERT_TRUE(state.has_value()) << state.error().message;
  }
  constexpr int kRuns = 6;
  const std::vector<std::string> outs = RunAtOnce(kRuns);
  EXPECT_EQ(github_.issues().size(), 1u) << "one issue per finding";
  EXPECT_EQ(CountAwsOp(aws_state_, "update-detector"), 1u) << "the plan applied once";
  // Again, a second wave: still one issue, still one apply (the others escalate or find it busy).
  const std::vector<std::string> again = RunAtOnce(kRuns);
  EXPECT_EQ(github_.issues().size(), 1u);
  EXPECT_EQ(CountAwsOp(aws_state_, "update-detector"), 1u);
  std::printf("busy notes: %zu of %d runs, then %zu of %d\n", CountBusy(outs), kRuns,
              CountBusy(again), kRuns);
  // Every claim was released.
  auto state = store::OpenRemediationState(db_);
  ASSERT_TRUE(state.has_value());
  auto free_now = (*state)->TryClaim(FindingId(), "checker", NowNanos(), 1'000'000'000);
  ASSERT_TRUE(free_now.has_value());
  EXPECT_TRUE(*free_now) << "no run left its claim behind";
}

TEST_P(ManyEnginesTest, AClaimOfAProcessKilledWithKill9RunsOutThenTheFindingIsProcessed) {
  const std::string id = FindingId();
  ASSERT_FALSE(id.empty());
  constexpr UnixNanos kTtl = 3'000'000'000;  // the dead engine's claim lasts 3 s
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    auto state = store::OpenRemediationState(db_);
    bool held = false;
    if (state) {
      auto c = (*state)->TryClaim(id, "doomed-engine", NowNanos(), kTtl);
      held = c.has_value() && *c;
    }
    const char byte = held ? '1' : '0';
    (void)!write(ready[1], &byte, 1);
    for (;;) pause();  // "processing" until killed
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  ASSERT_EQ(byte, '1') << "the child could not take the claim";
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  // While the dead engine's claim lasts: the finding is skipped, reported busy, nothing created.
  std::vector<std::string> outs = RunAtOnce(1);
  EXPECT_EQ(CountBusy(outs), 1u) << outs[0];
  EXPECT_TRUE(github_.issues().empty());
  EXPECT_EQ(CountAwsOp(aws_state_, "update-detector"), 0u);

  std::this_thread::sleep_for(std::chrono::milliseconds(kTtl / 1'000'000 + 200));
  outs = RunAtOnce(1);
  EXPECT_EQ(CountBusy(outs), 0u) << outs[0];
  EXPECT_EQ(github_.issues().size(), 1u) << "picked up once the claim ran out";
  EXPECT_EQ(CountAwsOp(aws_state_, "update-detector"), 1u);
}

// Rollback (and approve/reject) claim the finding too: while another engine holds it the command
// says busy and changes nothing; once released it goes through.
TEST_P(ManyEnginesTest, RollbackOfAFindingAnotherEngineHoldsSaysBusy) {
  RunAtOnce(1);
  ASSERT_EQ(CountAwsOp(aws_state_, "update-detector"), 1u);
  controls::ProcessRunner runner;
  auto journal = runner.Run({VIGIL_BINARY, "remediate", "journal", "--db", db_, "--format", "json"});
  ASSERT_TRUE(journal.has_value() && journal->exit_code == 0);
  std::string action;
  std::istringstream lines(journal->out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line);
    if (e["kind"] == "result" && action.empty()) action = e["action_id"];
  }
  ASSERT_FALSE(action.empty()) << journal->out;
  auto state = store::OpenRemediationState(db_);
  ASSERT_TRUE(state.has_value());
  const std::string id = FindingId();
  ASSERT_TRUE(*(*state)->TryClaim(id, "other-engine", NowNanos(), 60'000'000'000));
  auto busy = runner.Run({VIGIL_BINARY, "remediate", "rollback", action, "--db", db_});
  ASSERT_TRUE(busy.has_value());
  EXPECT_NE(busy->exit_code, 0);
  EXPECT_NE(busy->err.find("busy: another engine is processing finding " + id), std::string::npos)
      << busy->err;
  EXPECT_NE(ReadText(aws_state_ + "/detector"), "DISABLED\n") << "nothing rolled back";
  ASSERT_TRUE((*state)->ReleaseClaim(id, "other-engine").has_value());
  auto done = runner.Run({VIGIL_BINARY, "remediate", "rollback", action, "--db", db_});
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->exit_code, 0) << done->err;
  EXPECT_EQ(ReadText(aws_state_ + "/detector"), "DISABLED\n");
}

INSTANTIATE_TEST_SUITE_P(Backends, ManyEnginesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& p) {
                           return p.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace vigil::remediate::testing
