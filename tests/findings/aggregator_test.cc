#include "findings/aggregator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "findings/encode/json.h"
#include "findings/sample_observations.h"

namespace vigil::findings {
namespace {

using testing::kSampleNow;
using testing::MakeObservation;
using testing::SampleObservations;
using testing::T;

std::string EncodeAll(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) out += EncodeFindingJson(f) + "\n";
  return out;
}

std::vector<Finding> Aggregate(const std::vector<Observation>& observations,
                               FindingAggregator::Options options = {}) {
  FindingAggregator agg(options);
  for (const Observation& o : observations) agg.Add(o, kSampleNow);
  return agg.TakeAll();
}

TEST(FindingAggregatorTest, SampleAggregatesIntoSixFindings) {
  std::vector<Finding> findings = Aggregate(SampleObservations());
  ASSERT_EQ(findings.size(), 6u);
  std::uint64_t total = 0;
  for (const Finding& f : findings) total += f.count;
  EXPECT_EQ(total, 13u);
  // Ordered by first_seen.
  for (size_t i = 1; i < findings.size(); ++i) {
    EXPECT_LE(findings[i - 1].first_seen, findings[i].first_seen);
  }
  EXPECT_EQ(findings[0].type, "Discovery:Kubernetes/SuccessfulAnonymousAccess");
  EXPECT_EQ(findings[0].count, 3u);
}

TEST(FindingAggregatorTest, RepeatRaisesCountAndLastSeen) {
  FindingAggregator agg;
  const Finding& first = agg.Add(MakeObservation("r", "alice", "a1", 100), 1000);
  EXPECT_EQ(first.count, 1u);
  const std::string id = first.id;
  const Finding& again = agg.Add(MakeObservation("r", "alice", "a2", 200), 2000);
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.count, 2u);
  EXPECT_EQ(again.first_seen, 100);
  EXPECT_EQ(again.last_seen, 200);
  EXPECT_EQ(again.audit_ids, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(again.created_at, 1000);
  EXPECT_EQ(again.updated_at, 2000);
  EXPECT_EQ(agg.size(), 1u);
}

TEST(FindingAggregatorTest, DifferentDedupKeysMakeDifferentFindings) {
  FindingAggregator agg;
  agg.Add(MakeObservation("r", "alice", "a1", 100), 0);
  agg.Add(MakeObservation("r", "bob", "a2", 100), 0);
  agg.Add(MakeObservation("r2", "alice", "a3", 100), 0);
  Observation explicit_key = MakeObservation("r", "carol", "a4", 100);
  explicit_key.dedup_key = "prod-eks";
  agg.Add(explicit_key, 0);
  Observation same_key = MakeObservation("r", "dave", "a5", 100);
  same_key.dedup_key = "prod-eks";
  agg.Add(same_key, 0);
  EXPECT_EQ(agg.size(), 4u);
}

TEST(FindingAggregatorTest, IdsAreStableAcrossRuns) {
  std::vector<Finding> a = Aggregate(SampleObservations());
  std::vector<Finding> b = Aggregate(SampleObservations());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].id, FindingId(a[i].rule, a[i].dedup_key));
  }
}

TEST(FindingAggregatorTest, ResultDoesNotDependOnInputOrder) {
  const std::vector<Observation> in_order = SampleObservations();
  const std::string expected = EncodeAll(Aggregate(in_order));
  std::vector<Observation> shuffled = in_order;
  std::reverse(shuffled.begin(), shuffled.end());
  EXPECT_EQ(EncodeAll(Aggregate(shuffled)), expected) << "reversed";
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(EncodeAll(Aggregate(shuffled)), expected) << "shuffle round " << round;
  }
}

TEST(FindingAggregatorTest, OutOfOrderEventsKeepEarliestRepresentativeAndLatestAgent) {
  Observation late = MakeObservation("r", "alice", "late", T("2024-05-01T12:00:09Z"));
  late.description = "late one";
  late.evidence = R"({"auditID":"late"})";
  late.output_fields = {{"n", "late"}};
  Observation early = MakeObservation("r", "alice", "early", T("2024-05-01T12:00:01Z"));
  early.description = "early one";
  early.evidence = R"({"auditID":"early"})";
  early.output_fields = {{"n", "early"}};
  Observation middle = MakeObservation("r", "alice", "middle", T("2024-05-01T12:00:05Z"));

  FindingAggregator agg;
  agg.Add(middle, 0);
  agg.Add(late, 0);
  const Finding& f = agg.Add(early, 0);
  EXPECT_EQ(f.first_seen, early.time);
  EXPECT_EQ(f.last_seen, late.time);
  EXPECT_EQ(f.description, "early one");
  EXPECT_EQ(f.evidence, early.evidence);
  EXPECT_EQ(f.output_fields.at("n"), "early");
  EXPECT_EQ(f.user_agent, late.user_agent);
  EXPECT_EQ(f.audit_ids, (std::vector<std::string>{"early", "middle", "late"}));
}

