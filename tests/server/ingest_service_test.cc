// IngestService in-process: the path a file tailer uses (CommitLines), the event limit, and
// refusal after Stop(). Real SQLite files; the example audit log in examples/audit.
#include "server/ingest_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "detect/builtin_rules.h"

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
