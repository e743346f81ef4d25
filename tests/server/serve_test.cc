// Integration tests of `vigil serve`: the real binary on loopback, driven with real HTTP
// (cpp-httplib's client), EventList batches of 400 from vigil_gen_audit, real signals and kill -9.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "server/serve_process.h"
#include "store/finding_store.h"

namespace vigil::server::testing {
namespace {

using nlohmann::json;

httplib::Result Post(int port,
                     const std::string& path,
                     const std::string& body,
                     const std::string& token = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(60);
  cli.set_connection_timeout(5);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return cli.Post(path, headers, body, "application/json");
}

httplib::Result Get(int port, const std::string& path, const std::string& token = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return cli.Get(path, headers);
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    batches_ = GeneratedBatches(dir_, 8000, "0.01");
    if (batches_.empty()) GTEST_SKIP() << "vigil_gen_audit is not built (VIGIL_BUILD_BENCH=OFF)";
  }

  // Starts a server on a free loopback port with `extra` flags.
  std::unique_ptr<ServeProcess> Start(const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--db", db};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<ServeProcess>(args, dir_.File("serve.log"));
    if (!p->WaitForPort()) {
      ADD_FAILURE() << "vigil serve did not start:\n" << ReadFile(dir_.File("serve.log"));
      return nullptr;
    }
    return p;
  }

  // Posts every batch in order; each must be answered 200.
  void PostAll(int port, const std::string& token = "") {
    for (size_t i = 0; i < batches_.size(); ++i) {
      auto r = Post(port, "/k8s-audit?cluster=prod", batches_[i], token);
      ASSERT_TRUE(r) << "batch " << i << ": " << httplib::to_string(r.error());
      ASSERT_EQ(r->status, 200) << "batch " << i << ": " << r->body;
    }
  }

  // The findings of one clean run over every batch (cached per test).
  std::map<std::string, std::uint64_t> CleanRun() {
    const std::string db = dir_.File("clean.db");
    auto p = Start(db);
    if (!p) return {};
    PostAll(p->port());
    p->Signal(SIGTERM);
    EXPECT_EQ(p->Wait(std::chrono::seconds(30)), 0);
    return StoredCounts(db);
  }

  TempDir dir_;
  std::vector<std::string> batches_;
};

TEST_F(ServeTest, CommitsEventListBatchesAndAgreesWithScan) {
  auto clean = CleanRun();
  ASSERT_FALSE(clean.empty()) << "the generated traffic should produce findings";
  // The same events through `vigil scan --db`: the same findings, ids and counts.
  const std::string jsonl = dir_.File("all.jsonl");
  {
    std::ofstream out(jsonl);
    for (const auto& b : batches_) out << b << "\n";
  }
  const std::string scan_db = dir_.File("scan.db");
  ASSERT_EQ(RunToExit({VIGIL_BINARY, "scan", "--cluster", "prod", "--db", scan_db, "-q", "--format",
                       "json", jsonl},
                      dir_.File("scan.out")),
            0);
  EXPECT_EQ(StoredCounts(scan_db), clean);
}

TEST_F(ServeTest, RedeliveredBatchAddsNothing) {
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db);
  ASSERT_TRUE(p);
  PostAll(p->port());
  auto once = StoredCounts(db);
  PostAll(p->port());  // the API server retries: same batches again
  EXPECT_EQ(StoredCounts(db), once);
  auto r = Post(p->port(), "/k8s-audit?cluster=prod", batches_[0]);
  ASSERT_TRUE(r);
  json j = json::parse(r->body);
  EXPECT_EQ(j["status"], "committed");
  EXPECT_EQ(j["events"], 400);
  EXPECT_EQ(j["findings"], 0) << "nothing changes on a redelivery";
}

