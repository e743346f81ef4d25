// Remediation inside `vigil serve`: the real binary on loopback, fed audit events through its
// webhook, opening issues on a fake GitHub as findings are committed, and the
// /api/v1/remediation API (plans, approve with 409 on a wrong hash, journal, status, rollback).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "remediate/remediate_test_util.h"
#include "server/serve_process.h"

namespace vigil::remediate::testing {
namespace {

using nlohmann::json;
using vigil::server::testing::ReadFile;
using vigil::server::testing::ServeProcess;

constexpr std::string_view kAnonymousList =
    R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5f0c1d2e-0001-4000-8000-00000000aaaa","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/apps/secrets","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["203.0.113.7"],"userAgent":"curl/8.5.0","objectRef":{"resource":"secrets","namespace":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-27T00:00:00.000000Z","stageTimestamp":"2026-11-27T00:00:00.100000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"anon\" of ClusterRole \"view\" to Group \"system:unauthenticated\""}})";

httplib::Result Call(int port, const std::string& method, const std::string& path,
                     const std::string& body = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30);
  return method == "GET" ? cli.Get(path) : cli.Post(path, body, "application/json");
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(RemediateServeTest, FindingsAsTheyArriveBecomeIssuesAndPlansApprovedOverTheApi) {
  TempDir dir;
  vigil::testing::FakeGitHub github("acme/infra", std::string(kToken));
  ASSERT_TRUE(github.Start());
  ::setenv("GITHUB_API_URL", github.url().c_str(), 1);
  ::setenv("GITHUB_REPOSITORY", "acme/infra", 1);
  ::setenv("GITHUB_TOKEN", std::string(kToken).c_str(), 1);
  const std::string ran = dir.File("ran.json");
  const std::string config = dir.File("vigil.yaml");
  std::ofstream(config) << "db: " << dir.File("vigil.db") << "\n"
                        << "remediation:\n"
                           "  trackers:\n"
                           "    github: {type: github}\n"
                           "  playbooks:\n"
                           "    - name: anonymous\n"
                           "      mode: approve\n"
                           "      match: {type: \"CredentialAccess:Kubernetes/*\"}\n"
                           "      actions:\n"
                           "        - command: {argv: [/bin/sh, -c, \"cat > "
                        << ran << "\"]}\n";
  ServeProcess serve({"--config", config, "--listen", "127.0.0.1:0"}, dir.File("serve.log"));
  auto port = serve.WaitForPort();
  ASSERT_TRUE(port) << ReadFile(dir.File("serve.log"));

  auto posted = Call(*port, "POST", "/k8s-audit?cluster=prod", std::string(kAnonymousList));
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;

  json plan;
  ASSERT_TRUE(WaitFor([&] {
    auto r = Call(*port, "GET", "/api/v1/remediation/plans?state=awaiting_approval");
    if (!r || r->status != 200) return false;
    json j = json::parse(r->body);
    if (j["plans"].empty()) return false;
    plan = j["plans"][0];
    return true;
  })) << ReadFile(dir.File("serve.log"));
  EXPECT_EQ(github.issues().size(), 1u);
  EXPECT_EQ(plan["mode"], "approve");
  EXPECT_EQ(plan["ticket"]["tracker"], "github");
  ASSERT_EQ(plan["changes"].size(), 1u);
  const std::string id = plan["id"];

  auto one = Call(*port, "GET", "/api/v1/remediation/plans/" + id);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(json::parse(one->body)["hash"], plan["hash"]);

  auto wrong = Call(*port, "POST", "/api/v1/remediation/plans/" + id + "/approve",
                    json{{"hash", std::string(64, 'b')}}.dump());
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 409) << wrong->body;
  auto bad = Call(*port, "POST", "/api/v1/remediation/plans/" + id + "/approve", "[1,2]");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  auto ok = Call(*port, "POST", "/api/v1/remediation/plans/" + id + "/approve",
                 json{{"hash", plan["hash"]}, {"note", "reviewed"}}.dump());
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["state"], "approved");
  // The worker applied it: the program ran, and the journal says so.
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(ran); }))
      << "the worker applied the approved plan\n" << ReadFile(dir.File("serve.log"));

  std::string action;
  ASSERT_TRUE(WaitFor([&] {
    const json all = json::parse(Call(*port, "GET", "/api/v1/remediation/journal")->body);
    for (const auto& e : all["entries"])
      if (e["kind"] == "result") action = e["action_id"];
    return !action.empty();
  })) << Call(*port, "GET", "/api/v1/remediation/journal")->body;
  auto journal = Call(*port, "GET", "/api/v1/remediation/journal?limit=2");
  ASSERT_TRUE(journal);
  json j = json::parse(journal->body);
  EXPECT_TRUE(j["verified"].get<bool>());
  ASSERT_EQ(j["entries"].size(), 2u);
  ASSERT_TRUE(j["next_cursor"].is_string());
  auto next = Call(*port, "GET",
                   "/api/v1/remediation/journal?cursor=" + j["next_cursor"].get<std::string>());
  ASSERT_TRUE(next);
  EXPECT_EQ(json::parse(next->body)["entries"][0]["seq"], 3);

  auto status = Call(*port, "GET", "/api/v1/remediation/status");
  ASSERT_TRUE(status);
  json s = json::parse(status->body);
  EXPECT_EQ(s["mode_by_playbook"]["anonymous"], "approve");
  EXPECT_EQ(s["awaiting_approval"], 0);
  EXPECT_EQ(s["actions_last_hour"], 1) << ReadFile(dir.File("serve.log"));

  // A command cannot be undone: said so, not pretended. The worker may still hold the finding's
  // claim (it verifies after applying): 409 "busy ... try again shortly" is retried, as the API
  // asks of any client.
  int rb_status = 0;
  std::string rb_body;
  ASSERT_TRUE(WaitFor([&] {
    auto rb = Call(*port, "POST", "/api/v1/remediation/actions/" + action + "/rollback");
    if (!rb) return false;
    rb_status = rb->status;
    rb_body = rb->body;
    return rb_status != 409;
  })) << rb_body;
  EXPECT_EQ(rb_status, 422) << rb_body;

  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace vigil::remediate::testing
