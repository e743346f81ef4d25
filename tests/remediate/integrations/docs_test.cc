// docs/remediation-integrations.md stays true: every config block marked `<!-- vigil-config: X -->`
// parses with X's parser, the Python receiver snippet verifies a signature vigil made (run with the
// real python3, skipped when there is none), and the RBAC rules quoted there are the example's.
#include <gtest/gtest.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "remediate/integrations_config.h"
#include "remediate/notifiers.h"
#include "temp_dir.h"

extern char** environ;

namespace vigil::remediate {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = fs::path(VIGIL_SOURCE_DIR);

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fenced block that follows each `<!-- MARK: name -->` line: name → block text.
std::map<std::string, std::string> MarkedBlocks(const std::string& doc, const std::string& mark) {
  std::map<std::string, std::string> out;
  const std::string open = "<!-- " + mark + ": ";
  size_t at = 0;
  while ((at = doc.find(open, at)) != std::string::npos) {
    const size_t name_end = doc.find(" -->", at);
    const std::string name = doc.substr(at + open.size(), name_end - at - open.size());
    const size_t fence = doc.find("```", name_end);
    const size_t body = doc.find('\n', fence) + 1;
    const size_t end = doc.find("```", body);
    out[name] = doc.substr(body, end - body);
    at = end;
  }
  return out;
}

int RunProgram(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RemediationIntegrationsDocTest, EveryConfigExampleParses) {
  const std::string doc = ReadAll(kSource / "docs/remediation-integrations.md");
  auto blocks = MarkedBlocks(doc, "vigil-config");
  ASSERT_EQ(blocks.size(), 4u);
  ::setenv("JIRA_API_TOKEN", "t", 1);
  ::setenv("VIGIL_WEBHOOK_SECRET", "s", 1);
  ::setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/X", 1);
  auto jira = ParseJiraOptions(YAML::Load(blocks["jira"]), "jira", "doc:jira");
  EXPECT_TRUE(jira) << jira.error().ToString();
  auto hook = ParseWebhookOptions(YAML::Load(blocks["webhook"]), "webhook", "doc:webhook");
  EXPECT_TRUE(hook) << hook.error().ToString();
  auto slack = ParseSlackOptions(YAML::Load(blocks["slack"]), "slack", "doc:slack");
  EXPECT_TRUE(slack) << slack.error().ToString();
  auto kube = ParseKubernetesConfig(YAML::Load(blocks["kubernetes"]), "doc:kubernetes");
  EXPECT_TRUE(kube) << kube.error().ToString();
  ::unsetenv("JIRA_API_TOKEN");
  ::unsetenv("VIGIL_WEBHOOK_SECRET");
  ::unsetenv("SLACK_WEBHOOK_URL");
}

TEST(RemediationIntegrationsDocTest, ThePythonReceiverVerifiesVigilsSignature) {
  const char* python = "/usr/bin/python3";
  if (access(python, X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 to run the doc's snippet";
  const std::string doc = ReadAll(kSource / "docs/remediation-integrations.md");
  auto blocks = MarkedBlocks(doc, "vigil-receiver");
  ASSERT_EQ(blocks.count("python"), 1u);
  vigil::tests::TempDir dir;
  Notification note;
  note.event = "ticket.opened";
  note.finding_id = "f-1";
  note.text = "ünïcode & <!channel>";
  const std::string body = WebhookNotifier::Body(note, "d", "2026-11-27T00:00:00Z");
  std::ofstream(dir.File("body"), std::ios::binary) << body;
  std::ofstream(dir.File("receiver.py")) << blocks["python"]
      << "\nimport sys\nbody = open(sys.argv[1], 'rb').read()\n"
         "sys.exit(0 if verify(sys.argv[2].encode(), body, sys.argv[3]) else 1)\n";
  const std::string good = SignatureHeaderValue("hook-secret", body);
  EXPECT_EQ(RunProgram({python, dir.File("receiver.py"), dir.File("body"), "hook-secret", good}), 0);
  EXPECT_EQ(RunProgram({python, dir.File("receiver.py"), dir.File("body"), "other-secret", good}), 1);
}

TEST(RemediationIntegrationsDocTest, TheQuotedRbacRulesAreTheExamples) {
  const std::string doc = ReadAll(kSource / "docs/remediation-integrations.md");
  const size_t at = doc.find("```yaml\nrules:");
  ASSERT_NE(at, std::string::npos);
  const size_t end = doc.find("```", at + 7);
  YAML::Node quoted = YAML::Load(doc.substr(at + 8, end - at - 8))["rules"];
  YAML::Node example;
  for (const auto& d : YAML::LoadAllFromFile((kSource / "examples/remediate/kubernetes-rbac.yaml").string())) {
    if (d["kind"].as<std::string>() == "ClusterRole") example = d["rules"];
  }
  ASSERT_TRUE(example.IsDefined());
  YAML::Emitter a, b;
  a << quoted;
  b << example;
  EXPECT_EQ(std::string(a.c_str()), std::string(b.c_str()));
}

}  // namespace
}  // namespace vigil::remediate
