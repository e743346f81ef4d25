// The FindingStore contract, run against both backends: SQLite (a real file) and PostgreSQL (a
// real server started by tests/pg_server.h). Each test states what must hold and checks it on
// either backend; the differential tests then run the same operations on both and require the
// same answers (ids, counts, first/last seen, workflow, history, List pages in every sort, Stats,
// Timeline) — "same schema, migrations and semantics as SQLite".
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "controls/controls_test_util.h"
#include "controls/evaluate.h"
#include "findings/encode/json.h"
#include "pg_server.h"
#include "store/postgres/detect_stores.h"
#include "remediate/journal.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/remediation_state.h"
#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::Observation;
using findings::WorkflowStatus;
using findings::testing::kSampleNow;
using findings::testing::MakeObservation;
using findings::testing::SampleObservations;
using testing::Scan;
using testing::ScanBatches;
using tests::PgServer;
using tests::TempDir;

constexpr UnixNanos kMinute = 60'000'000'000;

// A unique database name for the running test ("conf_<suite>_<test>_<n>").
std::string DatabaseName() {
  static int n = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("t_") + info->name() + "_" + std::to_string(++n);
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name.substr(0, 60);
}

// Where a test's store lives, and how to open it (again).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<std::unique_ptr<FindingStore>> Open() = 0;
  virtual std::string location() const = 0;
};

class SqliteBackend final : public Backend {
 public:
  Result<std::unique_ptr<FindingStore>> Open() override { return OpenFindingStore(location()); }
  std::string location() const override { return dir_.File("vigil.db"); }

 private:
  TempDir dir_;
};

class PgBackend final : public Backend {
 public:
  explicit PgBackend(std::string url) : url_(std::move(url)) {}
  Result<std::unique_ptr<FindingStore>> Open() override { return OpenFindingStore(url_); }
  std::string location() const override { return url_; }

 private:
  std::string url_;
};

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      backend_ = std::make_unique<SqliteBackend>();
    } else {
      VIGIL_REQUIRE_PG_SERVER(server);
      std::string why;
      const std::string url = server->CreateDatabase(DatabaseName(), &why);
      ASSERT_FALSE(url.empty()) << why;
      backend_ = std::make_unique<PgBackend>(url);
    }
    auto opened = backend_->Open();
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    store_ = std::move(*opened);
  }

  void UpsertAll(const std::vector<std::vector<Finding>>& batches, UnixNanos now) {
    for (const auto& batch : batches) {
      auto r = store_->Upsert(batch, now);
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
    }
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<FindingStore> store_;
};

// id → count|first|last|audit ids|workflow, for comparing store states.
std::map<std::string, std::string> Summary(FindingStore& store) {
  std::map<std::string, std::string> out;
  auto page = store.List({.limit = 0});
  EXPECT_TRUE(page.has_value()) << page.error().ToString();
  if (!page) return out;
  for (const Finding& f : page->findings) {
    std::string ids;
    for (const std::string& a : f.audit_ids) ids += a + ",";
    out[f.id] = fmt::format("{}|{}|{}|{}|{}", f.count, f.first_seen, f.last_seen, ids,
                            findings::WorkflowStatusName(f.workflow));
  }
  return out;
}