TEST(FindingAggregatorTest, AuditIdsKeepTheEarliestAndFlagTruncation) {
  FindingAggregator agg;
  // 25 events, added newest first.
  for (int i = 25; i >= 1; --i) {
    agg.Add(MakeObservation("r", "alice", "id-" + std::to_string(100 + i), i * 1000), 0);
  }
  std::vector<Finding> out = agg.TakeAll();
  ASSERT_EQ(out.size(), 1u);
  const Finding& f = out[0];
  EXPECT_EQ(f.count, 25u);
  ASSERT_EQ(f.audit_ids.size(), Finding::kMaxAuditIds);
  EXPECT_TRUE(f.audit_ids_truncated);
  EXPECT_EQ(f.audit_ids.front(), "id-101");
  EXPECT_EQ(f.audit_ids.back(), "id-120");
  EXPECT_EQ(f.first_seen, 1000);
  EXPECT_EQ(f.last_seen, 25000);
}

TEST(FindingAggregatorTest, ExactlyMaxAuditIdsIsNotTruncated) {
  FindingAggregator agg;
  for (size_t i = 0; i < Finding::kMaxAuditIds; ++i) {
    agg.Add(MakeObservation("r", "alice", "id-" + std::to_string(i), static_cast<UnixNanos>(i)), 0);
  }
  std::vector<Finding> out = agg.TakeAll();
  EXPECT_EQ(out[0].audit_ids.size(), Finding::kMaxAuditIds);
  EXPECT_FALSE(out[0].audit_ids_truncated);
}

TEST(FindingAggregatorTest, SameAuditIdAtTwoStagesIsListedOnce) {
  Observation received = MakeObservation("r", "alice", "a1", 100);
  received.stage = "RequestReceived";
  Observation complete = MakeObservation("r", "alice", "a1", 101);
  FindingAggregator agg;
  agg.Add(received, 0);
  const Finding& f = agg.Add(complete, 0);
  EXPECT_EQ(f.count, 2u);  // two stages are two events when a rule matches both
  EXPECT_EQ(f.audit_ids, (std::vector<std::string>{"a1"}));
  EXPECT_FALSE(f.audit_ids_truncated);
}

TEST(FindingAggregatorTest, SourceIpsAreASortedCappedUnion) {
  FindingAggregator agg;
  for (int i = 0; i < 30; ++i) {
    Observation o = MakeObservation("r", "alice", "a" + std::to_string(i), i);
    o.source_ips = {"10.0.0." + std::to_string(i), "192.0.2.1"};
    agg.Add(o, 0);
  }
  std::vector<Finding> out = agg.TakeAll();
  const std::vector<std::string>& ips = out[0].source_ips;
  ASSERT_EQ(ips.size(), Finding::kMaxSourceIps);
  EXPECT_TRUE(std::is_sorted(ips.begin(), ips.end()));
  EXPECT_EQ(std::adjacent_find(ips.begin(), ips.end()), ips.end());
  EXPECT_EQ(ips.front(), "10.0.0.0");
}

TEST(FindingAggregatorTest, SeverityIsTheHighestSeen) {
  Observation low = MakeObservation("r", "alice", "a1", 100);
  low.severity = Severity::kLow;
  low.priority = "NOTICE";
  Observation high = MakeObservation("r", "alice", "a2", 200);
  high.severity = Severity::kHigh;
  high.priority = "ERROR";
  for (bool high_first : {false, true}) {
    FindingAggregator agg;
    agg.Add(high_first ? high : low, 0);
    const Finding& f = agg.Add(high_first ? low : high, 0);
    EXPECT_EQ(f.severity, Severity::kHigh);
    EXPECT_EQ(f.priority, "ERROR");
  }
}