TEST_F(ServeTest, AcceptsSingleEventAndArrayAndRejectsGarbage) {
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db);
  ASSERT_TRUE(p);
  json list = json::parse(batches_[0]);
  auto single = Post(p->port(), "/k8s-audit", list["items"][0].dump());
  ASSERT_TRUE(single);
  EXPECT_EQ(single->status, 200) << single->body;
  EXPECT_EQ(json::parse(single->body)["events"], 1);
  auto array = Post(p->port(), "/k8s-audit", list["items"].dump());
  ASSERT_TRUE(array);
  EXPECT_EQ(array->status, 200);
  EXPECT_EQ(json::parse(array->body)["events"], list["items"].size());
  auto garbage = Post(p->port(), "/k8s-audit", "{not json");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_NE(garbage->body.find("malformed"), std::string::npos) << garbage->body;
  auto metrics = Get(p->port(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(
      metrics->body.find("vigil_events_malformed_total{cluster=\"default\",source=\"webhook\"} 1"),
      std::string::npos)
      << metrics->body;
}

TEST_F(ServeTest, RefusesUnauthenticatedCallersAndStoresNothing) {
  WriteFile(dir_.File("webhook.tokens"), "# cluster tokens\nwebhook-secret-1 prod\n");
  WriteFile(dir_.File("api.tokens"), "reader-secret read alice\nadmin-secret admin bob\n");
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--webhook-token-file", dir_.File("webhook.tokens"), "--api-token-file",
                      dir_.File("api.tokens")});
  ASSERT_TRUE(p);
  const int port = p->port();
  auto none = Post(port, "/k8s-audit?cluster=prod", batches_[0]);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = Post(port, "/k8s-audit?cluster=prod", batches_[0], "not-a-token");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto api_token = Post(port, "/k8s-audit?cluster=prod", batches_[0], "admin-secret");
  ASSERT_TRUE(api_token);
  EXPECT_EQ(api_token->status, 401);
  auto other_cluster = Post(port, "/k8s-audit?cluster=staging", batches_[0], "webhook-secret-1");
  ASSERT_TRUE(other_cluster);
  EXPECT_EQ(other_cluster->status, 403) << other_cluster->body;
  EXPECT_TRUE(StoredCounts(db).empty()) << "a refused request stores nothing";

  auto list_none = Get(port, "/api/v1/findings");
  ASSERT_TRUE(list_none);
  EXPECT_EQ(list_none->status, 401);
  auto metrics_none = Get(port, "/metrics");
  ASSERT_TRUE(metrics_none);
  EXPECT_EQ(metrics_none->status, 401);

  // The right token works, and the token never shows up in the log.
  PostAll(port, "webhook-secret-1");
  auto counts = StoredCounts(db);
  ASSERT_FALSE(counts.empty());
  auto list = Get(port, "/api/v1/findings?limit=5", "reader-secret");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(json::parse(list->body)["total"], counts.size());
  const std::string id = counts.begin()->first;
  auto as_reader = Post(port, "/api/v1/findings/" + id + "/workflow",
                        R"({"status":"RESOLVED","note":"x"})", "reader-secret");
  ASSERT_TRUE(as_reader);
  EXPECT_EQ(as_reader->status, 403);
  auto as_admin = Post(port, "/api/v1/findings/" + id + "/workflow",
                       R"({"status":"RESOLVED","note":"fixed the binding"})", "admin-secret");
  ASSERT_TRUE(as_admin);
  EXPECT_EQ(as_admin->status, 200) << as_admin->body;
  auto history = Get(port, "/api/v1/findings/" + id + "/history", "reader-secret");
  ASSERT_TRUE(history);
  json h = json::parse(history->body);
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.back()["actor"], "bob");
  EXPECT_EQ(h.back()["note"], "fixed the binding");
  p->Signal(SIGTERM);
  EXPECT_EQ(p->Wait(std::chrono::seconds(30)), 0);
  const std::string log = p->log();
  for (const char* secret : {"webhook-secret-1", "reader-secret", "admin-secret"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "a token is in the log";
  }
}

TEST_F(ServeTest, RefusesNonLoopbackWithoutTlsAndAuthSayingWhy) {
  ServeProcess p({"--listen", "0.0.0.0:0", "--db", dir_.File("vigil.db")}, dir_.File("open.log"));
  auto code = p.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  const std::string log = p.log();
  EXPECT_NE(log.find("not a loopback address"), std::string::npos) << log;
  EXPECT_NE(log.find("--insecure-listen"), std::string::npos) << log;
}