TEST_P(StoreConformanceTest, InsertedFindingsComeBackWhole) {
  const std::vector<Finding> findings = Scan(SampleObservations());
  auto r = store_->Upsert(findings, kSampleNow);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->inserted, findings.size());
  for (const Finding& f : findings) {
    auto back = store_->Get(f.id);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_TRUE(SameContent(f, *back)) << findings::EncodeFindingJson(f) << "\n"
                                       << findings::EncodeFindingJson(*back);
    EXPECT_EQ(back->evidence, f.evidence);
    EXPECT_EQ(back->created_at, kSampleNow);
    EXPECT_EQ(back->updated_at, kSampleNow);
  }
  auto missing = store_->Get("00000000-0000-5000-8000-000000000000");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, RescanningTheSameInputChangesNothingEvenAfterReopening) {
  const std::vector<Observation> input = SampleObservations();
  UpsertAll(ScanBatches(input), kSampleNow);
  const auto before = Summary(*store_);
  ASSERT_FALSE(before.empty());
  auto again = store_->Upsert(Scan(input, kSampleNow + kMinute), kSampleNow + kMinute);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->inserted + again->updated, 0u);
  EXPECT_EQ(again->unchanged, before.size());
  EXPECT_EQ(Summary(*store_), before);
  store_.reset();
  auto reopened = backend_->Open();
  ASSERT_TRUE(reopened.has_value()) << reopened.error().ToString();
  store_ = std::move(*reopened);
  UpsertAll(ScanBatches(input, 2), kSampleNow + 2 * kMinute);
  EXPECT_EQ(Summary(*store_), before);
}

TEST_P(StoreConformanceTest, OverlappingInputsCountEachEventOnceAndOutcomesKeepInputOrder) {
  std::vector<Observation> a, b;
  for (int i = 1; i <= 3; ++i) a.push_back(MakeObservation("r", "alice", "e" + std::to_string(i), i));
  for (int i = 2; i <= 5; ++i) b.push_back(MakeObservation("r", "alice", "e" + std::to_string(i), i));
  b.push_back(MakeObservation("r", "bob", "b1", 9));
  UpsertAll(ScanBatches(a), kSampleNow);
  const std::vector<Finding> second = Scan(b);
  auto r = store_->Upsert(second, kSampleNow + kMinute);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->outcomes.size(), second.size());
  for (size_t i = 0; i < second.size(); ++i) EXPECT_EQ(r->outcomes[i].id, second[i].id);
  EXPECT_EQ(r->inserted, 1u);
  EXPECT_EQ(r->updated, 1u);
  auto page = store_->List({.principal = "alice"});
  ASSERT_EQ(page->findings.size(), 1u);
  EXPECT_EQ(page->findings[0].count, 5u);
  EXPECT_EQ(page->findings[0].first_seen, 1);
  EXPECT_EQ(page->findings[0].last_seen, 5);
  // Changed, so updated_at moved to the upsert's time.
  EXPECT_EQ(page->findings[0].updated_at, kSampleNow + kMinute);
}

TEST_P(StoreConformanceTest, ResolvedFindingReopensWhenTheActivityRecursAndHistorySaysSo) {
  UpsertAll({Scan({MakeObservation("r", "alice", "e1", 1)})}, kSampleNow);
  const std::string id = store_->List({})->findings.at(0).id;
  ASSERT_TRUE(store_->SetWorkflowStatus(id, WorkflowStatus::kResolved, "ann", "fixed",
                                        kSampleNow + kMinute).has_value());
  EXPECT_EQ(store_->Get(id)->workflow, WorkflowStatus::kResolved);
  // The same event again: not new, stays resolved.
  UpsertAll({Scan({MakeObservation("r", "alice", "e1", 1)})}, kSampleNow + 2 * kMinute);
  EXPECT_EQ(store_->Get(id)->workflow, WorkflowStatus::kResolved);
  auto r = store_->Upsert(Scan({MakeObservation("r", "alice", "e2", 2)}), kSampleNow + 3 * kMinute);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->outcomes.at(0).reopened);
  const Finding f = *store_->Get(id);
  EXPECT_EQ(f.workflow, WorkflowStatus::kNew);
  EXPECT_EQ(f.count, 2u);
  auto history = store_->History(id);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].actor, "ann");
  EXPECT_EQ((*history)[0].note, "fixed");
  EXPECT_EQ((*history)[1].actor, "vigil");
  EXPECT_EQ((*history)[1].from, WorkflowStatus::kResolved);
  EXPECT_EQ((*history)[1].to, WorkflowStatus::kNew);
  EXPECT_EQ(store_->History("no-such-id")->size(), 0u);
  EXPECT_EQ(store_->SetWorkflowStatus("no-such-id", WorkflowStatus::kResolved, "a", "", 1)
                .error()
                .code,
            ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, UpdatedAtGrowsStrictlyEvenWhenTheClockDoesNot) {
  UpsertAll({Scan({MakeObservation("r", "alice", "e1", 1)})}, kSampleNow);
  const std::string id = store_->List({})->findings.at(0).id;
  UnixNanos last = store_->Get(id)->updated_at;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->SetWorkflowStatus(id, i % 2 ? WorkflowStatus::kNew
                                                    : WorkflowStatus::kNotified,
                                          "x", "", kSampleNow).has_value());
    const UnixNanos now = store_->Get(id)->updated_at;
    EXPECT_GT(now, last);
    last = now;
  }
  UpsertAll({Scan({MakeObservation("r", "alice", "e9", 9)})}, kSampleNow);
  EXPECT_GT(store_->Get(id)->updated_at, last);
}