TEST(FindingAggregatorTest, WithoutTrackingEventsAreNotRecorded) {
  FindingAggregator agg;
  Observation o = MakeObservation("r", "alice", "a1", 100);
  agg.Add(o, 0);
  const Finding& f = agg.Add(o, 0);
  EXPECT_EQ(f.count, 2u);
  EXPECT_TRUE(f.events.empty());
  EXPECT_EQ(agg.pending_events(), 0u);
}

TEST(FindingAggregatorTest, TrackingRecordsEventsAndIgnoresRepeats) {
  FindingAggregator agg({.track_events = true});
  Observation o = MakeObservation("r", "alice", "a1", 100);
  agg.Add(o, 0);
  agg.Add(o, 0);  // the same (auditID, stage) again: a redelivery, not a new event
  const Finding& f = agg.Add(MakeObservation("r", "alice", "a2", 200), 0);
  EXPECT_EQ(f.count, 2u);
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[0], EventRefOf(o));
  EXPECT_EQ(f.events[1].time, 200);
  EXPECT_EQ(agg.pending_events(), 2u);
}

TEST(FindingAggregatorTest, ShouldFlushWhenLimitsAreExceeded) {
  FindingAggregator by_findings({.max_findings = 2});
  by_findings.Add(MakeObservation("r", "a", "1", 1), 0);
  by_findings.Add(MakeObservation("r", "b", "2", 1), 0);
  EXPECT_FALSE(by_findings.ShouldFlush());
  by_findings.Add(MakeObservation("r", "c", "3", 1), 0);
  EXPECT_TRUE(by_findings.ShouldFlush());
  by_findings.TakeAll();
  EXPECT_FALSE(by_findings.ShouldFlush());

  FindingAggregator by_events({.track_events = true, .max_pending_events = 3});
  for (int i = 0; i < 3; ++i) by_events.Add(MakeObservation("r", "a", std::to_string(i), i), 0);
  EXPECT_FALSE(by_events.ShouldFlush());
  by_events.Add(MakeObservation("r", "a", "3", 3), 0);
  EXPECT_TRUE(by_events.ShouldFlush());
  std::vector<Finding> out = by_events.TakeAll();
  EXPECT_EQ(out[0].events.size(), 4u);
  EXPECT_EQ(by_events.pending_events(), 0u);
}

TEST(FindingAggregatorTest, TakeAllEmptiesAndARepeatStartsAFreshFinding) {
  FindingAggregator agg({.track_events = true});
  agg.Add(MakeObservation("r", "alice", "a1", 100), 0);
  agg.Add(MakeObservation("r", "alice", "a2", 200), 0);
  std::vector<Finding> first = agg.TakeAll();
  EXPECT_TRUE(agg.empty());
  EXPECT_EQ(agg.Find(first[0].id), nullptr);
  const Finding& again = agg.Add(MakeObservation("r", "alice", "a3", 300), 0);
  EXPECT_EQ(again.id, first[0].id);
  EXPECT_EQ(again.count, 1u);
  EXPECT_EQ(again.events.size(), 1u);
  // An event handed out earlier is not remembered: the store is what dedups across flushes.
  const Finding& old_again = agg.Add(MakeObservation("r", "alice", "a1", 100), 0);
  EXPECT_EQ(old_again.count, 2u);
}

TEST(FindingAggregatorTest, MovingObservationsGivesTheSameFindings) {
  FindingAggregator copied({.track_events = true});
  FindingAggregator moved({.track_events = true});
  for (const Observation& o : SampleObservations()) {
    copied.Add(o, kSampleNow);
    Observation tmp = o;
    moved.Add(std::move(tmp), kSampleNow);
  }
  std::vector<Finding> a = copied.TakeAll();
  std::vector<Finding> b = moved.TakeAll();
  EXPECT_EQ(EncodeAll(a), EncodeAll(b));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].events, b[i].events);
}

TEST(FindingAggregatorTest, FindSeesHeldFindings) {
  FindingAggregator agg;
  const std::string id = agg.Add(MakeObservation("r", "alice", "a1", 100), 0).id;
  ASSERT_NE(agg.Find(id), nullptr);
  EXPECT_EQ(agg.Find(id)->count, 1u);
  EXPECT_EQ(agg.Find("nope"), nullptr);
}

TEST(FindingAggregatorTest, EmptyDedupKeyUsesTheDefault) {
  FindingAggregator agg;
  Observation o = MakeObservation("r", "alice", "a1", 100);
  const Finding& f = agg.Add(o, 0);
  EXPECT_EQ(f.dedup_key, DefaultDedupKey(o));
  EXPECT_EQ(f.id, FindingId("r", DefaultDedupKey(o)));
}

