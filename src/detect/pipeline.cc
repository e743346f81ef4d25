#include "detect/pipeline.h"

#include <nlohmann/json.hpp>

#include "event/redact.h"

namespace vigil::detect {

ScanPipeline::ScanPipeline(Engine& engine,
                           findings::FindingAggregator& aggregator,
                           std::ostream* dead_letter,
                           std::function<void()> flush)
    : engine_(engine),
      aggregator_(aggregator),
      dead_letter_(dead_letter),
      flush_(std::move(flush)) {}

void ScanPipeline::OnEvent(const event::AuditEvent& event, const ingest::Origin& /*origin*/) {
  ProcessEvent(event, *this);
}

void ScanPipeline::ProcessEvent(const event::AuditEvent& event, ObservationSink& observations) {
  event_max_.reset();
  const std::uint64_t duplicates = engine_.stats().duplicates;
  const std::uint64_t repeat_stages = engine_.stats().repeat_stage_matches;
  engine_.Process(event, observations);
  // A repeat of an event the engine has seen (a redelivered batch) was learned and correlated then.
  if (engine_.stats().duplicates != duplicates) return;
  if (baselines_ != nullptr) {
    anomalies_.clear();
    baselines_->OnEvent(event, event_max_, anomalies_);
    for (const auto& obs : anomalies_) observations.OnObservation(obs);
  }
  // An event that made a finding is a signal through it already; so is a later stage of a request
  // whose first stage made one (a once-per-request rule held back here). After a restart the
  // engine no longer knows the first stage and fires on this one: either way, no weak signal.
  if (sequences_ != nullptr) {
    sequences_->OnEvent(event, event_max_.has_value() ||
                                   engine_.stats().repeat_stage_matches != repeat_stages);
  }
}

void ScanPipeline::OnRejected(const ingest::Rejection& r) {
  if (dead_letter_ == nullptr) return;
  nlohmann::ordered_json j;
  j["input"] = std::string(r.input);
  j["line"] = r.line;
  j["offset"] = r.offset;
  j["kind"] = std::string(ingest::RejectKindName(r.kind));
  j["reason"] = std::string(r.reason);
  j["envelope"] = std::string(ingest::EnvelopeName(r.envelope));
  j["item_index"] = r.item_index;
  j["audit_id"] = std::string(r.audit_id);
  j["log_stream"] = std::string(r.log_stream);
  j["excerpt"] = event::RedactText(r.excerpt);
  *dead_letter_ << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  ++dead_letters_;
}

bool ScanPipeline::WantsDetail(const findings::Observation& brief) {
  return aggregator_.NeedsDetail(brief);
}

void ScanPipeline::OnObservation(const findings::Observation& obs) {
  ++observations_;
  if (!event_max_ || obs.severity > *event_max_) event_max_ = obs.severity;
  if (!max_severity_ || obs.severity > *max_severity_) max_severity_ = obs.severity;
  if (sequences_ != nullptr) sequences_->OnObservation(obs);
  aggregator_.Add(obs, NowNanos());
  if (flush_ && aggregator_.ShouldFlush()) flush_();
}

}  // namespace vigil::detect