TEST_P(StoreConformanceTest, SuppressionsArchiveMatchingFindingsNowAndLater) {
  UpsertAll(ScanBatches(SampleObservations()), kSampleNow);
  const auto all = store_->List({.limit = 0})->findings;
  ASSERT_GE(all.size(), 2u);
  const std::string principal = all[0].principal.username;
  std::size_t expected = 0;
  for (const Finding& f : all) expected += f.principal.username == principal;
  auto added = store_->AddSuppression({.principal = principal, .actor = "ann", .note = "noisy"},
                                      kSampleNow + kMinute);
  ASSERT_TRUE(added.has_value()) << added.error().ToString();
  EXPECT_EQ(added->second, expected);
  EXPECT_EQ(store_->List({.principal = principal,
                          .workflow = {WorkflowStatus::kSuppressed}})->total,
            expected);
  // A new finding of that principal is archived when first stored.
  UpsertAll({Scan({MakeObservation("new-rule", principal, "n1", 5)})}, kSampleNow + 2 * kMinute);
  EXPECT_EQ(store_->List({.principal = principal,
                          .workflow = {WorkflowStatus::kSuppressed}})->total,
            expected + 1);
  auto rules = store_->ListSuppressions();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].id, added->first.id);
  EXPECT_EQ((*rules)[0].note, "noisy");
  ASSERT_TRUE(store_->DeleteSuppression(added->first.id).has_value());
  EXPECT_EQ(store_->DeleteSuppression(added->first.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->AddSuppression({}, kSampleNow).error().code, ErrorCode::kInvalidArgument);

  // SuppressedAmong (asked on every commit for the attack-sequence signals) agrees with List,
  // and ids the store does not know are simply not suppressed.
  std::vector<std::string> ids = {"no-such-id"};
  std::vector<std::string> want;
  const std::vector<Finding> now_stored = store_->List({.limit = 0})->findings;
  for (const Finding& f : now_stored) {
    ids.push_back(f.id);
    if (f.workflow == WorkflowStatus::kSuppressed) want.push_back(f.id);
  }
  auto among = store_->SuppressedAmong(ids);
  ASSERT_TRUE(among.has_value()) << among.error().ToString();
  std::sort(among->begin(), among->end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*among, want);
  EXPECT_EQ(want.size(), expected + 1);
  EXPECT_TRUE(store_->SuppressedAmong({})->empty());
}

