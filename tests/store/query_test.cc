#include <gtest/gtest.h>

#include <set>

#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::Severity;
using findings::WorkflowStatus;
using findings::testing::kSampleNow;
using findings::testing::SampleObservations;
using findings::testing::T;
using testing::OpenOrDie;
using testing::Scan;

// The six sample findings (see sample_observations.h) in a fresh in-memory store.
class SqliteQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(":memory:");
    ASSERT_NE(store_, nullptr);
    findings_ = Scan(SampleObservations());
    ASSERT_TRUE(store_->Upsert(findings_, kSampleNow).has_value());
  }

  std::vector<std::string> Types(const FindingQuery& q) {
    auto page = store_->List(q);
    EXPECT_TRUE(page.has_value()) << page.error().ToString();
    std::vector<std::string> types;
    for (const Finding& f : page->findings) types.push_back(f.type);
    EXPECT_LE(types.size(), page->total);
    return types;
  }

  std::string IdOf(std::string_view type) {
    for (const Finding& f : findings_) {
      if (f.type == type) return f.id;
    }
    ADD_FAILURE() << "no sample finding of type " << type;
    return {};
  }

  std::unique_ptr<SqliteFindingStore> store_;
  std::vector<Finding> findings_;
};

TEST_F(SqliteQueryTest, EverythingNewestActivityFirst) {
  EXPECT_EQ(Types({}),
            (std::vector<std::string>{
                "Custom:Kubernetes/ConfigMapChurn",                // 12:12
                "Custom:Kubernetes/SecretsReadByUnusualAgent",     // 12:11
                "Discovery:Kubernetes/SuccessfulAnonymousAccess",  // 12:10
                "PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!"
                "PrivilegedContainer",                       // 12:07:30
                "Execution:Kubernetes/ExecInKubeSystemPod",  // 12:05
                "Policy:Kubernetes/AnonymousAccessGranted",  // 12:03:10
            }));
}

TEST_F(SqliteQueryTest, MinimumSeverity) {
  EXPECT_EQ(Types({.min_severity = Severity::kHigh}).size(), 2u);
  EXPECT_EQ(Types({.min_severity = Severity::kMedium}).size(), 5u);
  EXPECT_EQ(Types({.min_severity = Severity::kLow}).size(), 6u);
  EXPECT_EQ(Types({.min_severity = Severity::kCritical}).size(), 0u);
}

TEST_F(SqliteQueryTest, TypeExactOrPrefix) {
  EXPECT_EQ(Types({.type = "Policy:Kubernetes/AnonymousAccessGranted"}),
            std::vector<std::string>{"Policy:Kubernetes/AnonymousAccessGranted"});
  EXPECT_TRUE(Types({.type = "Policy:Kubernetes/"}).empty());  // exact means exact
  EXPECT_EQ(Types({.type_prefix = "Custom:"}).size(), 2u);
  EXPECT_EQ(Types({.type_prefix = "PrivilegeEscalation:Kubernetes/AnomalousBehavior."}).size(), 1u);
  EXPECT_TRUE(Types({.type_prefix = "custom:"}).empty());   // case-sensitive
  EXPECT_TRUE(Types({.type_prefix = "Custom:%"}).empty());  // no LIKE wildcards
}

TEST_F(SqliteQueryTest, ClusterPrincipalNamespace) {
  EXPECT_EQ(Types({.cluster = "kind-dev"}).size(), 2u);
  EXPECT_EQ(Types({.cluster = "prod-eks"}).size(), 4u);
  EXPECT_EQ(Types({.principal = "carol"}),
            std::vector<std::string>{"Execution:Kubernetes/ExecInKubeSystemPod"});
  EXPECT_EQ(Types({.ns = "kube-system"}).size(), 2u);
  EXPECT_EQ(Types({.cluster = "prod-eks", .ns = "kube-system"}),
            std::vector<std::string>{"Custom:Kubernetes/SecretsReadByUnusualAgent"});
}

TEST_F(SqliteQueryTest, TimeRange) {
  // last_seen >= since
  EXPECT_EQ(Types({.since = T("2024-05-01T12:10:00Z")}).size(), 3u);
  // first_seen <= until
  EXPECT_EQ(Types({.until = T("2024-05-01T12:02:00Z")}),
            std::vector<std::string>{"Discovery:Kubernetes/SuccessfulAnonymousAccess"});
  // Overlapping a window: active at some point between 12:04 and 12:06.
  EXPECT_EQ(Types({.since = T("2024-05-01T12:04:00Z"), .until = T("2024-05-01T12:06:00Z")}).size(),
            4u);
}

TEST_F(SqliteQueryTest, WorkflowStatus) {
  const std::string exec = IdOf("Execution:Kubernetes/ExecInKubeSystemPod");
  const std::string churn = IdOf("Custom:Kubernetes/ConfigMapChurn");
  ASSERT_TRUE(store_->SetWorkflowStatus(exec, WorkflowStatus::kResolved, "ana", "", 1).has_value());
  ASSERT_TRUE(
      store_->SetWorkflowStatus(churn, WorkflowStatus::kSuppressed, "ana", "", 1).has_value());
  EXPECT_EQ(Types({.workflow = {WorkflowStatus::kNew}}).size(), 4u);
  EXPECT_EQ(Types({.workflow = {WorkflowStatus::kResolved, WorkflowStatus::kSuppressed}}).size(),
            2u);
  EXPECT_EQ(Types({.workflow = {WorkflowStatus::kNotified}}).size(), 0u);
}

