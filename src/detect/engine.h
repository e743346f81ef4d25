// Engine: evaluates a compiled RuleSet on audit events and emits one Observation per rule match.
//
// Per event, in order:
//  1. Only the rules that can match are evaluated: each rule's condition is analysed when the
//     engine is built for the values it requires of the stage, ka.verb and ka.target.resource,
//     and a table keyed by those three values lists the candidate rules. Field values are
//     extracted once per event however many rules read them.
//  2. Facts from outside the event are computed once: the caller's address (trusted proxies
//     skipped) and every sourceIPs entry on a threat list (rules read them as vigil.* fields).
//  3. An event that matched some rule is dropped if its (auditID, stage) pair was seen within the
//     dedup window: retried webhook batches and overlapping log files make one observation.
//     Only matching events enter the window (a repeat of an event that matched nothing matches
//     nothing again), so the window's entries cover matching events only.
//  4. A rule with once_per_request (vigil's catalog) fires at most once per auditID, so a
//     long-running request logged at ResponseStarted and ResponseComplete makes one observation.
//  5. For a match, everything the observation carries (output text, output fields, dedup key,
//     evidence) is derived from the redacted copy of the event (event/redact.h), never the
//     original.
//
// Thread-safety: not thread-safe; one Engine per worker thread. The RuleSet and ThreatIntel are
// shared read-only.
#ifndef VIGIL_DETECT_ENGINE_H_
#define VIGIL_DETECT_ENGINE_H_

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detect/dedup_window.h"
#include "detect/geoip.h"
#include "detect/threat_intel.h"
#include "event/audit_event.h"
#include "event/redact.h"
#include "ingest/event_keys.h"
#include "findings/finding.h"
#include "rules/eval_context.h"
#include "rules/rule.h"

namespace vigil::detect {

struct EngineOptions {
  std::string cluster = "default";
  std::string account;  // AWS account id, when known
  std::string region;   // AWS region, when known
  // (auditID, stage) pairs are remembered this long in event time, and at most this many.
  std::int64_t dedup_window_seconds = 15 * 60;
  size_t dedup_max_entries = 1 << 18;
  // Evaluate only the rules the index says can match (stage, verb, resource and gates; see
  // Engine). Off evaluates every rule on every event: slower, same observations (a test holds
  // the index to that).
  bool use_index = true;
  // GeoIP/ASN databases: the caller's country and AS go to the vigil.geo.* fields and to each
  // finding's context. Null: none.
  std::shared_ptr<const GeoIp> geoip;
};

// Receives what the engine produces. Called on the engine's thread.
class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  // Whether the sink needs the expensive parts of this match (description, output_fields,
  // context, evidence): `brief` has everything else. A sink that aggregates says no when the
  // match only adds to a finding it already holds; the engine then skips redacting and rendering.
  virtual bool WantsDetail(const findings::Observation& /*brief*/) { return true; }
  // One match. The reference is valid during the call only (the engine reuses the object).
  virtual void OnObservation(const findings::Observation& observation) = 0;
};

struct EngineStats {
  std::uint64_t events = 0;             // events given to Process()
  std::uint64_t duplicates = 0;         // matching events dropped: (auditID, stage) already seen
  std::uint64_t evaluated = 0;          // events whose results were used (events - duplicates)
  std::uint64_t no_candidates = 0;      // events for which the index left no rule to evaluate
  std::uint64_t rule_evaluations = 0;   // conditions evaluated (after the index)
  std::uint64_t matches = 0;            // observations emitted
  std::uint64_t repeat_stage_matches = 0;  // once_per_request rules held back on a later stage
  std::uint64_t detailed = 0;           // matches for which evidence was built and rendered
};

// Per-rule counters, indexed like RuleSet::rules(): what each rule costs and yields.
struct RuleCounters {
  std::uint64_t evaluations = 0;  // times its condition was evaluated
  std::uint64_t matches = 0;      // times it matched (before dedup and once-per-request)
};
class Engine {
 public:
  // `intel` may be null (no threat lists, no trusted proxies).
  Engine(std::shared_ptr<const rules::RuleSet> rules,
         std::shared_ptr<const ThreatIntel> intel,
         EngineOptions options);
  ~Engine();

  // Evaluates one event; calls sink.OnObservation for every match.
  void Process(const event::AuditEvent& ev, ObservationSink& sink);

  // False when no rule can match an event with these keys (the index's table and gates, read
  // from keys rather than the event): the reader may then skip building the event's tree.
  bool MayMatch(const ingest::EventKeys& keys);
  // The optional keys MayMatch reads: groups when some rule is gated on them, source IPs when
  // there are threat lists, timestamps when some rule is gated on "no timestamp".
  ingest::KeyNeeds key_needs() const;

  const EngineStats& stats() const { return stats_; }
  const std::vector<RuleCounters>& rule_counters() const { return rule_counters_; }
  const rules::RuleSet& rules() const { return *rules_; }
  const EngineOptions& options() const { return options_; }
  // Number of rules that are enabled and evaluated.
  size_t active_rules() const { return active_.size(); }

 private:
  class Index;

  // What every observation of a rule carries, derived once from the rule.
  struct RuleMeta {
    std::string type;
    findings::Severity severity = findings::Severity::kMedium;
    std::string priority;
    std::string title;
    std::vector<findings::MitreRef> mitre;
    findings::Remediation remediation;
  };
  void Emit(std::uint32_t index,
            const event::AuditEvent& ev,
            const rules::EventContext& ctx,
            ObservationSink& sink);

  std::shared_ptr<const rules::RuleSet> rules_;
  std::shared_ptr<const ThreatIntel> intel_;
  EngineOptions options_;
  std::vector<std::uint32_t> active_;  // indices of enabled rules, in file order
  std::unique_ptr<Index> index_;
  rules::EvalContext eval_;
  rules::EvalContext redacted_eval_;
  simdjson::dom::parser redacted_parser_;
  DedupWindow seen_;
  DedupWindow fired_;  // (auditID, rule) pairs of once_per_request rules that fired
  std::vector<rules::ThreatMatch> matches_;
  GeoCache geo_;
  std::vector<std::uint32_t> matched_;  // rules that matched the current event
  std::vector<std::uint64_t> pass_;     // bitset: rules whose gate the current event passes
  ingest::TimeCheck time_check_;
  findings::Observation obs_;  // reused for every match
  std::string value_;          // scratch for rendering dedup values
  event::RedactMemo user_agents_;
  EngineStats stats_;
  std::vector<RuleCounters> rule_counters_;
  std::vector<RuleMeta> meta_;  // by rule index
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_ENGINE_H_