TEST(FindingAggregatorTest, EqualTimesTieBreakOnAuditIdThenStageAsOneString) {
  // The representative is the least (time, auditID + 0x1f + stage): "a\x1e" < "a" < "ab" here,
  // since 0x1e < 0x1f < 'b'. NeedsDetail() must agree with Add().
  FindingAggregator agg;
  Observation ab = MakeObservation("r", "alice", "ab", 100);
  Observation a = MakeObservation("r", "alice", "a", 100);
  Observation a1e = MakeObservation("r", "alice", std::string("a\x1e", 2), 100);
  agg.Add(ab, 0);
  EXPECT_TRUE(agg.NeedsDetail(a));
  agg.Add(a, 0);
  EXPECT_FALSE(agg.NeedsDetail(ab));
  EXPECT_FALSE(agg.NeedsDetail(a));  // equal: not earlier
  EXPECT_TRUE(agg.NeedsDetail(a1e));
  const Finding& f = agg.Add(a1e, 0);
  EXPECT_EQ(f.description, a1e.description);
  EXPECT_EQ(f.user_agent, ab.user_agent);  // the latest: "ab" sorts last
  Observation later_stage = ab;
  later_stage.stage = "ResponseCompleteX";  // same auditID, later stage
  EXPECT_EQ(agg.Add(later_stage, 0).count, 4u);
  Observation earlier_stage = a1e;
  earlier_stage.stage = "Response";  // a prefix of the stage held: earlier
  earlier_stage.description = "earliest";
  EXPECT_TRUE(agg.NeedsDetail(earlier_stage));
  EXPECT_EQ(agg.Add(earlier_stage, 0).description, "earliest");
}

TEST(FindingAggregatorTest, NeedsDetailAfterTakeAllSeesNoHeldFinding) {
  FindingAggregator agg;
  agg.Add(MakeObservation("r", "alice", "a1", 100), 0);
  EXPECT_FALSE(agg.NeedsDetail(MakeObservation("r", "alice", "a2", 200)));
  agg.TakeAll();
  // The id cache still knows the key, but the finding it pointed at was handed out.
  EXPECT_TRUE(agg.NeedsDetail(MakeObservation("r", "alice", "a2", 200)));
  EXPECT_EQ(agg.Add(MakeObservation("r", "alice", "a2", 200), 0).count, 1u);
  EXPECT_FALSE(agg.NeedsDetail(MakeObservation("r", "alice", "a3", 300)));
  EXPECT_EQ(agg.Add(MakeObservation("r", "alice", "a3", 300), 0).count, 2u);
}

TEST(FindingAggregatorTest, ATinyIdCacheGivesTheSameFindings) {
  // Many keys, repeats out of order, NeedsDetail() before each Add() and flushes in between: a
  // cache of 3 ids (dropped over and over) must give exactly what the default one gives.
  std::mt19937 rng(9);
  std::vector<Observation> observations;
  for (int i = 0; i < 3000; ++i) {
    const std::string rule = "r" + std::to_string(rng() % 3);
    const std::string user = "u" + std::to_string(rng() % 40);
    observations.push_back(MakeObservation(rule, user, "a" + std::to_string(rng() % 500),
                                           static_cast<UnixNanos>(rng() % 1000)));
  }
  auto run = [&](size_t cached) {
    FindingAggregator agg({.track_events = true, .max_cached_ids = cached});
    std::string out;
    for (size_t i = 0; i < observations.size(); ++i) {
      agg.NeedsDetail(observations[i]);
      agg.Add(observations[i], static_cast<UnixNanos>(i));
      if (i % 700 == 699) out += EncodeAll(agg.TakeAll());
    }
    return out + EncodeAll(agg.TakeAll());
  };
  const std::string expected = run(FindingIdCache<int>::kDefaultMaxEntries);
  EXPECT_EQ(run(3), expected);
  EXPECT_EQ(run(1), expected);
}

// ---- FindingIdCache ----

std::uint64_t Collide(std::string_view, std::string_view) { return 42; }

