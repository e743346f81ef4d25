#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "findings/encode/json.h"
#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::Observation;
using findings::WorkflowStatus;
using findings::testing::kSampleNow;
using findings::testing::MakeObservation;
using findings::testing::SampleObservations;
using testing::OpenOrDie;
using testing::Scan;
using testing::ScanBatches;
using testing::TempDir;

constexpr UnixNanos kMinute = 60'000'000'000;

// id → (count, first_seen, last_seen, audit_ids) for comparing store states.
std::map<std::string, std::string> Summary(FindingStore& store) {
  std::map<std::string, std::string> out;
  auto page = store.List({.limit = 0});
  EXPECT_TRUE(page.has_value());
  for (const Finding& f : page->findings) {
    std::string ids;
    for (const std::string& a : f.audit_ids) ids += a + ",";
    out[f.id] = std::to_string(f.count) + "|" + std::to_string(f.first_seen) + "|" +
                std::to_string(f.last_seen) + "|" + ids + (f.audit_ids_truncated ? "+" : "");
  }
  return out;
}

void UpsertAll(FindingStore& store,
               const std::vector<std::vector<Finding>>& batches,
               UnixNanos now) {
  for (const auto& batch : batches) {
    auto r = store.Upsert(batch, now);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
}

class SqliteUpsertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.File("vigil.db"));
    ASSERT_NE(store_, nullptr);
  }
  TempDir dir_;
  std::unique_ptr<SqliteFindingStore> store_;
};

TEST_F(SqliteUpsertTest, InsertedFindingsComeBackWhole) {
  const std::vector<Finding> findings = Scan(SampleObservations());
  auto r = store_->Upsert(findings, kSampleNow);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->inserted, findings.size());
  EXPECT_EQ(r->outcomes.size(), findings.size());
  for (const Finding& f : findings) {
    auto back = store_->Get(f.id);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_TRUE(SameContent(f, *back)) << findings::EncodeFindingJson(f) << "\n"
                                       << findings::EncodeFindingJson(*back);
    EXPECT_EQ(back->created_at, kSampleNow);
    EXPECT_EQ(back->updated_at, kSampleNow);
    EXPECT_TRUE(back->events.empty());
    EXPECT_EQ(*store_->EventCount(f.id), static_cast<std::int64_t>(f.count));
  }
}

TEST_F(SqliteUpsertTest, GetOfAnUnknownIdIsNotFound) {
  auto r = store_->Get("00000000-0000-5000-8000-000000000000");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

// The requirement: scanning the same file twice leaves the same findings — same ids, same counts.
TEST_F(SqliteUpsertTest, RescanningTheSameInputChangesNothing) {
  const std::vector<Observation> input = SampleObservations();
  UpsertAll(*store_, ScanBatches(input), kSampleNow);
  const auto before = Summary(*store_);
  const auto first = store_->List({.limit = 0, .with_evidence = true});

  auto again = store_->Upsert(Scan(input, kSampleNow + kMinute), kSampleNow + kMinute);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->inserted, 0u);
  EXPECT_EQ(again->updated, 0u);
  EXPECT_EQ(again->unchanged, before.size());
  for (const UpsertOutcome& o : again->outcomes) EXPECT_EQ(o.new_events, 0u);
  EXPECT_EQ(Summary(*store_), before);
  // Not even updated_at moves (Security Hub would otherwise see an update).
  const auto second = store_->List({.limit = 0, .with_evidence = true});
  ASSERT_EQ(first->findings.size(), second->findings.size());
  for (size_t i = 0; i < first->findings.size(); ++i) {
    EXPECT_TRUE(SameContent(first->findings[i], second->findings[i]));
    EXPECT_EQ(first->findings[i].updated_at, second->findings[i].updated_at);
  }
}

TEST_F(SqliteUpsertTest, RescanningAfterReopeningChangesNothing) {
  const std::vector<Observation> input = SampleObservations();
  UpsertAll(*store_, ScanBatches(input), kSampleNow);
  const auto before = Summary(*store_);
  store_.reset();
  auto reopened = OpenOrDie(dir_.File("vigil.db"));
  UpsertAll(*reopened, ScanBatches(input), kSampleNow + kMinute);
  EXPECT_EQ(Summary(*reopened), before);
}

