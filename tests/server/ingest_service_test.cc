// IngestService in-process: the path a file tailer uses (CommitLines), the event limit, and
// refusal after Stop(). Real SQLite files; the example audit log in examples/audit.
#include "server/ingest_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "detect/builtin_rules.h"
#include "mmdb_writer.h"

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

std::string ExampleLines() {
  const std::string path = std::string(VIGIL_SOURCE_DIR) + "/examples/audit/example.jsonl.gz";
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  if (f == nullptr) return out;
  char buf[65536];
  for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vigil-ingest-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    DeclareIngestMetrics(metrics_);
    auto rules = detect::LoadRuleCatalog(true, {});
    ASSERT_TRUE(rules.has_value());
    rules_ = *rules;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<IngestService> Start(IngestOptions options = {}) {
    options.dead_letter = (dir_ / "dead.jsonl").string();
    auto s = IngestService::Start((dir_ / "vigil.db").string(), rules_, options, metrics_);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().ToString());
    return s ? std::move(*s) : nullptr;
  }
  std::size_t Stored() {
    auto store = store::OpenFindingStore((dir_ / "vigil.db").string());
    return store ? (*store)->List({.limit = 0})->total : 0;
  }

  fs::path dir_;
  Metrics metrics_;
  std::shared_ptr<const rules::RuleSet> rules_;
};

TEST_F(IngestServiceTest, CommitLinesStoresFindingsBeforeReturningAndIsIdempotent) {
  const std::string lines = ExampleLines();
  ASSERT_FALSE(lines.empty());
  auto service = Start();
  ASSERT_TRUE(service);
  ASSERT_TRUE(CommitLines(*service, lines, "prod", "tail:/var/log/audit.log"));
  const std::size_t stored = Stored();
  EXPECT_GT(stored, 0u) << "the example log holds attacks";
  EXPECT_EQ(metrics_.Value("vigil_events_received_total", {"prod", "tail:/var/log/audit.log"}),
            4000);
  // The same lines again (a restart before the offset was saved): nothing new.
  ASSERT_TRUE(CommitLines(*service, lines, "prod", "tail:/var/log/audit.log"));
  EXPECT_EQ(Stored(), stored);
}

TEST_F(IngestServiceTest, MalformedLinesAreCountedAndDeadLetteredNotRetried) {
  auto service = Start();
  ASSERT_TRUE(service);
  EXPECT_TRUE(CommitLines(*service, "{broken\nnot json either\n", "prod", "tail:x"));
  EXPECT_EQ(metrics_.Value("vigil_events_malformed_total", {"prod", "tail:x"}), 2);
  service->Stop(std::chrono::seconds(5));
  std::ifstream dead(dir_ / "dead.jsonl");
  std::string first;
  ASSERT_TRUE(std::getline(dead, first));
  EXPECT_NE(first.find("\"kind\":\"malformed\""), std::string::npos) << first;
}

TEST_F(IngestServiceTest, ABatchOverTheEventLimitStoresNothing) {
  IngestOptions o;
  o.max_events_per_batch = 100;
  auto service = Start(o);
  ASSERT_TRUE(service);
  IngestOutcome out = service->Submit(IngestBatch{ExampleLines(), "prod", "webhook"});
  EXPECT_EQ(out.code, IngestCode::kTooManyEvents);
  EXPECT_NE(out.message.find("100"), std::string::npos);
  EXPECT_EQ(Stored(), 0u);
  EXPECT_FALSE(CommitLines(*service, ExampleLines(), "prod", "tail:x"));
}

TEST_F(IngestServiceTest, RefusesAfterStopAndSaysSo) {
  auto service = Start();
  ASSERT_TRUE(service);
  EXPECT_TRUE(service->Stop(std::chrono::seconds(5)));
  IngestCode why = IngestCode::kCommitted;
  EXPECT_FALSE(service->TrySubmit(IngestBatch{"{}", "prod", "webhook"}, &why).has_value());
  EXPECT_EQ(why, IngestCode::kShuttingDown);
  auto st = CommitLines(*service, "{}", "prod", "tail:x");
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("shutting down"), std::string::npos);
}

