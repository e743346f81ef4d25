#include "server/ingest_service.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <unordered_set>
#include <vector>

#include "base/time.h"
#include "detect/engine.h"
#include "detect/baseline.h"
#include "detect/pipeline.h"
#include "detect/sequence.h"
#include "findings/aggregator.h"
#include "store/postgres/detect_stores.h"
#include "ingest/reader.h"

namespace vigil::server {
namespace {

// Identifies a once-per-request rule's match by its auditID alone. The engine fires such a rule
// once per request (ResponseStarted or ResponseComplete, whichever it sees first), but only within
// one process: after a restart, the other stage of a request whose first stage was already
// committed would fire again and, identified by (auditID, stage), count twice. With the stage
// left out of its identity, the store's event ledger recognises the request instead.
class RequestIdentity final : public detect::ObservationSink {
 public:
  RequestIdentity(detect::ScanPipeline& pipeline, const std::unordered_set<std::string>& once)
      : pipeline_(pipeline), once_(once) {}

  bool WantsDetail(const findings::Observation& brief) override {
    return pipeline_.WantsDetail(brief);
  }
  void OnObservation(const findings::Observation& obs) override {
    if (obs.audit_id.empty() || once_.count(obs.rule) == 0) {
      pipeline_.OnObservation(obs);
      return;
    }
    copy_ = obs;
    copy_.stage.clear();
    pipeline_.OnObservation(copy_);
  }

 private:
  detect::ScanPipeline& pipeline_;
  const std::unordered_set<std::string>& once_;
  findings::Observation copy_;
};

// Counts what a batch holds and stops evaluating once it holds more events than allowed (the
// batch is then refused whole, so what was evaluated is thrown away).
class BatchSink final : public ingest::EventSink {
 public:
  BatchSink(detect::ScanPipeline& pipeline,
            detect::ObservationSink& observations,
            std::size_t max_events)
      : pipeline_(pipeline),
        observations_(observations),
        max_events_(max_events) {}

  void OnEvent(const event::AuditEvent& event, const ingest::Origin& /*origin*/) override {
    if (++events_ > max_events_) {
      over_ = true;
      return;
    }
    pipeline_.ProcessEvent(event, observations_);
  }
  void OnRejected(const ingest::Rejection& rejection) override {
    ++rejected_;
    pipeline_.OnRejected(rejection);
  }

  std::uint64_t events() const { return events_; }
  std::uint64_t rejected() const { return rejected_; }
  bool over() const { return over_; }