// However a scan flushes (every finding, every few, once), the stored result is the same as one
// aggregation of the whole input, and a re-scan with a different flush pattern changes nothing.
TEST_F(SqliteUpsertTest, FlushPatternsDoNotChangeTheResult) {
  const std::vector<Observation> input = SampleObservations();
  auto reference_store = OpenOrDie(":memory:");
  UpsertAll(*reference_store, ScanBatches(input), kSampleNow);
  const auto reference = Summary(*reference_store);

  for (size_t flush_every : {1u, 2u, 3u}) {
    TempDir dir;
    auto store = OpenOrDie(dir.File("vigil.db"));
    UpsertAll(*store, ScanBatches(input, flush_every), kSampleNow);
    EXPECT_EQ(Summary(*store), reference) << "flush every " << flush_every;
    UpsertAll(*store, ScanBatches(input, flush_every + 1), kSampleNow + kMinute);
    EXPECT_EQ(Summary(*store), reference) << "re-scan, flush every " << flush_every + 1;
  }
}

TEST_F(SqliteUpsertTest, OverlappingInputsCountEachEventOnce) {
  std::vector<Observation> a, b;
  for (int i = 1; i <= 3; ++i)
    a.push_back(MakeObservation("r", "alice", "e" + std::to_string(i), i));
  for (int i = 2; i <= 5; ++i)
    b.push_back(MakeObservation("r", "alice", "e" + std::to_string(i), i));
  UpsertAll(*store_, ScanBatches(a), kSampleNow);
  auto r = store_->Upsert(Scan(b), kSampleNow + kMinute);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcomes[0].new_events, 2u);
  auto page = store_->List({});
  ASSERT_EQ(page->findings.size(), 1u);
  const Finding& f = page->findings[0];
  EXPECT_EQ(f.count, 5u);
  EXPECT_EQ(f.first_seen, 1);
  EXPECT_EQ(f.last_seen, 5);
  EXPECT_EQ(f.audit_ids, (std::vector<std::string>{"e1", "e2", "e3", "e4", "e5"}));
}

TEST_F(SqliteUpsertTest, NewEventsMergeAndBumpUpdatedAt) {
  Observation early = MakeObservation("r", "alice", "e2", 2000);
  early.description = "second";
  UpsertAll(*store_, ScanBatches({early}), kSampleNow);
  Observation earlier = MakeObservation("r", "alice", "e1", 1000);
  earlier.description = "first";
  earlier.source_ips = {"198.51.100.1"};
  Observation later = MakeObservation("r", "alice", "e3", 3000);
  const UnixNanos now = kSampleNow + kMinute;
  auto r = store_->Upsert(Scan({later, earlier}), now);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->updated, 1u);
  EXPECT_EQ(r->outcomes[0].action, UpsertAction::kUpdated);
  EXPECT_EQ(r->outcomes[0].new_events, 2u);
  Finding f = *store_->Get(r->outcomes[0].id);
  EXPECT_EQ(f.count, 3u);
  EXPECT_EQ(f.first_seen, 1000);
  EXPECT_EQ(f.last_seen, 3000);
  EXPECT_EQ(f.description, "first");  // the earliest observation's
  EXPECT_EQ(f.evidence, earlier.evidence);
  EXPECT_EQ(f.user_agent, later.user_agent);
  EXPECT_EQ(f.source_ips, (std::vector<std::string>{"192.0.2.1", "198.51.100.1"}));
  EXPECT_EQ(f.created_at, kSampleNow);
  EXPECT_EQ(f.updated_at, now);
}

TEST_F(SqliteUpsertTest, UpdatedAtStrictlyIncreasesEvenWithAStoppedClock) {
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e1", 1)}), kSampleNow);
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e2", 2)}), kSampleNow);
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e3", 3)}), kSampleNow);
  Finding f = store_->List({})->findings.at(0);
  EXPECT_EQ(f.updated_at, kSampleNow + 2'000'000);  // +1 ms per change (ASFF resolution)
}

TEST_F(SqliteUpsertTest, AuditIdsStayCappedAcrossBatches) {
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<Observation> obs;
    for (int i = 0; i < 10; ++i) {
      const int n = batch * 10 + i;
      obs.push_back(MakeObservation("r", "alice", fmt::format("e{:02}", n), n + 1));
    }
    UpsertAll(*store_, ScanBatches(obs), kSampleNow + batch);
  }
  Finding f = store_->List({})->findings.at(0);
  EXPECT_EQ(f.count, 30u);
  EXPECT_EQ(f.audit_ids.size(), Finding::kMaxAuditIds);
  EXPECT_TRUE(f.audit_ids_truncated);
  EXPECT_EQ(f.audit_ids.front(), "e00");
}