TEST_F(IngestServiceTest, SwappedRulesApplyToLaterBatches) {
  auto service = Start();
  ASSERT_TRUE(service);
  auto none = detect::LoadRuleCatalog(false, {});
  ASSERT_TRUE(none.has_value());
  service->SwapRules(*none);
  ASSERT_TRUE(CommitLines(*service, ExampleLines(), "prod", "tail:x"));
  EXPECT_EQ(Stored(), 0u) << "no rules, no findings";
  service->SwapRules(rules_);
  ASSERT_TRUE(CommitLines(*service, ExampleLines(), "prod", "tail:x"));
  EXPECT_GT(Stored(), 0u);
}

}  // namespace
}  // namespace vigil::server

namespace vigil::server {
namespace {

std::vector<std::string> SequenceExampleLines() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/examples/anomalies/attack-sequence.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
  return lines;
}

std::vector<findings::Finding> Sequences(const fs::path& db) {
  auto store = store::OpenFindingStore(db.string());
  if (!store) return {};
  auto page = (*store)->List({.type = "AttackSequence:EKS/CompromisedCluster", .limit = 0});
  return page ? page->findings : std::vector<findings::Finding>{};
}

IngestOptions WithSequences() {
  IngestOptions options;
  options.attack_sequences = true;
  return options;
}

TEST_F(IngestServiceTest, AnAttackSequenceAcrossBatchesIsOneFindingThatGrows) {
  auto lines = SequenceExampleLines();
  ASSERT_EQ(lines.size(), 4u);
  auto service = Start(WithSequences());
  ASSERT_TRUE(service);
  // Anonymous discovery and the secret read: one kill-chain stage, no sequence yet.
  ASSERT_TRUE(CommitLines(*service, lines[0] + lines[1], "prod", "webhook"));
  EXPECT_TRUE(Sequences(dir_ / "vigil.db").empty());
  ASSERT_TRUE(CommitLines(*service, lines[2], "prod", "webhook"));
  auto first = Sequences(dir_ / "vigil.db");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].count, 3u);
  EXPECT_EQ(first[0].severity, findings::Severity::kCritical);
  ASSERT_TRUE(CommitLines(*service, lines[3], "prod", "webhook"));
  auto grown = Sequences(dir_ / "vigil.db");
  ASSERT_EQ(grown.size(), 1u);
  EXPECT_EQ(grown[0].id, first[0].id);
  EXPECT_EQ(grown[0].count, 4u);  // + the privileged pod finding
  EXPECT_EQ(grown[0].context.at("tactics"), "Discovery -> CredentialAccess -> PrivilegeEscalation");
  // A redelivered batch counts nothing twice.
  ASSERT_TRUE(CommitLines(*service, lines[3], "prod", "webhook"));
  EXPECT_EQ(Sequences(dir_ / "vigil.db")[0].count, 4u);
  EXPECT_GE(metrics_.Value("vigil_attack_sequences_upserted_total", {}), 2);
}

TEST_F(IngestServiceTest, SuppressedFindingsDoNotMakeASequence) {
  {
    auto store = store::OpenFindingStore((dir_ / "vigil.db").string());
    ASSERT_TRUE(store);
    for (const char* type : {"Discovery:*", "PrivilegeEscalation:*"}) {
      ASSERT_TRUE((*store)->AddSuppression({.type = type, .actor = "test"}, 1));
    }
  }
  auto service = Start(WithSequences());
  ASSERT_TRUE(service);
  std::string all;
  for (const auto& l : SequenceExampleLines()) all += l;
  ASSERT_TRUE(CommitLines(*service, all, "prod", "webhook"));
  EXPECT_GE(Stored(), 2u);  // the findings are stored, archived
  EXPECT_TRUE(Sequences(dir_ / "vigil.db").empty());
}

TEST_F(IngestServiceTest, AttackSequencesAreOnByDefaultAndCanBeSwitchedOff) {
  std::string all;
  for (const auto& l : SequenceExampleLines()) all += l;
  {
    IngestOptions off;
    off.attack_sequences = false;
    auto service = Start(off);
    ASSERT_TRUE(service);
    ASSERT_TRUE(CommitLines(*service, all, "prod", "webhook"));
    EXPECT_GE(Stored(), 2u);
    EXPECT_TRUE(Sequences(dir_ / "vigil.db").empty());
  }
  auto service = Start();
  ASSERT_TRUE(service);
  ASSERT_TRUE(CommitLines(*service, all, "prod", "webhook"));
  EXPECT_EQ(Sequences(dir_ / "vigil.db").size(), 1u);
}