 private:
  detect::ScanPipeline& pipeline_;
  detect::ObservationSink& observations_;
  std::size_t max_events_;
  std::uint64_t events_ = 0;
  std::uint64_t rejected_ = 0;
  bool over_ = false;
};

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Status CommitLines(IngestService& service,
                   std::string lines,
                   std::string cluster,
                   std::string source) {
  IngestOutcome outcome =
      service.Submit(IngestBatch{std::move(lines), std::move(cluster), std::move(source)});
  if (outcome.code == IngestCode::kCommitted || outcome.code == IngestCode::kNoEvents) return Ok();
  return MakeError(ErrorCode::kIo, outcome.message.empty()
                                       ? std::string(IngestCodeName(outcome.code))
                                       : outcome.message);
}

std::string_view IngestCodeName(IngestCode code) {
  switch (code) {
    case IngestCode::kCommitted:
      return "committed";
    case IngestCode::kNoEvents:
      return "no_events";
    case IngestCode::kTooManyEvents:
      return "too_many_events";
    case IngestCode::kOverloaded:
      return "overloaded";
    case IngestCode::kShuttingDown:
      return "shutting_down";
    case IngestCode::kStoreFailed:
      return "store_failed";
  }
  return "unknown";
}

void DeclareIngestMetrics(Metrics& m) {
  m.Declare("vigil_events_received_total", MetricType::kCounter,
            "Audit events decoded from accepted input, by cluster and source.",
            {"cluster", "source"});
  m.Declare("vigil_events_evaluated_total", MetricType::kCounter,
            "Audit events the rules ran on (duplicates of (auditID, stage) are skipped).",
            {"cluster", "source"});
  m.Declare("vigil_events_malformed_total", MetricType::kCounter,
            "Records rejected as malformed (kept in the dead-letter file when one is set).",
            {"cluster", "source"});
  m.Declare("vigil_events_dropped_total", MetricType::kCounter,
            "Decoded events whose batch was refused and not stored, by reason.",
            {"cluster", "source", "reason"});
  m.Declare("vigil_batches_total", MetricType::kCounter,
            "Batches handed to the pipeline, by outcome.", {"source", "outcome"});
  m.Declare("vigil_findings_upserted_total", MetricType::kCounter,
            "Findings inserted or updated by committed batches.", {"action"});
  m.Declare("vigil_attack_sequences_upserted_total", MetricType::kCounter,
            "AttackSequence:EKS/CompromisedCluster findings inserted or updated.", {});
  m.Declare("vigil_threat_list_reloads_total", MetricType::kCounter,
            "Threat-list reloads after a list file changed, by result.", {"result"});
  m.Declare("vigil_attack_sequence_errors_total", MetricType::kCounter,
            "Failures to load or save an attack-sequence window.", {});
  m.Declare("vigil_baseline_errors_total", MetricType::kCounter,
            "Failures to load or save a learned baseline.", {});
  m.Declare("vigil_store_commit_seconds", MetricType::kHistogram,
            "Time to commit one group of batches to the store (fsync included).", {},
            {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  m.Declare("vigil_rule_eval_seconds_total", MetricType::kCounter,
            "Time spent decoding and evaluating rules on batches.", {});
  m.Declare("vigil_rule_evaluations_total", MetricType::kCounter,
            "Rule conditions evaluated (after the rule index).", {});
  m.Declare("vigil_queue_batches", MetricType::kGauge,
            "Batches waiting for the pipeline (the bounded queue; nothing is acknowledged "
            "before it is committed, so this is also everything not yet durable).",
            {});
  m.Declare("vigil_queue_bytes", MetricType::kGauge, "Bytes of the batches waiting.", {});
}

class IngestService::Worker {
 public:
  std::unique_ptr<store::FindingStore> store;
  std::ofstream dead_letter;
  ingest::Reader reader;
  std::shared_ptr<const rules::RuleSet> rules;  // the rules the engines were built with
  std::map<std::string, std::unique_ptr<detect::Engine>> engines;
  // Attack-sequence windows per cluster, and where they are saved. Kept across rule reloads;
  // dropped with the engines when a commit fails (they saw events that were not stored) and then
  // loaded again from the last save, which is what was committed.
  std::map<std::string, std::unique_ptr<detect::SequenceCorrelator>> sequences;
  std::unique_ptr<detect::SequenceWindowStore> sequence_store;
  // Baselines per cluster, and where they are saved. Dropped (reloaded from the last save) when a
  // commit fails, so a retried batch is checked against the baseline it was checked against.
  std::unique_ptr<detect::BaselineStore> baseline_store;
  std::shared_ptr<const detect::ThreatIntel> intel;  // what new engines get
  std::unique_ptr<detect::ThreatIntelWatcher> intel_watcher;
  UnixNanos intel_polled = 0;
  std::shared_ptr<const detect::GeoIp> geoip;
  std::map<std::string, std::unique_ptr<detect::BaselineDetector>> baselines;
  UnixNanos baselines_saved = 0;
  Status baseline_status = Ok();
  std::unordered_set<std::string> once_per_request;  // names of such rules in `rules`
};

IngestService::IngestService(IngestOptions options, Metrics& metrics)
    : options_(std::move(options)), metrics_(metrics), worker_(std::make_unique<Worker>()) {}

Result<std::unique_ptr<IngestService>> IngestService::Start(
    const std::string& db,
    std::shared_ptr<const rules::RuleSet> rules,
    IngestOptions options,
    Metrics& metrics) {
  std::unique_ptr<IngestService> s(new IngestService(std::move(options), metrics));
  VIGIL_TRY(s->worker_->store, store::OpenFindingStore(db));
  s->worker_->intel = s->options_.intel;
  if (!s->options_.threat_lists.empty() || !s->options_.trusted_proxies.empty()) {
    s->worker_->intel_watcher = std::make_unique<detect::ThreatIntelWatcher>(
        s->options_.threat_lists, s->options_.trusted_proxies);
    VIGIL_TRY(s->worker_->intel, s->worker_->intel_watcher->Load());
  }
  if (s->options_.attack_sequences) {
    VIGIL_TRY(s->worker_->sequence_store, store::OpenSequenceWindowStore(db));
  }
  if (!s->options_.geoip_databases.empty()) {
    VIGIL_TRY(s->worker_->geoip, detect::GeoIp::Open(s->options_.geoip_databases));
  }
  if (s->options_.baselines) {
    VIGIL_TRY(s->worker_->baseline_store, store::OpenBaselineStore(db));
  }
  if (!s->options_.dead_letter.empty()) {
    s->worker_->dead_letter.open(s->options_.dead_letter, std::ios::out | std::ios::app);
    if (!s->worker_->dead_letter) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("cannot write dead-letter file '{}'", s->options_.dead_letter));
    }
  }
  s->rules_ = std::move(rules);
  s->thread_ = std::thread([raw = s.get()] { raw->Run(); });
  return s;
}

IngestService::~IngestService() { Stop(std::chrono::milliseconds(30000)); }

std::optional<std::future<IngestOutcome>> IngestService::TrySubmit(IngestBatch batch,
                                                                   IngestCode* refused) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    if (refused != nullptr) *refused = IngestCode::kShuttingDown;
    return std::nullopt;
  }
  const std::size_t size = batch.body.size();
  // One batch larger than the byte budget is still taken when the queue is empty: the body limit,
  // not the queue, bounds a single batch.
  if (queue_.size() >= options_.queue_batches ||
      (!queue_.empty() && queue_bytes_ + size > options_.queue_bytes)) {
    if (refused != nullptr) *refused = IngestCode::kOverloaded;
    return std::nullopt;
  }
  queue_.push_back(Pending{std::move(batch), {}});
  queue_bytes_ += size;
  auto future = queue_.back().done.get_future();
  metrics_.Set("vigil_queue_batches", {}, static_cast<double>(queue_.size()));
  metrics_.Set("vigil_queue_bytes", {}, static_cast<double>(queue_bytes_));
  lock.unlock();
  has_work_.notify_one();
  return future;
}