TEST_P(StoreConformanceTest, ControlFindingsResolveReopenAndKeepTheirComplianceHistory) {
  auto evaluate = [](std::string_view fixture, UnixNanos now) {
    auto r = controls::EvaluateSnapshot(controls::testing::FixtureSnapshot(fixture), {}, now);
    EXPECT_TRUE(r.has_value());
    return r ? std::move(*r) : std::vector<Finding>{};
  };
  const UnixNanos t0 = kSampleNow;
  const UnixNanos hour = 60 * kMinute;
  const auto failed = evaluate("standalone_disabled", t0);
  const Finding gd5 = controls::testing::OneResult(failed, "GuardDuty.5");
  UpsertAll({failed}, t0);
  EXPECT_EQ(store_->Get(gd5.id)->workflow, WorkflowStatus::kNew);
  UpsertAll({evaluate("standalone_enabled", t0 + hour)}, t0 + hour);
  EXPECT_EQ(store_->Get(gd5.id)->workflow, WorkflowStatus::kResolved);
  auto r = store_->Upsert(evaluate("standalone_disabled", t0 + 2 * hour), t0 + 2 * hour);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const Finding back = *store_->Get(gd5.id);
  EXPECT_EQ(back.workflow, WorkflowStatus::kNew);
  EXPECT_EQ(back.count, 3u);
  auto history = store_->ComplianceHistory(gd5.id);
  ASSERT_TRUE(history.has_value()) << history.error().ToString();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].status, findings::ComplianceStatus::kFailed);
  EXPECT_EQ((*history)[1].status, findings::ComplianceStatus::kPassed);
  EXPECT_EQ((*history)[2].status, findings::ComplianceStatus::kFailed);
  EXPECT_FALSE((*history)[0].reasons.empty());
  EXPECT_EQ(store_->History(gd5.id)->size(), 2u);  // resolved by vigil, reopened by vigil
}

TEST_P(StoreConformanceTest, ListFiltersPagesAndSearchesText) {
  std::vector<Observation> obs = SampleObservations();
  for (int i = 0; i < 12; ++i) {
    obs.push_back(MakeObservation(i % 2 ? "r-odd" : "r-even", "user" + std::to_string(i),
                                  "x" + std::to_string(i), kSampleNow - i * kMinute,
                                  i % 3 ? "prod-eks" : "kind"));
  }
  UpsertAll(ScanBatches(obs), kSampleNow);
  auto all = store_->List({.limit = 0});
  ASSERT_TRUE(all.has_value());
  const size_t n = all->total;
  ASSERT_EQ(all->findings.size(), n);
  // Newest activity first.
  for (size_t i = 1; i < n; ++i) EXPECT_GE(all->findings[i - 1].last_seen, all->findings[i].last_seen);
  // Pages partition the list.
  std::vector<std::string> paged;
  for (size_t off = 0; off < n; off += 4) {
    auto page = store_->List({.limit = 4, .offset = off});
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->total, n);
    for (const Finding& f : page->findings) paged.push_back(f.id);
  }
  ASSERT_EQ(paged.size(), n);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(paged[i], all->findings[i].id);
  // Filters.
  EXPECT_EQ(store_->List({.cluster = "kind", .limit = 0})->total,
            static_cast<size_t>(std::count_if(all->findings.begin(), all->findings.end(),
                                              [](const Finding& f) { return f.cluster == "kind"; })));
  EXPECT_EQ(store_->List({.principal = "user3"})->total, 1u);
  // Free text, case-insensitive, over the document.
  auto text = store_->List({.text = "USER11"});
  ASSERT_EQ(text->total, 1u);
  EXPECT_EQ(text->findings[0].principal.username, "user11");
  EXPECT_EQ(store_->List({.text = "no such text anywhere"})->total, 0u);
}

// --- baselines and attack-sequence windows, through the factories, on both backends ----------

findings::EventRef Ref(std::uint8_t b, UnixNanos time) {
  findings::EventRef r;
  r.digest.fill(b);
  r.time = time;
  return r;
}