TEST_F(SqliteUpsertTest, ResolvedFindingReopensWhenTheActivityRecurs) {
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e1", 1)}), kSampleNow);
  const std::string id = store_->List({})->findings.at(0).id;
  ASSERT_TRUE(store_
                  ->SetWorkflowStatus(id, WorkflowStatus::kResolved, "ana", "fixed RBAC",
                                      kSampleNow + kMinute)
                  .has_value());
  // Re-scanning the old events does not reopen it…
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e1", 1)}),
            kSampleNow + 2 * kMinute);
  EXPECT_EQ(store_->Get(id)->workflow, WorkflowStatus::kResolved);
  // …a new event does.
  auto r = store_->Upsert(Scan({MakeObservation("r", "alice", "e2", 2)}), kSampleNow + 3 * kMinute);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->outcomes[0].reopened);
  EXPECT_EQ(store_->Get(id)->workflow, WorkflowStatus::kNew);
  auto history = store_->History(id);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].actor, "vigil");
  EXPECT_EQ((*history)[1].from, WorkflowStatus::kResolved);
  EXPECT_EQ((*history)[1].to, WorkflowStatus::kNew);
}

TEST_F(SqliteUpsertTest, SuppressedFindingStaysSuppressed) {
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e1", 1)}), kSampleNow);
  const std::string id = store_->List({})->findings.at(0).id;
  ASSERT_TRUE(
      store_
          ->SetWorkflowStatus(id, WorkflowStatus::kSuppressed, "ana", "expected CI job", kSampleNow)
          .has_value());
  UpsertAll(*store_, ScanBatches({MakeObservation("r", "alice", "e2", 2)}), kSampleNow + kMinute);
  Finding f = *store_->Get(id);
  EXPECT_EQ(f.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(f.count, 2u);
}

TEST_F(SqliteUpsertTest, UntrackedFindingsAddTheirCount) {
  findings::FindingAggregator agg;  // no track_events
  agg.Add(MakeObservation("r", "alice", "e1", 1), kSampleNow);
  agg.Add(MakeObservation("r", "alice", "e2", 2), kSampleNow);
  const std::vector<Finding> batch = agg.TakeAll();
  ASSERT_TRUE(batch[0].events.empty());
  UpsertAll(*store_, {batch}, kSampleNow);
  UpsertAll(*store_, {batch}, kSampleNow + kMinute);
  EXPECT_EQ(store_->Get(batch[0].id)->count, 4u);  // documented: not idempotent without events
}

TEST_F(SqliteUpsertTest, ABadFindingRejectsTheWholeBatch) {
  std::vector<Finding> batch = Scan(SampleObservations());
  batch.push_back(Finding{});  // no id
  auto r = store_->Upsert(batch, kSampleNow);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->List({})->total, 0u);
}

TEST_F(SqliteUpsertTest, SameIdTwiceInOneBatchMerges) {
  auto first = Scan({MakeObservation("r", "alice", "e1", 1)});
  auto second = Scan({MakeObservation("r", "alice", "e2", 2)});
  std::vector<Finding> batch = {first[0], second[0]};
  auto r = store_->Upsert(batch, kSampleNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->inserted, 1u);
  EXPECT_EQ(r->updated, 1u);
  EXPECT_EQ(store_->Get(first[0].id)->count, 2u);
}

TEST(SqliteRetentionTest, OldEventDigestsArePrunedBehindTheNewestEvent) {
  auto store = OpenOrDie(":memory:", {.event_retention_seconds = 3600});
  const UnixNanos t0 = kSampleNow - 10 * kMinute;
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "old", t0)}), kSampleNow);
  const std::string id = store->List({})->findings.at(0).id;
  EXPECT_EQ(*store->EventCount(id), 1);
  // Two hours of newer activity push the old digest out of the window…
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "new", t0 + 120 * kMinute)}),
            kSampleNow + 120 * kMinute);
  EXPECT_EQ(*store->EventCount(id), 1);
  EXPECT_EQ(store->Get(id)->count, 2u);
  // …so re-scanning that old event counts it again (the documented cost of a bounded ledger).
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "old", t0)}),
            kSampleNow + 121 * kMinute);
  EXPECT_EQ(store->Get(id)->count, 3u);
}

TEST(SqliteRetentionTest, ZeroKeepsDigestsForever) {
  auto store = OpenOrDie(":memory:", {.event_retention_seconds = 0});
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "old", 1)}), kSampleNow);
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "new", kSampleNow)}), kSampleNow);
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "old", 1)}), kSampleNow);
  EXPECT_EQ(store->List({})->findings.at(0).count, 2u);
}

TEST(SqliteRetentionTest, AnEventFromTheFutureDoesNotWipeTheLedger) {
  auto store = OpenOrDie(":memory:", {.event_retention_seconds = 3600});
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "now", kSampleNow)}), kSampleNow);
  const UnixNanos year = 365LL * 24 * 60 * kMinute;
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "skewed", kSampleNow + year)}),
            kSampleNow);
  UpsertAll(*store, ScanBatches({MakeObservation("r", "alice", "now", kSampleNow)}), kSampleNow);
  EXPECT_EQ(store->List({})->findings.at(0).count, 2u);
}

}  // namespace
}  // namespace vigil::store
