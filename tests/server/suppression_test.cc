// Suppression rules in the SQLite store (migration 3): they archive matching findings when added
// and matching findings stored later, until they expire.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/sqlite/sqlite_store.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::WorkflowStatus;

constexpr UnixNanos kNow = 1'780'000'000'000'000'000;

Finding MakeFinding(
    std::string id, std::string type, std::string user, std::string ns, std::string image = "") {
  Finding f;
  f.id = std::move(id);
  f.rule = "r";
  f.type = std::move(type);
  f.principal.username = std::move(user);
  f.resource.ns = std::move(ns);
  f.count = 1;
  f.first_seen = f.last_seen = kNow - 1000;
  if (!image.empty()) f.output_fields["ka.req.pod.containers.image"] = "[" + image + ", busybox]";
  return f;
}

class SuppressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "vigil-supp-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto s = SqliteFindingStore::Open((dir_ / "vigil.db").string());
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  WorkflowStatus StatusOf(const std::string& id) { return store_->Get(id)->workflow; }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteFindingStore> store_;
};

TEST_F(SuppressionTest, ArchivesMatchingFindingsNowAndLater) {
  std::vector<Finding> first = {
      MakeFinding("a", "Policy:Kubernetes/ExposedDashboard", "ci", "ops"),
      MakeFinding("b", "Discovery:Kubernetes/SuccessfulAnonymousAccess", "ci", "ops"),
      MakeFinding("c", "Policy:Kubernetes/ExposedDashboard", "alice", "ops")};
  ASSERT_TRUE(store_->Upsert(first, kNow));
  Suppression rule;
  rule.type = "Policy:Kubernetes/*";
  rule.principal = "ci";
  rule.actor = "bob";
  rule.note = "CI exposes it on purpose";
  auto added = store_->AddSuppression(rule, kNow);
  ASSERT_TRUE(added.has_value()) << added.error().ToString();
  EXPECT_EQ(added->second, 1u);
  EXPECT_FALSE(added->first.id.empty());
  EXPECT_EQ(StatusOf("a"), WorkflowStatus::kSuppressed);
  EXPECT_EQ(StatusOf("b"), WorkflowStatus::kNew);
  EXPECT_EQ(StatusOf("c"), WorkflowStatus::kNew);
  auto history = store_->History("a");
  ASSERT_TRUE(history && !history->empty());
  EXPECT_EQ(history->back().actor, "bob");
  EXPECT_NE(history->back().note.find("CI exposes it on purpose"), std::string::npos);

  std::vector<Finding> later = {
      MakeFinding("d", "Policy:Kubernetes/AdminAccessToDefaultServiceAccount", "ci", "x")};
  ASSERT_TRUE(store_->Upsert(later, kNow + 1));
  EXPECT_EQ(StatusOf("d"), WorkflowStatus::kSuppressed);
}

TEST_F(SuppressionTest, ExpiredRulesStopArchiving) {
  Suppression rule;
  rule.ns = "sandbox";
  rule.expires_at = kNow + 10;
  ASSERT_TRUE(store_->AddSuppression(rule, kNow));
  std::vector<Finding> before = {MakeFinding("a", "T", "u", "sandbox")};
  ASSERT_TRUE(store_->Upsert(before, kNow + 5));
  EXPECT_EQ(StatusOf("a"), WorkflowStatus::kSuppressed);
  std::vector<Finding> after = {MakeFinding("b", "T", "u", "sandbox")};
  ASSERT_TRUE(store_->Upsert(after, kNow + 20));
  EXPECT_EQ(StatusOf("b"), WorkflowStatus::kNew);
}

TEST_F(SuppressionTest, MatchesImagePrefixesAndNeedsAField) {
  Suppression rule;
  rule.image_prefix = "registry.internal/";
  ASSERT_TRUE(store_->AddSuppression(rule, kNow));
  std::vector<Finding> batch = {MakeFinding("a", "T", "u", "n", "registry.internal/app:1"),
                                MakeFinding("b", "T", "u", "n", "docker.io/app:1")};
  ASSERT_TRUE(store_->Upsert(batch, kNow));
  EXPECT_EQ(StatusOf("a"), WorkflowStatus::kSuppressed);
  EXPECT_EQ(StatusOf("b"), WorkflowStatus::kNew);
  auto empty = store_->AddSuppression(Suppression{}, kNow);
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SuppressionTest, ListsAndDeletes) {
  Suppression rule;
  rule.principal = "p";
  auto added = store_->AddSuppression(rule, kNow);
  ASSERT_TRUE(added);
  auto list = store_->ListSuppressions();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].principal, "p");
  EXPECT_TRUE(store_->DeleteSuppression(added->first.id));
  auto gone = store_->DeleteSuppression(added->first.id);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(SuppressionTest, CountsFindingsByTypeAndSeverity) {
  std::vector<Finding> batch = {MakeFinding("a", "T1", "u", "n"), MakeFinding("b", "T1", "v", "n"),
                                MakeFinding("c", "T2", "u", "n")};
  ASSERT_TRUE(store_->Upsert(batch, kNow));
  auto counts = store_->CountByTypeAndSeverity();
  ASSERT_TRUE(counts);
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].first.first, "T1");
  EXPECT_EQ((*counts)[0].first.second, "MEDIUM");
  EXPECT_EQ((*counts)[0].second, 2u);
}

}  // namespace
}  // namespace vigil::store