TEST_P(StoreConformanceTest, SequenceWindowChangesApplyInOrderAndSurviveReopening) {
  {
    auto opened = OpenSequenceWindowStore(backend_->location());
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    auto& store = *opened;
    EXPECT_FALSE(store->LoadSequenceWindow("prod")->has_value());
    detect::SequenceWindowChanges c{.cluster = "prod", .latest = 100};
    c.signals = {{"a", R"({"n":1})"}, {"b", R"({"n":2})"}};
    c.refs = {{"a", Ref(1, 10)}, {"a", Ref(2, 11)}, {"b", Ref(3, 12)}};
    c.readers = {"alice", "bob"};
    ASSERT_TRUE(store->SaveSequenceChanges(c).has_value());
    ASSERT_TRUE(store->SaveSequenceChanges({.cluster = "dev", .latest = 5, .readers = {"eve"}})
                    .has_value());
    detect::SequenceWindowChanges later{.cluster = "prod", .latest = 200};
    later.readers_reset = true;
    later.removed = {"b"};
    later.refs_cleared = {"a"};
    later.signals = {{"a", R"({"n":3})"}};
    later.refs = {{"a", Ref(4, 20)}, {"a", Ref(4, 20)}};
    later.readers = {"carol"};
    auto saved = store->SaveSequenceChanges(later);
    ASSERT_TRUE(saved.has_value()) << saved.error().ToString();
  }
  auto store = OpenSequenceWindowStore(backend_->location());
  ASSERT_TRUE(store.has_value());
  auto loaded = (*store)->LoadSequenceWindow("prod");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  const detect::SequenceWindowState& w = **loaded;
  EXPECT_EQ(w.latest, 200);
  ASSERT_EQ(w.signals.size(), 1u);
  EXPECT_EQ(w.signals[0].second, R"({"n":3})");
  ASSERT_EQ(w.refs.size(), 1u);
  EXPECT_EQ(w.refs[0].second, Ref(4, 20));
  EXPECT_EQ(w.secret_readers, std::vector<std::string>{"carol"});
  auto dev = (*store)->LoadSequenceWindow("dev");
  ASSERT_TRUE(dev.has_value() && dev->has_value());
  EXPECT_EQ((*dev)->secret_readers, std::vector<std::string>{"eve"});
}

TEST_P(StoreConformanceTest, BaselinesAreSavedListedReplacedAndReset) {
  auto opened = OpenBaselineStore(backend_->location());
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto& store = *opened;
  EXPECT_FALSE(store->LoadBaseline("prod")->has_value());
  detect::BaselineState prod;
  prod.cluster = "prod";
  prod.started = 42;
  ASSERT_TRUE(store->SaveBaseline(prod, 3600).has_value());
  prod.started = 43;
  ASSERT_TRUE(store->SaveBaseline(prod, 3600).has_value());  // replaces
  detect::BaselineState dev;
  dev.cluster = "dev";
  ASSERT_TRUE(store->SaveBaseline(dev, 60).has_value());
  auto loaded = store->LoadBaseline("prod");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value()) << (loaded ? "" : loaded.error().ToString());
  EXPECT_EQ(**loaded, prod);
  EXPECT_EQ(*store->ListBaselines(), (std::vector<std::string>{"dev", "prod"}));
  EXPECT_TRUE(*store->ResetBaseline("prod"));
  EXPECT_FALSE(*store->ResetBaseline("prod"));
  EXPECT_EQ(*store->ListBaselines(), std::vector<std::string>{"dev"});
}