// The window is saved with every commit: a restart between the steps of a chain gives the sequence
// one process would have made (same id, same count), and a redelivered batch still counts once.
TEST_F(IngestServiceTest, AnAttackSequenceWindowSurvivesARestart) {
  auto lines = SequenceExampleLines();
  ASSERT_EQ(lines.size(), 4u);
  // The reference, in a store of its own: one service sees everything.
  std::string reference_id;
  {
    const fs::path other = dir_ / "one-process.db";
    auto one = IngestService::Start(other.string(), rules_, {}, metrics_);
    ASSERT_TRUE(one.has_value());
    for (const auto& l : lines) ASSERT_TRUE(CommitLines(**one, l, "prod", "webhook"));
    (*one)->Stop(std::chrono::seconds(5));
    auto seqs = Sequences(other);
    ASSERT_EQ(seqs.size(), 1u);
    EXPECT_EQ(seqs[0].count, 4u);
    reference_id = seqs[0].id;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto service = Start();  // a new process for every line
    ASSERT_TRUE(service);
    ASSERT_TRUE(CommitLines(*service, lines[i], "prod", "webhook"));
    if (i == 3) {  // redelivered
      ASSERT_TRUE(CommitLines(*service, lines[i], "prod", "webhook"));
    }
    service->Stop(std::chrono::seconds(5));
  }
  auto seqs = Sequences(dir_ / "vigil.db");
  ASSERT_EQ(seqs.size(), 1u);
  EXPECT_EQ(seqs[0].id, reference_id);
  EXPECT_EQ(seqs[0].count, 4u);
  EXPECT_EQ(seqs[0].context.at("tactics"), "Discovery -> CredentialAccess -> PrivilegeEscalation");
}

}  // namespace
}  // namespace vigil::server

namespace vigil::server {
namespace {

// One audit event line: `user` lists secrets in team-a from `ip` at `time`.
std::string SecretsLine(const std::string& id, const std::string& user, const std::string& ip,
                        const std::string& time) {
  return R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":")" + id +
         R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-a/secrets","verb":"list","user":{"username":")" +
         user + R"(","groups":["system:authenticated"]},"sourceIPs":[")" + ip +
         R"("],"userAgent":"kubectl/v1.29.0","objectRef":{"resource":"secrets","namespace":"team-a","apiVersion":"v1"},"responseStatus":{"code":200},"stageTimestamp":")" +
         time + R"(","annotations":{"authorization.k8s.io/decision":"allow"}})" + "\n";
}

std::size_t StoredOfType(const fs::path& db, const std::string& type) {
  auto store = store::OpenFindingStore(db.string());
  if (!store) return 0;
  auto page = (*store)->List({.type = type, .limit = 0});
  return page ? page->total : 0;
}

TEST_F(IngestServiceTest, ThreatListsAreReloadedWhenTheirFileChanges) {
  const fs::path list = dir_ / "bad.txt";
  std::ofstream(list) << "192.0.2.1\n";
  IngestOptions options;
  options.threat_lists = {"bad=" + list.string()};
  options.intel_poll_seconds = 0;
  auto service = Start(options);
  ASSERT_TRUE(service);
  const std::string type = "CredentialAccess:Kubernetes/MaliciousIPCaller.Custom";
  ASSERT_TRUE(CommitLines(*service, SecretsLine("r-1", "bob", "203.0.113.9", "2026-01-01T00:00:00Z"),
                          "prod", "webhook"));
  EXPECT_EQ(StoredOfType(dir_ / "vigil.db", type), 0u);
  // The updater replaces the file (a new inode, like `mv list.tmp list`).
  std::ofstream(dir_ / "bad.tmp") << "192.0.2.1\n203.0.113.0/24\n";
  fs::rename(dir_ / "bad.tmp", list);
  ASSERT_TRUE(CommitLines(*service, SecretsLine("r-2", "bob", "203.0.113.9", "2026-01-01T00:01:00Z"),
                          "prod", "webhook"));
  EXPECT_EQ(StoredOfType(dir_ / "vigil.db", type), 1u);
  EXPECT_EQ(metrics_.Value("vigil_threat_list_reloads_total", {"ok"}), 1);
  // A broken list keeps the previous one.
  std::ofstream(list, std::ios::trunc) << "not-an-address\n";
  ASSERT_TRUE(CommitLines(*service, SecretsLine("r-3", "carol", "203.0.113.10", "2026-01-01T00:02:00Z"),
                          "prod", "webhook"));
  EXPECT_EQ(metrics_.Value("vigil_threat_list_reloads_total", {"error"}), 1);
  EXPECT_EQ(StoredOfType(dir_ / "vigil.db", type), 2u);
}

