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
  engine_.Process(event, *this);
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
  if (!max_severity_ || obs.severity > *max_severity_) max_severity_ = obs.severity;
  aggregator_.Add(obs, NowNanos());
  if (flush_ && aggregator_.ShouldFlush()) flush_();
}

}  // namespace vigil::detect