TEST_P(StoreConformanceTest, RemediationStateRoundTripsAndTheJournalChains) {
  auto opened = OpenRemediationState(backend_->location());
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto& st = *opened;
  EXPECT_FALSE(st->GetTicket("f1", "github")->has_value());
  remediate::TicketLink t;
  t.finding_id = "f1";
  t.tracker = "github";
  t.key = "7";
  t.last_status = "NEW";
  ASSERT_TRUE(st->PutTicket(t).has_value());
  t.open = false;
  t.last_status = "RESOLVED";
  ASSERT_TRUE(st->PutTicket(t).has_value());  // one row per (finding, tracker): replaced
  auto ticket = st->GetTicket("f1", "github");
  ASSERT_TRUE(ticket.has_value() && ticket->has_value());
  EXPECT_FALSE((*ticket)->open);
  EXPECT_EQ((*ticket)->last_status, "RESOLVED");

  remediate::FindingState fs;
  fs.finding_id = "f1";
  fs.attempts = 2;
  fs.escalated = true;
  ASSERT_TRUE(st->PutState(fs).has_value());
  EXPECT_EQ(st->GetState("f1")->attempts, 2u);
  EXPECT_EQ(st->GetState("nope")->attempts, 0u);
  EXPECT_EQ(*st->CountEscalated(), 1u);

  for (int i = 0; i < 5; ++i) {
    remediate::PlanRecord p;
    p.id = "p" + std::to_string(i);
    p.finding_id = i % 2 ? "f1" : "f2";
    p.playbook = "pb";
    p.created_at = i;
    ASSERT_TRUE(st->PutPlan(p).has_value());
  }
  remediate::PlanRecord p0 = *st->GetPlan("p0");
  p0.state = remediate::PlanState::kApproved;
  ASSERT_TRUE(st->PutPlan(p0).has_value());  // one row per plan id: updated
  EXPECT_EQ(st->GetPlan("p0")->state, remediate::PlanState::kApproved);
  EXPECT_EQ(st->GetPlan("zz").error().code, ErrorCode::kNotFound);
  remediate::PlanQuery first;
  first.limit = 2;
  auto page = st->ListPlans(first);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->plans.size(), 2u);
  EXPECT_EQ(page->plans[0].id, "p4");
  remediate::PlanQuery rest;
  rest.limit = 10;
  rest.cursor = page->next_cursor;
  auto next = st->ListPlans(rest);
  ASSERT_EQ(next->plans.size(), 3u);
  remediate::PlanQuery of_f1;
  of_f1.finding_id = "f1";
  EXPECT_EQ(st->ListPlans(of_f1)->plans.size(), 2u);

  remediate::ActionRecord a;
  a.id = "a1";
  a.plan_id = "p0";
  a.playbook = "pb";
  a.change = {{"x", 1}};
  a.outcome = {{"ok", true}};
  a.applied = true;
  a.at = 100;
  ASSERT_TRUE(st->PutAction(a).has_value());
  EXPECT_EQ(st->GetAction("a1")->change, a.change);
  EXPECT_EQ(*st->CountAppliedSince("pb", 50), 1u);
  EXPECT_EQ(*st->CountAppliedSince("other", 50), 0u);

  for (int i = 0; i < 4; ++i) {
    remediate::JournalEntry entry;
    entry.time = i;
    entry.kind = "plan";
    entry.finding_id = i % 2 ? "f1" : "f2";
    auto e = st->AppendJournal(entry);
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    EXPECT_EQ(e->seq, i + 1);
  }
  auto journal = st->ListJournal(0, 0, "");
  ASSERT_EQ(journal->size(), 4u);
  EXPECT_TRUE(remediate::VerifyJournal(*journal).ok);
  EXPECT_EQ(st->ListJournal(1, 2, "")->size(), 2u);
  EXPECT_EQ(st->ListJournal(0, 0, "f1")->size(), 2u);
}