TEST_F(SqliteQueryTest, PagingCoversEverythingOnce) {
  std::vector<std::string> all;
  std::set<std::string> seen;
  for (size_t offset = 0; offset < 10; offset += 4) {
    auto page = store_->List({.limit = 4, .offset = offset});
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->total, 6u);
    for (const Finding& f : page->findings) {
      all.push_back(f.type);
      EXPECT_TRUE(seen.insert(f.id).second);
    }
  }
  EXPECT_EQ(all, Types({}));
  EXPECT_EQ(store_->List({.limit = 2, .offset = 6})->findings.size(), 0u);
  EXPECT_EQ(store_->List({.limit = 0})->findings.size(), 6u);  // 0 = no limit
}

TEST_F(SqliteQueryTest, TotalCountsMatchesBeyondThePage) {
  auto page = store_->List({.min_severity = Severity::kMedium, .limit = 2});
  EXPECT_EQ(page->findings.size(), 2u);
  EXPECT_EQ(page->total, 5u);
}

TEST_F(SqliteQueryTest, EvidenceOnlyWhenAsked) {
  const auto without = store_->List({});
  for (const Finding& f : without->findings) {
    EXPECT_TRUE(f.evidence.empty());
    EXPECT_FALSE(f.title.empty());
  }
  const auto with = store_->List({.with_evidence = true});
  for (const Finding& f : with->findings) {
    EXPECT_FALSE(f.evidence.empty());
  }
  for (const Finding& f : findings_) {
    EXPECT_EQ(store_->Get(f.id)->evidence, f.evidence);
  }
}

// The overview's counts run the list's filter; the source-address count joins json_each, whose
// own columns (type, id, value) must not capture the filter's column names. Found by the
// serve_query fuzz target: a type prefix or free text made every Stats call fail.
TEST_F(SqliteQueryTest, StatsTakeEveryFilterTheListTakes) {
  const std::vector<FindingQuery> queries = {
      {.type = "Discovery:Kubernetes/SuccessfulAnonymousAccess"},
      {.type_prefix = "Discovery:"},
      {.text = "anonymous"},
      {.text = IdOf("Policy:Kubernetes/AnonymousAccessGranted").substr(0, 8)},
  };
  for (const FindingQuery& q : queries) {
    auto stats = store_->Stats(q, 10);
    ASSERT_TRUE(stats.has_value()) << stats.error().ToString();
    auto page = store_->List(q);
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(stats->total, page->total);
    EXPECT_GT(stats->total, 0u);
  }
  auto discovery = store_->Stats({.type_prefix = "Discovery:"}, 10);
  ASSERT_TRUE(discovery.has_value());
  EXPECT_EQ(discovery->top_source_ips.size(), 2u);  // the anonymous access came from 2 IPs
}

TEST_F(SqliteQueryTest, SetWorkflowStatusKeepsAHistory) {
  const std::string id = IdOf("Policy:Kubernetes/AnonymousAccessGranted");
  const UnixNanos t1 = kSampleNow + 60'000'000'000;
  ASSERT_TRUE(
      store_->SetWorkflowStatus(id, WorkflowStatus::kNotified, "ticketer", "JIRA SEC-12", t1)
          .has_value());
  Finding f = *store_->Get(id);
  EXPECT_EQ(f.workflow, WorkflowStatus::kNotified);
  EXPECT_EQ(f.updated_at, t1);
  // The same status again records the note but is not a change.
  ASSERT_TRUE(store_->SetWorkflowStatus(id, WorkflowStatus::kNotified, "ana", "looking", t1 + 5)
                  .has_value());
  EXPECT_EQ(store_->Get(id)->updated_at, t1);
  ASSERT_TRUE(
      store_->SetWorkflowStatus(id, WorkflowStatus::kResolved, "ana", "binding deleted", t1 + 10)
          .has_value());
  auto history = store_->History(id);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].actor, "ticketer");
  EXPECT_EQ((*history)[0].from, WorkflowStatus::kNew);
  EXPECT_EQ((*history)[0].to, WorkflowStatus::kNotified);
  EXPECT_EQ((*history)[0].note, "JIRA SEC-12");
  EXPECT_EQ((*history)[0].at, t1);
  EXPECT_EQ((*history)[2].to, WorkflowStatus::kResolved);
  EXPECT_EQ((*history)[2].finding_id, id);
  EXPECT_TRUE(store_->History("unknown")->empty());
}

TEST_F(SqliteQueryTest, SetWorkflowStatusOfAnUnknownIdIsNotFound) {
  Status s = store_->SetWorkflowStatus("nope", WorkflowStatus::kResolved, "ana", "", 1);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace vigil::store