TEST(FindingIdCacheTest, CollidingHashesStillGiveEachKeyItsOwnId) {
  FindingIdCache<int> cache(1000, &Collide);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50; ++i) {
      const std::string key = "key" + std::to_string(i);
      EXPECT_EQ(cache.Lookup("rule", key).id, FindingId("rule", key));
    }
  }
  EXPECT_EQ(cache.size(), 50u);
  // Where the rule ends matters: ("ab", "c") and ("a", "bc") are two findings.
  const std::string abc = cache.Lookup("ab", "c").id;
  EXPECT_EQ(abc, FindingId("ab", "c"));
  EXPECT_EQ(cache.Lookup("a", "bc").id, FindingId("a", "bc"));
  EXPECT_NE(abc, FindingId("a", "bc"));
  EXPECT_EQ(cache.size(), 52u);
}

int hash_calls = 0;
std::uint64_t CountingHash(std::string_view rule, std::string_view dedup_key) {
  ++hash_calls;
  return FindingIdCache<int>::DefaultHash(rule, dedup_key);
}

TEST(FindingIdCacheTest, AskingForTheSameKeyAgainSkipsTheHash) {
  FindingIdCache<int> cache(1000, &CountingHash);
  hash_calls = 0;
  const std::string first = cache.Lookup("r", "k").id;
  EXPECT_EQ(cache.Lookup("r", "k").id, first);  // NeedsDetail() then Add()
  EXPECT_EQ(hash_calls, 1);
  // A different key, then the first again: each is hashed and found; the answers stay right.
  EXPECT_EQ(cache.Lookup("r", "k2").id, FindingId("r", "k2"));
  EXPECT_EQ(cache.Lookup("r", "k").id, first);
  EXPECT_EQ(cache.Lookup("rk", "").id, FindingId("rk", ""));  // same bytes, other split
  EXPECT_EQ(cache.Lookup("rk", "").id, FindingId("rk", ""));
  EXPECT_EQ(hash_calls, 4);
  EXPECT_EQ(cache.size(), 3u);
  cache.Clear();
  EXPECT_EQ(cache.Lookup("r", "k").id, first);
  EXPECT_EQ(hash_calls, 5);
}

TEST(FindingIdCacheTest, GrowingKeepsEveryKey) {
  FindingIdCache<int> cache;
  for (int i = 0; i < 5000; ++i) cache.Lookup("r", std::to_string(i));
  EXPECT_EQ(cache.size(), 5000u);
  for (int i = 0; i < 5000; i += 97) {
    EXPECT_EQ(cache.Lookup("r", std::to_string(i)).id, FindingId("r", std::to_string(i)));
  }
  EXPECT_EQ(cache.size(), 5000u);  // found, not added again
}

TEST(FindingIdCacheTest, InvalidateForgetsAttachedValuesButKeepsIds) {
  FindingIdCache<int> cache;
  int held = 7;
  cache.Attach(cache.Lookup("r", "k"), &held);
  EXPECT_EQ(cache.ValueOf(cache.Lookup("r", "k")), &held);
  EXPECT_EQ(cache.ValueOf(cache.Lookup("r", "other")), nullptr);
  cache.Invalidate();
  EXPECT_EQ(cache.ValueOf(cache.Lookup("r", "k")), nullptr);
  EXPECT_EQ(cache.size(), 2u);
  cache.Attach(cache.Lookup("r", "k"), &held);
  EXPECT_EQ(cache.ValueOf(cache.Lookup("r", "k")), &held);
}

TEST(FindingIdCacheTest, ANewKeyBeyondTheBoundDropsEveryKey) {
  FindingIdCache<int> cache(4);
  int held = 1;
  for (int i = 0; i < 4; ++i) cache.Attach(cache.Lookup("r", std::to_string(i)), &held);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.ValueOf(cache.Lookup("r", "3")), &held);  // a hit adds nothing
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.Lookup("r", "4").id, FindingId("r", "4"));
  EXPECT_EQ(cache.size(), 1u);
  // Dropped keys come back with their ids and nothing attached.
  FindingIdCache<int>::Item& again = cache.Lookup("r", "0");
  EXPECT_EQ(again.id, FindingId("r", "0"));
  EXPECT_EQ(cache.ValueOf(again), nullptr);
  EXPECT_EQ(cache.size(), 2u);
  // The default bound is the documented 100,000 keys.
  FindingIdCache<int> big;
  for (int i = 0; i < 100000; ++i) big.Lookup("r", std::to_string(i));
  EXPECT_EQ(big.size(), 100000u);
  big.Lookup("r", "100000");
  EXPECT_EQ(big.size(), 1u);
}

// ---- MergeFinding: the same semantics across batches (what a store applies) ----