TEST_F(ServeTest, TooLargeBodiesAndBatchesAre413WithAReason) {
  WriteFile(dir_.File("vigil.yaml"), "limits:\n  max_body: 64KiB\n  max_events_per_batch: 100\n");
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--config", dir_.File("vigil.yaml")});
  ASSERT_TRUE(p);
  ASSERT_GT(batches_[0].size(), 64u * 1024);
  auto big = Post(p->port(), "/k8s-audit", batches_[0]);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("limits.max_body"), std::string::npos) << big->body;
  // 150 events fit in 64 KiB? Build a batch under the byte limit with more than 100 events.
  json list = json::parse(batches_[0]);
  json small = {{"kind", "EventList"}, {"apiVersion", "audit.k8s.io/v1"}, {"items", json::array()}};
  for (const auto& item : list["items"]) {
    json slim = {{"kind", "Event"},
                 {"apiVersion", "audit.k8s.io/v1"},
                 {"level", "Metadata"},
                 {"auditID", item["auditID"]},
                 {"stage", item["stage"]},
                 {"verb", item["verb"]},
                 {"requestURI", "/x"},
                 {"user", {{"username", "u"}}},
                 {"stageTimestamp", item["stageTimestamp"]}};
    small["items"].push_back(slim);
    if (small["items"].size() == 150) break;
  }
  auto many = Post(p->port(), "/k8s-audit", small.dump());
  ASSERT_TRUE(many);
  EXPECT_EQ(many->status, 413) << many->body;
  EXPECT_NE(many->body.find("limits.max_events_per_batch"), std::string::npos) << many->body;
  EXPECT_TRUE(StoredCounts(db).empty());
  auto metrics = Get(p->port(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("vigil_webhook_refused_total{reason=\"too_large\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("reason=\"too_many_events\"} 150"), std::string::npos)
      << metrics->body;
}