// Claims (issue 8): one holder at a time, renewable by its holder, taken over only once it ran
// out, released only by its holder; two stores (two connections) see the same claims.
TEST_P(StoreConformanceTest, AFindingsClaimHasOneHolderUntilReleasedOrRunOut) {
  auto a = OpenRemediationState(backend_->location());
  auto b = OpenRemediationState(backend_->location());
  ASSERT_TRUE(a.has_value() && b.has_value());
  constexpr UnixNanos kTtl = 100;
  EXPECT_TRUE(*(*a)->TryClaim("f1", "engine-a", 1000, kTtl));
  EXPECT_FALSE(*(*b)->TryClaim("f1", "engine-b", 1050, kTtl)) << "held by engine-a";
  EXPECT_TRUE(*(*b)->TryClaim("f2", "engine-b", 1050, kTtl)) << "another finding is free";
  EXPECT_TRUE(*(*a)->TryClaim("f1", "engine-a", 1090, kTtl)) << "renewed until 1190";
  EXPECT_FALSE(*(*b)->TryClaim("f1", "engine-b", 1150, kTtl)) << "the renewal counts";
  ASSERT_TRUE((*b)->ReleaseClaim("f1", "engine-b").has_value());
  EXPECT_FALSE(*(*b)->TryClaim("f1", "engine-b", 1160, kTtl)) << "b cannot release a's claim";
  EXPECT_TRUE(*(*b)->TryClaim("f1", "engine-b", 1190, kTtl)) << "a's claim ran out at 1190";
  EXPECT_FALSE(*(*a)->TryClaim("f1", "engine-a", 1200, kTtl)) << "taken over by b";
  ASSERT_TRUE((*b)->ReleaseClaim("f1", "engine-b").has_value());
  EXPECT_TRUE(*(*a)->TryClaim("f1", "engine-a", 1201, kTtl)) << "released";
  ASSERT_TRUE((*a)->ReleaseClaim("f9", "engine-a").has_value()) << "releasing nothing is fine";
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

// --- differential: the same operations on both backends give the same answers ---------------

class DifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_PG_SERVER(server);
    std::string why;
    const std::string url = server->CreateDatabase(DatabaseName(), &why);
    ASSERT_FALSE(url.empty()) << why;
    auto pg = OpenFindingStore(url);
    ASSERT_TRUE(pg.has_value()) << pg.error().ToString();
    auto lite = OpenFindingStore(dir_.File("vigil.db"));
    ASSERT_TRUE(lite.has_value()) << lite.error().ToString();
    stores_[0] = std::move(*lite);
    stores_[1] = std::move(*pg);
  }
  // Runs `op` on both stores and requires the same text back.
  void Same(const std::string& what, const std::function<std::string(FindingStore&)>& op) {
    EXPECT_EQ(op(*stores_[0]), op(*stores_[1])) << what;
  }
  TempDir dir_;
  std::unique_ptr<FindingStore> stores_[2];
};

std::string PageText(const Result<FindingPage>& page) {
  if (!page) return "error: " + page.error().ToString();
  std::string out = fmt::format("total={}\n", page->total);
  for (const Finding& f : page->findings) {
    out += findings::EncodeFindingJson(f) + "|" + std::to_string(f.created_at) + "|" +
           std::to_string(f.updated_at) + "|" + f.evidence + "\n";
  }
  return out;
}

