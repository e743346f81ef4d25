// ScanPipeline: wires a Reader's output through the Engine into a FindingAggregator, and writes
// every rejected record to an optional dead-letter stream.
//
// Dead-letter lines are JSON, one per rejected record:
//   {"input":"audit.log","line":12,"offset":3410,"kind":"malformed","reason":"...",
//    "envelope":"jsonl","item_index":-1,"audit_id":"","log_stream":"","excerpt":"..."}
// The excerpt is at most 512 bytes of the rejected input with credential patterns redacted
// (event/redact.h); input, line and offset point back to the full record.
//
// Not thread-safe; one per reading thread.
#ifndef VIGIL_DETECT_PIPELINE_H_
#define VIGIL_DETECT_PIPELINE_H_

#include <functional>
#include <ostream>

#include "detect/baseline.h"
#include "detect/engine.h"
#include "detect/sequence.h"
#include "findings/aggregator.h"
#include "ingest/event_sink.h"

namespace vigil::detect {

class ScanPipeline : public ingest::EventSink,
                     public ingest::EventPrefilter,
                     public ObservationSink {
 public:
  // `dead_letter` may be null. `flush` (may be empty) is called after an observation whenever the
  // aggregator says it holds enough to hand to a store.
  ScanPipeline(Engine& engine,
               findings::FindingAggregator& aggregator,
               std::ostream* dead_letter,
               std::function<void()> flush = {});

  void OnEvent(const event::AuditEvent& event, const ingest::Origin& origin) override;
  // What OnEvent does, with the engine's observations going to `observations` (which must pass
  // them on to OnObservation, as a wrapper that rewrites them does): the rules, then the
  // baselines (their anomalies go to `observations` too), then the attack-sequence correlator.
  void ProcessEvent(const event::AuditEvent& event, ObservationSink& observations);
  void OnRejected(const ingest::Rejection& rejection) override;
  // The engine's index decides from an event's keys (Engine::MayMatch).
  ingest::EventPrefilter* prefilter() override { return this; }
  // With a SequenceCorrelator attached, events that may be weak signals are wanted too; with a
  // BaselineDetector, every event (baselines learn from all of them).
  bool MayMatch(const ingest::EventKeys& keys) override {
    return baselines_ != nullptr || engine_.MayMatch(keys) ||
           (sequences_ != nullptr && SequenceCorrelator::MayBeWeakSignal(keys));
  }
  // MayBeWeakSignal reads only the index keys.
  ingest::KeyNeeds key_needs() const override { return engine_.key_needs(); }
  // Also checks every event against `baselines` (may be null; not owned) after the rules, telling
  // it the highest severity the rules found in the event; its anomalies are observations like any
  // other.
  void set_baselines(BaselineDetector* baselines) { baselines_ = baselines; }
  // Also feeds every event and observation to `sequences` (may be null; not owned; must outlive
  // the pipeline's use).
  void set_sequences(SequenceCorrelator* sequences) { sequences_ = sequences; }
  bool WantsDetail(const findings::Observation& brief) override;
  void OnObservation(const findings::Observation& observation) override;

  // Highest severity of any observation so far (for --fail-on); nullopt when there were none.
  std::optional<findings::Severity> max_severity() const { return max_severity_; }
  std::uint64_t observations() const { return observations_; }
  std::uint64_t dead_letters_written() const { return dead_letters_; }

 private:
  Engine& engine_;
  findings::FindingAggregator& aggregator_;
  std::ostream* dead_letter_;
  std::function<void()> flush_;
  SequenceCorrelator* sequences_ = nullptr;
  BaselineDetector* baselines_ = nullptr;
  std::optional<findings::Severity> event_max_;  // of the event being processed
  std::vector<findings::Observation> anomalies_;
  std::optional<findings::Severity> max_severity_;
  std::uint64_t observations_ = 0;
  std::uint64_t dead_letters_ = 0;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_PIPELINE_H_
