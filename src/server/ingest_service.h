// IngestService: the one path from bytes to committed findings that every live source shares —
// the webhook receiver and the file tailer both hand it batches and wait for the outcome.
//
//   bytes (EventList / Event / array / JSON lines, maybe gzip)
//     → ingest::Reader → detect::Engine (one per cluster) → FindingAggregator (one per batch)
//     → FindingStore::Upsert (one transaction for every batch waiting, synchronous=FULL)
//     → outcome to each waiting caller
//
// Contract ("nothing acknowledged is lost"): an outcome with kCommitted is returned only after the
// batch's findings are durable in the store; a caller acknowledges its source (HTTP 200, a saved
// tail offset) only then. A batch redelivered after a crash adds nothing, because the store's event
// ledger counts each (auditID, stage) once per finding. A refused batch (over a limit, overload,
// shutdown, a store failure) stores nothing: its findings are dropped and the engines that saw it
// are rebuilt, so a retry of the same events is evaluated afresh.
//
// Bounded: at most Options::queue_batches batches and queue_bytes bytes wait; TrySubmit refuses
// more (the webhook answers 429) and Submit waits for room (the tailer slows down).
//
// Thread-safety: every public method may be called from any thread. One worker thread owns the
// engines, the reader and the store connection.
#ifndef VIGIL_SERVER_INGEST_SERVICE_H_
#define VIGIL_SERVER_INGEST_SERVICE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "detect/threat_intel.h"
#include "rules/rule.h"
#include "server/metrics.h"
#include "store/finding_store.h"

namespace vigil::server {

struct IngestBatch {
  std::string body;     // the raw bytes; moved into the service
  std::string cluster;  // which cluster's engine evaluates it
  std::string source;   // "webhook", "tail:<path>": metrics label and input name
};

enum class IngestCode {
  kCommitted,      // findings durable (also when the batch had no events or no findings)
  kNoEvents,       // nothing in the body decoded as an audit event (bad JSON, wrong shape)
  kTooManyEvents,  // more than max_events_per_batch events: nothing stored
  kOverloaded,     // the queue is full: nothing stored, try again later
  kShuttingDown,   // the service is stopping: nothing stored
  kStoreFailed,    // the commit failed: nothing stored
};

struct IngestOutcome {
  IngestCode code = IngestCode::kCommitted;
  std::uint64_t events = 0;    // events decoded
  std::uint64_t rejected = 0;  // records rejected as malformed
  std::uint64_t findings = 0;  // findings upserted (new or updated)
  std::string message;         // why, for anything but kCommitted; never holds event content
};

struct IngestOptions {
  std::size_t queue_batches = 64;
  std::size_t queue_bytes = std::size_t{256} << 20;
  std::size_t max_events_per_batch = 5000;
  std::size_t max_clusters = 64;
  std::size_t max_group_batches = 64;  // batches committed together in one transaction
  std::string account;
  std::string region;
  std::int64_t dedup_window_seconds = 15 * 60;
  std::string dead_letter;  // file to append rejected records to; empty: none
  // Threat lists and trusted proxies for every engine (null: none), as `vigil scan` takes them.
  std::shared_ptr<const detect::ThreatIntel> intel;
  // Or the lists as NAME=FILE and the trusted proxies: Start() loads them (replacing `intel`), and
  // the worker reloads the lists when a file changes (polled every intel_poll_seconds; a failed
  // reload keeps the previous lists and is counted in vigil_threat_list_reloads_total).
  std::vector<std::string> threat_lists;
  std::vector<std::string> trusted_proxies;
  std::int64_t intel_poll_seconds = 5;
  // MaxMind-format databases (.mmdb) opened by Start() (a missing or damaged one fails it): the
  // caller's country and AS for rules, findings and baselines.
  std::vector<std::string> geoip_databases;
  // One SequenceCorrelator per cluster (detect/sequence.h); its findings are committed after the
  // group's findings, so suppression rules apply first.
  bool attack_sequences = true;
  // Learned baselines per cluster (detect/baseline.h), kept in the store (migration 6): loaded
  // when a cluster first sends, saved at most every baseline_save_seconds after a commit and when
  // the service stops.
  bool baselines = false;
  std::int64_t learning_seconds = 7 * 24 * 3600;
  std::int64_t baseline_save_seconds = 10;
  // Called on the worker thread after each successful commit with the ids of the findings that
  // were inserted or changed (e.g. to feed remediation). Must not block.
  std::function<void(std::vector<std::string>)> on_committed;
};

class IngestService {
 public:
  // Opens the store at `db` for the worker (WAL, synchronous=FULL) and starts the worker.
  // `rules` must not be null. Errors: those of opening the store; kIo when the dead-letter file
  // cannot be opened.
  static Result<std::unique_ptr<IngestService>> Start(const std::string& db,
                                                      std::shared_ptr<const rules::RuleSet> rules,
                                                      IngestOptions options,
                                                      Metrics& metrics);