IngestOutcome IngestService::Submit(IngestBatch batch) {
  return SubmitAsync(std::move(batch)).get();
}

std::future<IngestOutcome> IngestService::SubmitAsync(IngestBatch batch) {
  std::unique_lock lock(mu_);
  const std::size_t size = batch.body.size();
  has_room_.wait(lock, [&] {
    return stopping_ || queue_.empty() ||
           (queue_.size() < options_.queue_batches && queue_bytes_ + size <= options_.queue_bytes);
  });
  if (stopping_) {
    std::promise<IngestOutcome> refused;
    refused.set_value(IngestOutcome{IngestCode::kShuttingDown, 0, 0, 0, "vigil is shutting down"});
    return refused.get_future();
  }
  queue_.push_back(Pending{std::move(batch), {}});
  queue_bytes_ += size;
  auto future = queue_.back().done.get_future();
  lock.unlock();
  has_work_.notify_one();
  return future;
}

void IngestService::ForgetCluster(const std::string& cluster) {
  std::future<void> done;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    forgets_.emplace_back(cluster, std::promise<void>());
    done = forgets_.back().second.get_future();
  }
  has_work_.notify_all();
  done.wait();
}

void IngestService::SwapRules(std::shared_ptr<const rules::RuleSet> rules) {
  std::lock_guard lock(mu_);
  rules_ = std::move(rules);
}

std::shared_ptr<const rules::RuleSet> IngestService::rules() const {
  std::lock_guard lock(mu_);
  return rules_;
}

std::size_t IngestService::queued_batches() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t IngestService::queued_bytes() const {
  std::lock_guard lock(mu_);
  return queue_bytes_;
}

bool IngestService::Stop(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return true;
    stopping_ = true;
  }
  has_work_.notify_all();
  has_room_.notify_all();
  bool in_time = true;
  {
    std::unique_lock lock(mu_);
    if (!has_work_.wait_for(lock, timeout, [&] { return queue_.empty(); })) {
      in_time = false;
      abandon_ = true;
    }
  }
  has_work_.notify_all();
  if (thread_.joinable()) thread_.join();
  return in_time;
}

