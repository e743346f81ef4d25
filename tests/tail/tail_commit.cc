#include "tail/tail_commit.h"

#include <array>

#include "base/time.h"

namespace vigil::tail {

TailChunkCommitter::TailChunkCommitter(detect::Engine& engine,
                                       store::FindingStore& store,
                                       store::SqliteTailOffsets& ledger)
    : engine_(engine),
      store_(store),
      ledger_(ledger),
      aggregator_({.track_events = true, .max_findings = 10000, .max_pending_events = 200000}),
      pipeline_(engine, aggregator_, nullptr, [this] { Flush(); }) {
  for (const auto& rule : engine.rules().rules()) {
    if (rule.once_per_request) once_per_request_.insert(rule.name);
  }
}

Status TailChunkCommitter::Commit(std::string_view lines, const ingest::TailOrigin& origin) {
  // Always OK: bad lines reach OnRejected, they are not errors.
  (void)reader_.ReadBuffer(lines, origin.file, *this);
  Flush();
  if (!status_) {
    Error e = status_.error();
    status_ = Ok();
    return e;
  }
  return Ok();
}

void TailChunkCommitter::OnEvent(const event::AuditEvent& event, const ingest::Origin&) {
  engine_.Process(event, *this);
}

void TailChunkCommitter::OnRejected(const ingest::Rejection& rejection) {
  pipeline_.OnRejected(rejection);
}

bool TailChunkCommitter::WantsDetail(const findings::Observation& brief) {
  return pipeline_.WantsDetail(brief);
}

void TailChunkCommitter::OnObservation(const findings::Observation& obs) {
  if (!obs.audit_id.empty() && once_per_request_.count(obs.rule) > 0) {
    // Did a finding of this rule already count another stage of this request?
    static constexpr std::array<std::string_view, 4> kStages = {
        "RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"};
    std::vector<findings::EventRef> others;
    findings::Observation probe;
    probe.audit_id = obs.audit_id;
    for (auto stage : kStages) {
      if (stage == obs.stage) continue;
      probe.stage = std::string(stage);
      others.push_back(findings::EventRefOf(probe));
    }
    auto counted = ledger_.RuleCountedAnyEvent(obs.rule, others);
    if (!counted) {
      if (status_) status_ = std::move(counted).error();
      return;
    }
    if (*counted) {
      ++held_back_;
      return;
    }
  }
  pipeline_.OnObservation(obs);
}

void TailChunkCommitter::Flush() {
  auto batch = aggregator_.TakeAll();
  unsaved_.insert(unsaved_.end(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
  if (unsaved_.empty()) return;
  auto result = store_.Upsert(unsaved_, NowNanos());
  if (!result) {
    if (status_) status_ = std::move(result).error();
    return;
  }
  unsaved_.clear();
}

}  // namespace vigil::tail