  // Drains and stops (as Stop()).
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Queues `batch` unless the queue is full or the service is stopping; the future yields the
  // outcome once the batch is committed or refused. nullopt means "refused now" (kOverloaded or
  // kShuttingDown; `refused` says which).
  std::optional<std::future<IngestOutcome>> TrySubmit(IngestBatch batch, IngestCode* refused);

  // Queues `batch`, waiting for room, and waits for its outcome. For sources that can slow down
  // (a file tailer): returns only after the findings are committed or the batch was refused.
  IngestOutcome Submit(IngestBatch batch);
  // Queues `batch`, waiting for room, and returns at once: the future yields the outcome. Batches
  // queued together are committed together (up to max_group_batches in one transaction).
  std::future<IngestOutcome> SubmitAsync(IngestBatch batch);

  // Drops everything held in memory for `cluster` (its engine with the dedup window, its
  // attack-sequence window and baseline) after saving its baseline, so that the next batch of the
  // cluster starts from what the store holds. For a JetStream worker that hands the cluster's
  // partition to another worker (jetstream_worker.h): the other worker commits to the same store,
  // and this one must not keep evaluating with a stale window if the partition comes back.
  // Returns once done (or at once when the service has stopped).
  void ForgetCluster(const std::string& cluster);

  // Replaces the rule set; batches taken after this call use it (engines are rebuilt between
  // commit groups, so no event is dropped or evaluated twice by the swap).
  void SwapRules(std::shared_ptr<const rules::RuleSet> rules);
  std::shared_ptr<const rules::RuleSet> rules() const;

  // Stops accepting, finishes every queued batch (committing it), and joins the worker. Returns
  // false if that took longer than `timeout`; batches still waiting are then refused with
  // kShuttingDown (their callers never got a 200). Idempotent.
  bool Stop(std::chrono::milliseconds timeout);

  std::size_t queued_batches() const;
  std::size_t queued_bytes() const;
  bool running() const { return !stopping_.load(); }

 private:
  struct Pending {
    IngestBatch batch;
    std::promise<IngestOutcome> done;
  };
  class Worker;

  IngestService(IngestOptions options, Metrics& metrics);
  void Run();
  // Saves dirty baselines when baseline_save_seconds have passed since the last save, or always
  // with `force`. Called on the worker thread.
  void SaveBaselines(bool force);

  IngestOptions options_;
  Metrics& metrics_;
  std::unique_ptr<Worker> worker_;

  mutable std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::deque<Pending> queue_;
  std::vector<std::pair<std::string, std::promise<void>>> forgets_;  // ForgetCluster requests
  std::size_t queue_bytes_ = 0;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::atomic<bool> stopping_{false};
  bool abandon_ = false;  // Stop() timed out: refuse what is left
  std::thread thread_;
};

// For a source that acknowledges by saving an offset (the file tailer's "process these whole
// lines, return OK only when committed" callback): submits `lines` and waits. OK when the findings
// are committed, also when every line was malformed (those are counted and dead-lettered, and
// retrying them cannot help); an error (kIo) when the batch was refused, so the offset must not
// move.
Status CommitLines(IngestService& service,
                   std::string lines,
                   std::string cluster,
                   std::string source);

// The metric families IngestService updates; the server declares them once.
void DeclareIngestMetrics(Metrics& metrics);

std::string_view IngestCodeName(IngestCode code);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_INGEST_SERVICE_H_