TEST_F(ServeTest, OverloadIsAnswered429AndRetriesLoseNothing) {
  WriteFile(dir_.File("vigil.yaml"), "limits:\n  queue_batches: 1\n  http_threads: 8\n");
  auto clean = CleanRun();
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--config", dir_.File("vigil.yaml")});
  ASSERT_TRUE(p);
  std::atomic<int> too_many{0};
  std::atomic<int> other{0};
  std::atomic<size_t> next{0};
  std::vector<std::thread> clients;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&] {
      for (size_t i = next++; i < batches_.size(); i = next++) {
        // Retry until acknowledged, as the API server does (bounded, so a bug fails the test).
        while (std::chrono::steady_clock::now() < deadline) {
          auto r = Post(p->port(), "/k8s-audit?cluster=prod", batches_[i]);
          if (r && r->status == 200) break;
          if (r && r->status == 429) {
            ++too_many;
            EXPECT_EQ(r->get_header_value("Retry-After"), "1");
          } else {
            ++other;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "batches were never acknowledged";
  EXPECT_EQ(other, 0);
  EXPECT_GT(too_many, 0) << "six concurrent clients against a queue of one should see 429";
  ASSERT_FALSE(clean.empty());
  EXPECT_EQ(OrderFreeCounts(db), OrderFreeCounts(dir_.File("clean.db")));
}

TEST_F(ServeTest, ReloadWithABadRuleFileKeepsTheOldRules) {
  const std::string rules = dir_.File("custom.yaml");
  const std::string good =
      "- rule: Exec by anyone\n"
      "  desc: any exec\n"
      "  condition: ka.verb=create and ka.target.subresource=exec\n"
      "  output: exec by %ka.user.name\n"
      "  priority: WARNING\n"
      "  source: k8s_audit\n";
  WriteFile(rules, good);
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--rules", rules});
  ASSERT_TRUE(p);
  WriteFile(rules, good + "- rule: Broken\n  condition: ka.verb = = create\n");
  auto r = Post(p->port(), "/api/v1/rules/reload", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  json j = json::parse(r->body);
  EXPECT_EQ(j["reloaded"], false);
  EXPECT_NE(j["error"].get<std::string>().find("custom.yaml:"), std::string::npos) << r->body;
  p->Signal(SIGHUP);  // the same through the signal; the server keeps serving
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  PostAll(p->port());
  bool custom_fired = false;
  auto store = store::OpenFindingStore(db);
  ASSERT_TRUE(store);
  auto page = (*store)->List({.limit = 0});
  ASSERT_TRUE(page);
  for (const auto& f : page->findings) custom_fired |= f.rule == "Exec by anyone";
  EXPECT_TRUE(custom_fired) << "the old rules keep running";
  EXPECT_NE(p->log().find("rules reload failed"), std::string::npos);
  WriteFile(rules, good);
  auto fixed = Post(p->port(), "/api/v1/rules/reload", "");
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->status, 200) << fixed->body;
  auto metrics = Get(p->port(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("vigil_rules_reloads_total{result=\"error\"} 2"), std::string::npos)
      << metrics->body;
}

TEST_F(ServeTest, SigtermDrainsCommitsAndExitsZero) {
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db);
  ASSERT_TRUE(p);
  std::mutex mu;
  std::set<size_t> acked;
  std::atomic<size_t> next{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      for (size_t i = next++; i < batches_.size(); i = next++) {
        auto r = Post(p->port(), "/k8s-audit?cluster=prod", batches_[i]);
        if (r && r->status == 200) {
          std::lock_guard lock(mu);
          acked.insert(i);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto sent = std::chrono::steady_clock::now();
  p->Signal(SIGTERM);
  auto code = p->Wait(std::chrono::seconds(40));
  for (auto& c : clients) c.join();
  ASSERT_TRUE(code.has_value()) << "vigil serve did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << p->log();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(25));
  // Every acknowledged batch is in the store: re-posting exactly those to a fresh server gives the
  // same findings.
  auto after = OrderFreeCounts(db);
  const std::string db2 = dir_.File("acked.db");
  auto q = Start(db2);
  ASSERT_TRUE(q);
  for (size_t i : acked) {
    auto r = Post(q->port(), "/k8s-audit?cluster=prod", batches_[i]);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  auto acked_counts = OrderFreeCounts(db2);
  for (const auto& [id, count] : acked_counts) {
    ASSERT_TRUE(after.count(id)) << "an acknowledged batch's finding is missing: " << id;
    EXPECT_GE(after[id], count);
  }
}

// Every ```http example of docs/http-api.md, run in order against a server holding findings from
// generated traffic; each must answer with the status the document gives after "# →".
TEST_F(ServeTest, DocsHttpApiExamples) {
  WriteFile(dir_.File("api.tokens"), "doc-admin-token admin bob\n");
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--api-token-file", dir_.File("api.tokens")});
  ASSERT_TRUE(p);
  PostAll(p->port());
  const auto counts = StoredCounts(db);
  ASSERT_FALSE(counts.empty());
  const std::string doc = ReadFile(std::string(VIGIL_SOURCE_DIR) + "/docs/http-api.md");
  ASSERT_FALSE(doc.empty());
  std::string suppression;
  int examples = 0;
  size_t pos = 0;
  while ((pos = doc.find("```http\n", pos)) != std::string::npos) {
    pos += 8;
    const size_t end = doc.find("```", pos);
    ASSERT_NE(end, std::string::npos);
    std::istringstream block(doc.substr(pos, end - pos));
    pos = end + 3;
    std::string request_line;
    std::getline(block, request_line);
    std::string body;
    int expected = 0;
    for (std::string line; std::getline(block, line);) {
      if (line.rfind("# → ", 0) == 0) {
        expected = std::stoi(line.substr(std::string("# → ").size()));
      } else {
        body += line;
      }
    }
    SCOPED_TRACE(request_line);
    ASSERT_NE(expected, 0) << "an example without '# → STATUS'";
    const std::string method = request_line.substr(0, request_line.find(' '));
    std::string path = request_line.substr(method.size() + 1);
    for (auto [name, value] : {std::pair<std::string, std::string>{"{id}", counts.begin()->first},
                               {"{suppression}", suppression}}) {
      for (size_t at; (at = path.find(name)) != std::string::npos;)
        path.replace(at, name.size(), value);
    }
    httplib::Client cli("127.0.0.1", p->port());
    httplib::Headers headers = {{"Authorization", "Bearer doc-admin-token"}};
    httplib::Result r = method == "GET"      ? cli.Get(path, headers)
                        : method == "DELETE" ? cli.Delete(path, headers)
                                             : cli.Post(path, headers, body, "application/json");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, expected) << r->body;
    if (method == "POST" && path == "/api/v1/suppressions" && r->status == 201) {
      suppression = json::parse(r->body)["suppression"]["id"];
    }
    if (path.rfind("/api/v1/export?format=asff", 0) == 0) {
      EXPECT_TRUE(json::parse(r->body).contains("Findings"));
    }
    ++examples;
  }
  EXPECT_GE(examples, 15);
}

// `vigil findings list` reads the store while the server writes it (WAL, busy timeout).
TEST_F(ServeTest, FindingsCommandWorksWhileTheServerWrites) {
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db);
  ASSERT_TRUE(p);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; round < 3; ++round) PostAll(p->port());
    done = true;
  });
  int runs = 0;
  while (!done || runs == 0) {
    EXPECT_EQ(RunToExit({VIGIL_BINARY, "findings", "list", "--db", db, "--format", "json"},
                        dir_.File("list.out")),
              0);
    ++runs;
  }
  writer.join();
  EXPECT_GT(runs, 0);
  EXPECT_EQ(RunToExit({VIGIL_BINARY, "findings", "list", "--db", db, "--format", "json", "--limit",
                       "1000"},
                      dir_.File("list.out")),
            0);
  size_t lines = 0;
  std::istringstream in(ReadFile(dir_.File("list.out")));
  for (std::string line; std::getline(in, line);) lines += line.empty() ? 0 : 1;
  EXPECT_EQ(lines, StoredCounts(db).size());
}


// Events this server process decoded from tailed files so far, from /metrics.
double TailEvents(int port) {
  auto r = Get(port, "/metrics");
  if (!r || r->status != 200) return 0;
  std::istringstream in(r->body);
  double total = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("vigil_events_received_total{", 0) != 0) continue;
    if (line.find("source=\"tail:") == std::string::npos) continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

// Waits until the tailer has read at least `events` events (their findings are committed before
// the counter's batch is acknowledged; an offset not saved yet is re-read harmlessly).
bool WaitForTailEvents(int port, size_t events) {
  for (int i = 0; i < 600; ++i) {
    if (TailEvents(port) >= static_cast<double>(events)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(ServeTest, TailFollowsRotationAndRestartsWithoutLossOrDuplicates) {
  // The generated batches as the API server's log backend writes them: one event per line.
  std::vector<std::string> lines;
  for (const auto& b : batches_) {
    const json list = json::parse(b);
    for (const auto& item : list["items"]) lines.push_back(item.dump());
  }
  ASSERT_GT(lines.size(), 1000u);
  auto write = [&](const std::string& path, size_t from, size_t to) {
    std::ofstream out(path, std::ios::app);
    for (size_t i = from; i < to; ++i) out << lines[i] << "\n";
  };
  const size_t third = lines.size() / 3;
  const std::string log = dir_.File("audit.log");
  const std::string db = dir_.File("vigil.db");
  write(log, 0, third);

  auto p = Start(db, {"--cluster", "prod", "--tail", log});
  ASSERT_TRUE(p);
  ASSERT_TRUE(WaitForTailEvents(p->port(), third)) << ReadFile(dir_.File("serve.log"));
  // kube-apiserver's own rotation (lumberjack): rename, then a new file at the path.
  fs::rename(log, dir_.File("audit-2025-06-02T09-00-00.000.log"));
  write(log, third, 2 * third);
  ASSERT_TRUE(WaitForTailEvents(p->port(), 2 * third)) << ReadFile(dir_.File("serve.log"));
  p->Signal(SIGTERM);
  ASSERT_EQ(p->Wait(std::chrono::seconds(30)), 0);

  // Written while vigil was down; a restart resumes at the saved offset.
  write(log, 2 * third, lines.size());
  p = Start(db, {"--cluster", "prod", "--tail", log});
  ASSERT_TRUE(p);
  ASSERT_TRUE(WaitForTailEvents(p->port(), lines.size() - 2 * third))
      << ReadFile(dir_.File("serve.log"));
  p->Signal(SIGTERM);
  ASSERT_EQ(p->Wait(std::chrono::seconds(30)), 0);

  // The same events through `vigil scan --db`: the same findings, ids and counts.
  const std::string jsonl = dir_.File("all.jsonl");
  write(jsonl, 0, lines.size());
  const std::string scan_db = dir_.File("scan.db");
  ASSERT_EQ(RunToExit({VIGIL_BINARY, "scan", "--cluster", "prod", "--db", scan_db, "-q", "--format",
                       "json", jsonl},
                      dir_.File("scan.out")),
            0);
  auto expected = StoredCounts(scan_db);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(StoredCounts(db), expected);
}


// KubeAudit.4: a cluster that sent events and then fell silent gets a HIGH FAILED finding, "audit
// log delivery stopped"; when its events resume the finding is PASSED and RESOLVED.
TEST_F(ServeTest, SilentClusterRaisesDeliveryStoppedAndResumingResolvesIt) {
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--delivery-window", "1"});
  ASSERT_TRUE(p);
  auto delivery = [&]() -> std::optional<findings::Finding> {
    auto store = store::OpenFindingStore(db);
    if (!store) return std::nullopt;
    auto page = (*store)->List({.limit = 0});
    if (!page) return std::nullopt;
    for (const auto& f : page->findings) {
      if (f.compliance && f.compliance->control_id == "KubeAudit.4") return f;
    }
    return std::nullopt;
  };
  auto wait_for = [&](findings::ComplianceStatus status) {
    for (int i = 0; i < 100; ++i) {
      auto f = delivery();
      if (f && f->compliance->status == status) return f;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return delivery();
  };
  auto r = Post(p->port(), "/k8s-audit?cluster=prod", batches_[0]);
  ASSERT_TRUE(r && r->status == 200);
  auto failed = wait_for(findings::ComplianceStatus::kFailed);
  ASSERT_TRUE(failed) << ReadFile(dir_.File("serve.log"));
  EXPECT_EQ(failed->compliance->status, findings::ComplianceStatus::kFailed);
  EXPECT_EQ(failed->severity, findings::Severity::kHigh);
  EXPECT_EQ(failed->workflow, findings::WorkflowStatus::kNew);
  EXPECT_EQ(failed->cluster, "prod");

  r = Post(p->port(), "/k8s-audit?cluster=prod", batches_[1]);
  ASSERT_TRUE(r && r->status == 200);
  auto passed = wait_for(findings::ComplianceStatus::kPassed);
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->compliance->status, findings::ComplianceStatus::kPassed);
  EXPECT_EQ(passed->workflow, findings::WorkflowStatus::kResolved);
  EXPECT_EQ(passed->id, failed->id);
  p->Signal(SIGTERM);
  EXPECT_EQ(p->Wait(std::chrono::seconds(30)), 0);
}


// Threat lists work in serve as in scan: the generator's attacker address on the `tor` list makes
// TorIPCaller findings, the same ones `vigil scan --threat-list` makes.
TEST_F(ServeTest, ThreatListsMakeTorFindingsAsInScan) {
  const std::string tor = dir_.File("tor.txt");
  {
    std::ofstream out(tor);
    out << "203.0.113.66\n";
  }
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db, {"--threat-list", "tor=" + tor});
  ASSERT_TRUE(p);
  PostAll(p->port());
  p->Signal(SIGTERM);
  ASSERT_EQ(p->Wait(std::chrono::seconds(30)), 0);
  auto store = store::OpenFindingStore(db);
  ASSERT_TRUE(store.has_value());
  auto page = (*store)->List({.type_prefix = "", .limit = 0});
  ASSERT_TRUE(page.has_value());
  std::map<std::string, std::uint64_t> tor_findings;
  for (const auto& f : page->findings) {
    if (f.type.find("TorIPCaller") != std::string::npos) tor_findings[f.id] = f.count;
  }
  EXPECT_FALSE(tor_findings.empty());

  const std::string jsonl = dir_.File("all.jsonl");
  {
    std::ofstream out(jsonl);
    for (const auto& b : batches_) out << b << "\n";
  }
  const std::string scan_db = dir_.File("scan.db");
  ASSERT_EQ(RunToExit({VIGIL_BINARY, "scan", "--cluster", "prod", "--threat-list", "tor=" + tor,
                       "--db", scan_db, "-q", "--format", "json", jsonl},
                      dir_.File("scan.out")),
            0);
  EXPECT_EQ(StoredCounts(scan_db), StoredCounts(db));
}

}  // namespace
}  // namespace vigil::server::testing