void IngestService::SaveBaselines(bool force) {
  Worker& w = *worker_;
  if (!w.baseline_store) return;
  const UnixNanos now = NowNanos();
  if (!force && now - w.baselines_saved < options_.baseline_save_seconds * 1'000'000'000LL) return;
  w.baselines_saved = now;
  for (auto& [cluster, detector] : w.baselines) {
    if (!detector->dirty()) continue;
    Status saved = w.baseline_store->SaveBaseline(detector->state(), options_.learning_seconds);
    if (!saved) {
      w.baseline_status = std::move(saved);
      continue;
    }
    detector->clear_dirty();
  }
  if (!w.baseline_status) {
    metrics_.Add("vigil_baseline_errors_total", {});
    w.baseline_status = Ok();
  }
}

void IngestService::Run() {
  Worker& w = *worker_;
  for (;;) {
    std::vector<Pending> group;
    std::vector<std::pair<std::string, std::promise<void>>> forgets;
    std::shared_ptr<const rules::RuleSet> rules;
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [&] { return !queue_.empty() || !forgets_.empty() || stopping_; });
      if (queue_.empty() && forgets_.empty()) break;  // stopping, and everything is done
      if (abandon_) {
        for (auto& p : queue_) {
          p.done.set_value(IngestOutcome{IngestCode::kShuttingDown, 0, 0, 0,
                                         "vigil stopped before this batch was processed"});
        }
        queue_.clear();
        queue_bytes_ = 0;
        break;
      }
      forgets.swap(forgets_);
      while (!queue_.empty() && group.size() < options_.max_group_batches) {
        queue_bytes_ -= queue_.front().batch.body.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      rules = rules_;
      metrics_.Set("vigil_queue_batches", {}, static_cast<double>(queue_.size()));
      metrics_.Set("vigil_queue_bytes", {}, static_cast<double>(queue_bytes_));
    }
    has_room_.notify_all();
    for (auto& [cluster, done] : forgets) {
      auto b = w.baselines.find(cluster);
      if (b != w.baselines.end() && b->second->dirty() && w.baseline_store) {
        Status saved = w.baseline_store->SaveBaseline(b->second->state(), options_.learning_seconds);
        if (!saved) metrics_.Add("vigil_baseline_errors_total", {});
      }
      w.engines.erase(cluster);
      w.sequences.erase(cluster);
      w.baselines.erase(cluster);
      done.set_value();
    }
    if (group.empty()) continue;
    if (w.intel_watcher &&
        NowNanos() - w.intel_polled >= options_.intel_poll_seconds * 1'000'000'000LL) {
      w.intel_polled = NowNanos();
      if (auto reloaded = w.intel_watcher->Poll()) {
        if (*reloaded) {
          w.intel = std::move(**reloaded);
          w.engines.clear();  // new engines see the new lists (their dedup windows start empty)
          metrics_.Add("vigil_threat_list_reloads_total", {"ok"});
          std::cerr << "vigil serve: threat lists reloaded (" << w.intel->entry_count()
                    << " entries)\n";
        } else {
          metrics_.Add("vigil_threat_list_reloads_total", {"error"});
          std::cerr << "vigil serve: threat list reload failed, the previous lists stay: "
                    << reloaded->error().ToString() << "\n";
        }
      }
    }
    if (rules != w.rules) {  // a reload: new engines from here on (the dedup windows start empty)
      w.engines.clear();
      w.rules = rules;
      w.once_per_request.clear();
      for (const auto& rule : w.rules->rules()) {
        if (rule.once_per_request) w.once_per_request.insert(rule.name);
      }
    }

    std::vector<IngestOutcome> outcomes(group.size());
    std::vector<findings::Finding> all;
    std::vector<std::pair<std::size_t, std::size_t>> ranges(group.size());  // per batch, in `all`
    std::vector<bool> to_commit(group.size(), false);
    const auto eval_started = std::chrono::steady_clock::now();
    std::uint64_t rule_evaluations = 0;
    for (std::size_t i = 0; i < group.size(); ++i) {
      const IngestBatch& b = group[i].batch;
      IngestOutcome& out = outcomes[i];
      auto it = w.engines.find(b.cluster);
      if (it == w.engines.end()) {
        if (w.engines.size() >= options_.max_clusters) {
          out.code = IngestCode::kNoEvents;
          out.message =
              fmt::format("more than {} clusters send to this vigil (limits.max_clusters)",
                          options_.max_clusters);
          metrics_.Add("vigil_batches_total", {b.source, "too_many_clusters"});
          continue;
        }
        detect::EngineOptions eo;
        eo.cluster = b.cluster;
        eo.account = options_.account;
        eo.region = options_.region;
        eo.dedup_window_seconds = options_.dedup_window_seconds;
        eo.geoip = w.geoip;
        it = w.engines.emplace(b.cluster, std::make_unique<detect::Engine>(w.rules, w.intel, eo))
                 .first;
      }
      detect::Engine& engine = *it->second;
      const detect::EngineStats before = engine.stats();
      findings::FindingAggregator::Options ao;
      ao.track_events = true;
      findings::FindingAggregator aggregator(ao);
      detect::ScanPipeline pipeline(engine, aggregator,
                                    w.dead_letter.is_open() ? &w.dead_letter : nullptr);
      if (options_.attack_sequences) {
        auto& seq = w.sequences[b.cluster];
        if (!seq) {
          seq = std::make_unique<detect::SequenceCorrelator>(detect::SequenceOptions{
              .cluster = b.cluster, .account = options_.account, .region = options_.region});
          // Go on where the last run (or the last committed batch) left the window.
          auto loaded = w.sequence_store->LoadSequenceWindow(b.cluster);
          Status restored = Ok();
          if (!loaded) {
            restored = std::move(loaded).error();
          } else if (*loaded) {
            restored = seq->Restore(**loaded);
          }
          if (!restored) {
            // The window starts empty: sequences already stored stay; new ones start afresh.
            std::cerr << "vigil serve: attack sequences of cluster '" << b.cluster
                      << "': " << restored.error().message << "; starting with an empty window\n";
            metrics_.Add("vigil_attack_sequence_errors_total", {});
          }
        }
        pipeline.set_sequences(seq.get());
      }
      if (options_.baselines) {
        auto& detector = w.baselines[b.cluster];
        if (!detector) {
          detect::BaselineState state;
          auto loaded = w.baseline_store->LoadBaseline(b.cluster);
          if (loaded && *loaded) state = std::move(**loaded);
          if (!loaded) w.baseline_status = std::move(loaded).error();  // logged by SaveBaselines
          detector = std::make_unique<detect::BaselineDetector>(
              detect::BaselineOptions{.cluster = b.cluster,
                                      .account = options_.account,
                                      .region = options_.region,
                                      .learning_seconds = options_.learning_seconds,
                                      .geoip = w.geoip},
              std::move(state));
        }
        pipeline.set_baselines(detector.get());
      }
      RequestIdentity identity(pipeline, w.once_per_request);
      BatchSink sink(pipeline, identity, options_.max_events_per_batch);
      (void)w.reader.ReadBuffer(b.body, b.source, sink);
      rule_evaluations += engine.stats().rule_evaluations - before.rule_evaluations;
      out.events = sink.events();
      out.rejected = sink.rejected();
      if (sink.rejected() > 0) {
        metrics_.Add("vigil_events_malformed_total", {b.cluster, b.source},
                     static_cast<double>(sink.rejected()));
      }
      if (sink.over()) {
        out.code = IngestCode::kTooManyEvents;
        out.message =
            fmt::format("the batch holds more than {} events (limits.max_events_per_batch)",
                        options_.max_events_per_batch);
        metrics_.Add("vigil_events_dropped_total", {b.cluster, b.source, "too_many_events"},
                     static_cast<double>(sink.events()));
        metrics_.Add("vigil_batches_total", {b.source, "too_many_events"});
        w.engines.erase(b.cluster);  // it saw events that will not be stored
        w.sequences.erase(b.cluster);
        w.baselines.erase(b.cluster);
        continue;
      }
      metrics_.Add("vigil_events_received_total", {b.cluster, b.source},
                   static_cast<double>(sink.events()));
      metrics_.Add("vigil_events_evaluated_total", {b.cluster, b.source},
                   static_cast<double>(engine.stats().evaluated - before.evaluated));
      if (sink.events() == 0 && sink.rejected() > 0) {
        out.code = IngestCode::kNoEvents;
        out.message = fmt::format("no audit event in the body: {} record{} rejected as malformed",
                                  sink.rejected(), sink.rejected() == 1 ? "" : "s");
        metrics_.Add("vigil_batches_total", {b.source, "no_events"});
        continue;
      }
      auto found = aggregator.TakeAll();
      ranges[i] = {all.size(), found.size()};
      for (auto& f : found) all.push_back(std::move(f));
      to_commit[i] = true;
    }
    metrics_.Add("vigil_rule_eval_seconds_total", {}, SecondsSince(eval_started));
    metrics_.Add("vigil_rule_evaluations_total", {}, static_cast<double>(rule_evaluations));

    Status committed = Ok();
    if (!all.empty()) {
      const auto commit_started = std::chrono::steady_clock::now();
      auto result = w.store->Upsert(all, NowNanos());
      metrics_.Observe("vigil_store_commit_seconds", {}, SecondsSince(commit_started));
      if (!result) {
        committed = std::move(result).error();
      } else {
        metrics_.Add("vigil_findings_upserted_total", {"inserted"},
                     static_cast<double>(result->inserted));
        metrics_.Add("vigil_findings_upserted_total", {"updated"},
                     static_cast<double>(result->updated));
        if (options_.on_committed) {
          std::vector<std::string> changed_ids;
          for (const store::UpsertOutcome& o : result->outcomes) {
            if (o.action != store::UpsertAction::kUnchanged) changed_ids.push_back(o.id);
          }
          if (!changed_ids.empty()) options_.on_committed(std::move(changed_ids));
        }
        for (std::size_t i = 0; i < group.size(); ++i) {
          if (!to_commit[i]) continue;
          std::uint64_t changed = 0;
          for (std::size_t k = 0; k < ranges[i].second; ++k) {
            if (result->outcomes[ranges[i].first + k].action != store::UpsertAction::kUnchanged) {
              ++changed;
            }
          }
          outcomes[i].findings = changed;
        }
      }
    }
    if (committed && options_.attack_sequences) {
      // Sequences after the findings they correlate, so suppressions have archived theirs.
      std::vector<findings::Finding> seqs;
      // Which of the windows' findings are suppressed: one store query per commit (with
      // PostgreSQL, one round trip per signal was most of a worker's time).
      std::vector<std::string> signal_ids;
      for (auto& [cluster, seq] : w.sequences) {
        for (std::string& id : seq->FindingIds()) signal_ids.push_back(std::move(id));
      }
      std::unordered_set<std::string> suppressed_ids;
      if (auto found = w.store->SuppressedAmong(signal_ids)) {
        for (std::string& id : *found) suppressed_ids.insert(std::move(id));
      } else {
        committed = std::move(found).error();
      }
      auto suppressed = [&](std::string_view id) {
        return suppressed_ids.contains(std::string(id));
      };
      for (auto& [cluster, seq] : w.sequences) {
        if (!committed) break;
        for (auto& f : seq->TakeFindings(NowNanos(), suppressed)) seqs.push_back(std::move(f));
      }
      if (committed && !seqs.empty()) {
        auto result = w.store->Upsert(seqs, NowNanos());
        if (!result) {
          committed = std::move(result).error();
        } else {
          metrics_.Add("vigil_attack_sequences_upserted_total", {},
                       static_cast<double>(result->inserted + result->updated));
        }
      }
      // The windows as of this commit, before any batch of the group is acknowledged (or its
      // tail offset saved): a restart replays at most what the saved window already holds, and
      // the store counts a replayed event once.
      for (auto& [cluster, seq] : w.sequences) {
        if (!committed) break;
        detect::SequenceWindowChanges changes = seq->TakeChanges();
        if (changes.empty()) continue;
        Status saved = w.sequence_store->SaveSequenceChanges(changes);
        if (!saved) {
          metrics_.Add("vigil_attack_sequence_errors_total", {});
          committed = std::move(saved);
        }
      }
    }
    if (!committed) {
      // Nothing of this group is stored: forget what the engines saw so a retry is evaluated.
      w.engines.clear();
      w.sequences.clear();
      w.baselines.clear();
      for (std::size_t i = 0; i < group.size(); ++i) {
        if (!to_commit[i]) continue;
        outcomes[i].code = IngestCode::kStoreFailed;
        outcomes[i].message = "storing findings failed: " + committed.error().message;
        metrics_.Add("vigil_events_dropped_total",
                     {group[i].batch.cluster, group[i].batch.source, "store_failed"},
                     static_cast<double>(outcomes[i].events));
        metrics_.Add("vigil_batches_total", {group[i].batch.source, "store_failed"});
      }
    } else {
      for (std::size_t i = 0; i < group.size(); ++i) {
        if (to_commit[i]) metrics_.Add("vigil_batches_total", {group[i].batch.source, "committed"});
      }
    }
    if (committed) SaveBaselines(false);
    if (w.dead_letter.is_open()) w.dead_letter.flush();
    for (std::size_t i = 0; i < group.size(); ++i) group[i].done.set_value(std::move(outcomes[i]));
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) has_work_.notify_all();  // Stop() waits for an empty queue
    }
  }
  SaveBaselines(true);  // what was learned since the last save
  std::lock_guard lock(mu_);
  for (auto& f : forgets_) f.second.set_value();
  forgets_.clear();
  has_work_.notify_all();
}

}  // namespace vigil::server