TEST_F(DifferentialTest, SameFindingsListsStatsAndTimelines) {
  std::vector<Observation> obs = SampleObservations();
  for (int i = 0; i < 30; ++i) {
    obs.push_back(MakeObservation(i % 3 ? "r-a" : "r-b", "user" + std::to_string(i % 7),
                                  "x" + std::to_string(i), kSampleNow - (i % 11) * kMinute,
                                  i % 4 ? "prod-eks" : "kind"));
  }
  for (int s = 0; s < 2; ++s) {
    for (const auto& batch : ScanBatches(obs, 3)) {
      ASSERT_TRUE(stores_[s]->Upsert(batch, kSampleNow).has_value());
    }
    const std::string id = stores_[s]->List({})->findings.at(2).id;
    ASSERT_TRUE(stores_[s]->SetWorkflowStatus(id, WorkflowStatus::kResolved, "ann", "ok",
                                              kSampleNow + kMinute).has_value());
    ASSERT_TRUE(stores_[s]->AddSuppression({.type = "Custom:*", .actor = "bob"},
                                           kSampleNow + 2 * kMinute).has_value());
    for (const auto& batch : ScanBatches(obs, 5)) {  // a re-scan: nothing may change
      ASSERT_TRUE(stores_[s]->Upsert(batch, kSampleNow + 3 * kMinute).has_value());
    }
  }
  for (const char* sort : {"last_seen", "first_seen", "updated_at", "severity", "count", "type",
                           "title", "cluster", "principal", "namespace", "status"}) {
    for (bool asc : {false, true}) {
      for (size_t offset : {0u, 5u}) {
        FindingQuery q{.limit = 7, .offset = offset, .with_evidence = offset == 0,
                       .sort = *ParseFindingSort(sort), .ascending = asc};
        Same(fmt::format("sort {} asc {} offset {}", sort, asc, offset),
             [&](FindingStore& s) { return PageText(s.List(q)); });
      }
    }
  }
  const std::vector<FindingQuery> filters = {
      {.min_severity = findings::Severity::kMedium, .limit = 0},
      {.type_prefix = "Custom:", .limit = 0},
      {.cluster = "kind", .limit = 0},
      {.since = kSampleNow - 5 * kMinute, .until = kSampleNow - kMinute, .limit = 0},
      {.workflow = {WorkflowStatus::kSuppressed, WorkflowStatus::kResolved}, .limit = 0},
      {.limit = 0, .text = "Prod-EKS"},
      {.limit = 0, .updated_after = kSampleNow},
      {.limit = 0, .severities = {findings::Severity::kHigh, findings::Severity::kLow}},
  };
  for (size_t i = 0; i < filters.size(); ++i) {
    Same(fmt::format("filter {}", i), [&](FindingStore& s) { return PageText(s.List(filters[i])); });
    Same(fmt::format("stats {}", i), [&](FindingStore& s) {
      auto st = s.Stats(filters[i], 3);
      if (!st) return "error: " + st.error().ToString();
      std::string out = fmt::format("total={}\n", st->total);
      for (const auto* list : {&st->by_severity, &st->by_type, &st->by_status, &st->top_principals,
                               &st->top_source_ips, &st->by_cluster}) {
        for (const auto& [k, v] : *list) out += fmt::format("{}={} ", k, v);
        out += "\n";
      }
      return out;
    });
    Same(fmt::format("timeline {}", i), [&](FindingStore& s) {
      auto tl = s.Timeline(filters[i], kSampleNow - 20 * kMinute, kSampleNow + kMinute, 3 * kMinute);
      if (!tl) return "error: " + tl.error().ToString();
      std::string out;
      for (const auto& b : *tl) {
        out += fmt::format("{}:{},{},{},{},{}\n", b.start, b.by_severity[0], b.by_severity[1],
                           b.by_severity[2], b.by_severity[3], b.by_severity[4]);
      }
      return out;
    });
  }
  Same("counts", [](FindingStore& s) {
    std::string out;
    auto counts = s.CountByTypeAndSeverity();
    if (!counts) return "error: " + counts.error().ToString();
    for (const auto& [k, v] : *counts) {
      out += fmt::format("{}/{}={}\n", k.first, k.second, v);
    }
    return out;
  });
  Same("histories", [](FindingStore& s) {
    std::string out;
    auto page = s.List({.limit = 0});
    if (!page) return "error: " + page.error().ToString();
    for (const Finding& f : page->findings) {
      auto history = s.History(f.id);
      if (!history) return "error: " + history.error().ToString();
      for (const WorkflowChange& c : *history) {
        out += fmt::format("{} {} {} {}>{} {}\n", c.finding_id, c.at, c.actor,
                           findings::WorkflowStatusName(c.from), findings::WorkflowStatusName(c.to),
                           c.note);
      }
    }
    return out;
  });
  // And the timeline is not trivially empty.
  EXPECT_FALSE(stores_[1]->Timeline({}, kSampleNow - 20 * kMinute, kSampleNow + kMinute,
                                    3 * kMinute)->empty());
}

}  // namespace
}  // namespace vigil::store