TEST_F(IngestServiceTest, GeoipDatabasesEnrichStoredFindings) {
  tests::WriteTestGeoDatabases((dir_ / "c.mmdb").string(), (dir_ / "a.mmdb").string());
  IngestOptions options;
  options.geoip_databases = {(dir_ / "c.mmdb").string(), (dir_ / "a.mmdb").string()};
  options.threat_lists = {"bad=" + (dir_ / "bad.csv").string()};
  std::ofstream(dir_ / "bad.csv") << "ip,label\n203.0.113.0/24,hosting-range\n";
  auto service = Start(options);
  ASSERT_TRUE(service);
  ASSERT_TRUE(CommitLines(*service, SecretsLine("g-1", "bob", "203.0.113.9", "2026-01-01T00:00:00Z"),
                          "prod", "webhook"));
  auto store = store::OpenFindingStore((dir_ / "vigil.db").string());
  ASSERT_TRUE(store);
  auto page = (*store)->List({.type = "CredentialAccess:Kubernetes/MaliciousIPCaller.Custom"});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->findings.size(), 1u);
  const auto& ctx = page->findings[0].context;
  EXPECT_EQ(ctx.at("caller_country"), "DE");
  EXPECT_EQ(ctx.at("caller_asn"), "64500");
  EXPECT_EQ(ctx.at("caller_as_org"), "Example Hosting GmbH");
  EXPECT_EQ(ctx.at("threat_labels"), "bad:203.0.113.9=hosting-range");
}

TEST_F(IngestServiceTest, BadGeoipDatabaseFailsStart) {
  std::ofstream(dir_ / "broken.mmdb") << "not a database";
  IngestOptions options;
  options.geoip_databases = {(dir_ / "broken.mmdb").string()};
  auto s = IngestService::Start((dir_ / "vigil.db").string(), rules_, options, metrics_);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
  EXPECT_NE(s.error().message.find((dir_ / "broken.mmdb").string()), std::string::npos)
      << s.error().message;
}

TEST_F(IngestServiceTest, BaselinesSurviveARestart) {
  IngestOptions options;
  options.baselines = true;
  options.learning_seconds = 3600;
  options.baseline_save_seconds = 3600;  // only the save at stop
  const std::string type = "CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed";
  {
    auto service = Start(options);
    ASSERT_TRUE(service);
    std::string lines;
    for (int m = 0; m < 90; m += 10) {
      lines += SecretsLine("l-" + std::to_string(m), "alice", "10.20.0.5",
                           fmt::format("2026-01-01T{:02d}:{:02d}:00Z", m / 60, m % 60));
    }
    ASSERT_TRUE(CommitLines(*service, lines, "prod", "webhook"));
  }  // stopped: the baseline is saved
  auto service = Start(options);
  ASSERT_TRUE(service);
  // Known: nothing. From a new network: an anomaly, because the learning period (1 h from the
  // first event, which was before the restart) is over.
  ASSERT_TRUE(CommitLines(*service,
                          SecretsLine("n-1", "alice", "10.20.0.5", "2026-01-01T02:00:00Z") +
                              SecretsLine("n-2", "alice", "203.0.113.77", "2026-01-01T02:01:00Z"),
                          "prod", "webhook"));
  EXPECT_EQ(StoredOfType(dir_ / "vigil.db", type), 1u);
}

}  // namespace
}  // namespace vigil::server