Finding Batch(std::initializer_list<Observation> observations) {
  FindingAggregator agg({.track_events = true});
  for (const Observation& o : observations) agg.Add(o, 0);
  std::vector<Finding> out = agg.TakeAll();
  EXPECT_EQ(out.size(), 1u);
  return out.front();
}

TEST(MergeFindingTest, AddsNewEventsAndWidensTheTimeRange) {
  Finding stored = Batch({MakeObservation("r", "alice", "a2", 200)});
  Finding incoming =
      Batch({MakeObservation("r", "alice", "a1", 100), MakeObservation("r", "alice", "a3", 300)});
  MergeOutcome outcome = MergeFinding(stored, incoming, 2);
  EXPECT_TRUE(outcome.changed);
  EXPECT_FALSE(outcome.reopened);
  EXPECT_EQ(stored.count, 3u);
  EXPECT_EQ(stored.first_seen, 100);
  EXPECT_EQ(stored.last_seen, 300);
  EXPECT_EQ(stored.description, "event a1");   // the earliest observation's
  EXPECT_EQ(stored.user_agent, "kubectl/a3");  // the latest observation's
  EXPECT_EQ(stored.audit_ids, (std::vector<std::string>{"a1", "a3", "a2"}));
}

TEST(MergeFindingTest, MergingTheSameBatchAgainChangesNothing) {
  Finding stored = Batch({MakeObservation("r", "alice", "a1", 100)});
  const Finding incoming = stored;
  MergeOutcome outcome = MergeFinding(stored, incoming, 0);
  EXPECT_FALSE(outcome.changed);
  EXPECT_TRUE(SameContent(stored, incoming));
}

TEST(MergeFindingTest, AuditIdsUnionIsCapped) {
  Finding stored;
  Finding incoming;
  for (int i = 0; i < 15; ++i) stored.audit_ids.push_back("s" + std::to_string(i));
  for (int i = 0; i < 15; ++i) incoming.audit_ids.push_back("i" + std::to_string(i));
  incoming.first_seen = 10;
  stored.first_seen = 5;
  MergeFinding(stored, incoming, 15);
  EXPECT_EQ(stored.audit_ids.size(), Finding::kMaxAuditIds);
  EXPECT_TRUE(stored.audit_ids_truncated);
  EXPECT_EQ(stored.audit_ids.front(), "s0");  // the earlier batch's ids come first
}

TEST(MergeFindingTest, ResolvedReopensOnNewEventsOnly) {
  Finding stored = Batch({MakeObservation("r", "alice", "a1", 100)});
  stored.workflow = WorkflowStatus::kResolved;
  Finding replay = stored;
  replay.workflow = WorkflowStatus::kNew;
  EXPECT_FALSE(MergeFinding(stored, replay, 0).reopened);
  EXPECT_EQ(stored.workflow, WorkflowStatus::kResolved);

  Finding recurrence = Batch({MakeObservation("r", "alice", "a9", 900)});
  MergeOutcome outcome = MergeFinding(stored, recurrence, 1);
  EXPECT_TRUE(outcome.reopened);
  EXPECT_EQ(stored.workflow, WorkflowStatus::kNew);
}

TEST(MergeFindingTest, SuppressedAndNotifiedStay) {
  for (WorkflowStatus status : {WorkflowStatus::kSuppressed, WorkflowStatus::kNotified}) {
    Finding stored = Batch({MakeObservation("r", "alice", "a1", 100)});
    stored.workflow = status;
    MergeOutcome outcome =
        MergeFinding(stored, Batch({MakeObservation("r", "alice", "a2", 200)}), 1);
    EXPECT_FALSE(outcome.reopened);
    EXPECT_EQ(stored.workflow, status);
  }
}

TEST(MergeFindingTest, RuleDefinitionFollowsTheLatestContributingBatch) {
  Finding stored = Batch({MakeObservation("r", "alice", "a1", 100)});
  Observation edited = MakeObservation("r", "alice", "a2", 200);
  edited.title = "Edited title";
  edited.remediation = {"new advice", "https://example.com/fix"};
  Finding incoming = Batch({edited});
  Finding replayed = incoming;
  MergeFinding(stored, replayed, 0);
  EXPECT_EQ(stored.title, "Test finding r");  // nothing new: nothing re-labelled
  MergeFinding(stored, incoming, 1);
  EXPECT_EQ(stored.title, "Edited title");
  EXPECT_EQ(stored.remediation.text, "new advice");
}

}  // namespace
}  // namespace vigil::findings
