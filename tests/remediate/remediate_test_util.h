// A remediation world for tests: a real SQLite store file, a FakeGitHub on loopback with a
// GitHubTracker pointed at it, the fake `aws` script (fake_aws.sh) run by a real ProcessRunner,
// and the Engine wired to them. Findings come from controls::EvaluateSnapshot over the example
// snapshot folders, stored and read back as `vigil remediate run --snapshot` does.
#ifndef VIGIL_TESTS_REMEDIATE_REMEDIATE_TEST_UTIL_H_
#define VIGIL_TESTS_REMEDIATE_REMEDIATE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "controls/command_runner.h"
#include "controls/evaluate.h"
#include "remediate/aws_actions.h"
#include "remediate/config.h"
#include "remediate/engine.h"
#include "remediate/fake_github.h"
#include "remediate/github_tracker.h"
#include "store/finding_store.h"
#include "store/sqlite/remediation_state.h"
#include "temp_dir.h"

namespace vigil::remediate::testing {

using vigil::tests::TempDir;

constexpr std::string_view kToken = "ghp_test_token_never_logged_0123456789";

inline std::string Example(std::string_view relative) {
  return std::string(VIGIL_SOURCE_DIR) + "/examples/" + std::string(relative);
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fake aws's recorded argument vectors, one per call.
inline std::vector<std::vector<std::string>> AwsCalls(const std::string& state_dir) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(ReadText(state_dir + "/argv.log"));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> argv;
    std::string field;
    for (char c : line) {
      if (c == '\x1f') {
        argv.push_back(field);
        field.clear();
      } else {
        field += c;
      }
    }
    out.push_back(argv);
  }
  return out;
}

inline std::size_t CountAwsOp(const std::string& state_dir, std::string_view op) {
  std::size_t n = 0;
  for (const auto& argv : AwsCalls(state_dir)) {
    for (const auto& a : argv) n += (a == op);
  }
  return n;
}

class World {
 public:
  explicit World(const std::string& playbooks_yaml, int max_attempts = 4)
      : github_("acme/infra", std::string(kToken)) {
    if (!github_.Start()) ADD_FAILURE() << "fake GitHub did not start";
    db_ = dir_.File("vigil.db");
    aws_state_ = dir_.File("aws");
    std::filesystem::create_directories(aws_state_);
    aws_ = dir_.File("aws-bin");
    std::filesystem::copy_file(std::string(VIGIL_SOURCE_DIR) + "/tests/remediate/fake_aws.sh",
                               aws_);
    std::filesystem::permissions(aws_, std::filesystem::perms::owner_all);
    ::setenv("FAKE_AWS_STATE", aws_state_.c_str(), 1);
    std::string text = playbooks_yaml;
    for (std::string::size_type p; (p = text.find("@AWS@")) != std::string::npos;)
      text.replace(p, 5, aws_);
    auto cfg = ParseRemediationConfig(text, "test.yaml");
    if (!cfg) {
      ADD_FAILURE() << cfg.error().ToString();
      return;
    }
    config_ = *cfg;
    max_attempts_ = max_attempts;
    Reopen();
  }

  // Opens the stores and the tracker again (as a new `vigil remediate run` process would).
  void Reopen(const std::string& db = "") {
    if (!db.empty()) db_ = db;
    auto fs = store::OpenFindingStore(db_);
    if (!fs) {
      ADD_FAILURE() << fs.error().ToString();
      return;
    }
    findings_ = std::move(*fs);
    auto st = store::SqliteRemediationState::Open(db_);
    if (!st) {
      ADD_FAILURE() << st.error().ToString();
      return;
    }
    state_ = std::move(*st);
    GitHubOptions o;
    o.name = "github";
    o.api_url = github_.url();
    o.repository = "acme/infra";
    o.token = std::string(kToken);
    o.max_attempts = max_attempts_;
    o.initial_backoff = std::chrono::milliseconds(5);
    o.timeout = std::chrono::milliseconds(500);
    o.sleep = [this](std::chrono::milliseconds d) {
      waits_.push_back(d);
      std::this_thread::sleep_for(std::min(d, std::chrono::milliseconds(20)));
    };
    auto t = GitHubTracker::Create(o);
    if (!t) {
      ADD_FAILURE() << t.error().ToString();
      return;
    }
    tracker_ = std::move(*t);
    gd_ = MakeGuardDutyEksAuditAction(runner_);
    eks_ = MakeEksAuditLoggingAction(runner_);
    cmd_ = MakeCommandAction(runner_);
  }

  Engine MakeEngine() {
    EngineDeps d;
    d.config = &config_;
    d.state = state_.get();
    d.findings = findings_.get();
    d.trackers["github"] = tracker_.get();
    d.executors[std::string(gd_->kind())] = gd_.get();
    d.executors[std::string(eks_->kind())] = eks_.get();
    d.executors[std::string(cmd_->kind())] = cmd_.get();
    return Engine(d);
  }

  // Evaluates `snapshot`, stores the results and runs (or plans) remediation over what is stored.
  RunReport RunSnapshot(const std::string& snapshot, UnixNanos now, bool execute = true) {
    auto evaluated = controls::EvaluateSnapshot(snapshot, {}, now);
    if (!evaluated) {
      ADD_FAILURE() << evaluated.error().ToString();
      return {};
    }
    return RunFindings(*evaluated, now, execute);
  }

  RunReport RunFindings(const std::vector<findings::Finding>& list, UnixNanos now, bool execute) {
    auto up = findings_->Upsert(list, now);
    if (!up) {
      ADD_FAILURE() << up.error().ToString();
      return {};
    }
    std::vector<findings::Finding> stored;
    for (const findings::Finding& f : list) {
      auto g = findings_->Get(f.id);
      if (g) stored.push_back(*g);
    }
    Engine engine = MakeEngine();
    auto r = engine.Process(stored, now, execute);
    if (!r) {
      ADD_FAILURE() << r.error().ToString();
      return {};
    }
    return *r;
  }

  std::vector<JournalEntry> Journal() {
    auto j = state_->ListJournal(0, 0, "");
    return j ? *j : std::vector<JournalEntry>{};
  }

  TempDir dir_;
  vigil::testing::FakeGitHub github_;
  std::string db_;
  std::string aws_state_;
  std::string aws_;
  RemediationConfig config_;
  int max_attempts_ = 4;
  controls::ProcessRunner runner_;
  std::unique_ptr<store::FindingStore> findings_;
  std::unique_ptr<store::SqliteRemediationState> state_;
  std::unique_ptr<GitHubTracker> tracker_;
  std::unique_ptr<ActionExecutor> gd_, eks_, cmd_;
  std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace vigil::remediate::testing

#endif  // VIGIL_TESTS_REMEDIATE_REMEDIATE_TEST_UTIL_H_
