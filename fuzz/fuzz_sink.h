// A sink for the ingest fuzz targets: checks the Reader's output contracts and records a digest
// of everything it saw, so two runs over the same bytes can be compared.
#ifndef VIGIL_FUZZ_FUZZ_SINK_H_
#define VIGIL_FUZZ_FUZZ_SINK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_check.h"
#include "ingest/event_sink.h"
#include "ingest/reader.h"

namespace vigil::fuzz {

class CheckingSink : public ingest::EventSink, public ingest::EventPrefilter {
 public:
  // With a prefilter, the reader asks MayMatch before decoding JSON-lines events; `accept` is
  // its answer.
  enum class Prefilter { kNone, kAcceptAll, kRejectAll };
  explicit CheckingSink(Prefilter mode = Prefilter::kNone) : mode_(mode) {}
  ingest::EventPrefilter* prefilter() override { return mode_ == Prefilter::kNone ? nullptr : this; }
  bool MayMatch(const ingest::EventKeys& keys) override {
    VIGIL_FUZZ_CHECK(!keys.audit_id.empty());
    VIGIL_FUZZ_CHECK(!keys.stage.empty());
    return mode_ == Prefilter::kAcceptAll;
  }

  void OnEvent(const event::AuditEvent& ev, const ingest::Origin& o) override {
    VIGIL_FUZZ_CHECK(!ev.audit_id().empty());
    VIGIL_FUZZ_CHECK(!ev.stage_name().empty());
    (void)ev.time();
    (void)ev.user_name();
    (void)ev.response_code();
    ++events;
    digest += "E|" + std::string(ev.audit_id()) + "|" + std::string(ev.stage_name()) + "|" +
              std::to_string(o.line) + "|" + std::to_string(o.offset) + "|" +
              std::string(ingest::EnvelopeName(o.envelope)) + "|" + std::to_string(o.item_index) +
              "|" + std::string(o.log_stream) + "\n";
  }
  void OnRejected(const ingest::Rejection& r) override {
    VIGIL_FUZZ_CHECK(!r.reason.empty());
    VIGIL_FUZZ_CHECK(r.excerpt.size() <= ingest::kMaxExcerptBytes);
    ++rejected;
    digest += "R|" + std::string(ingest::RejectKindName(r.kind)) + "|" + std::to_string(r.line) +
              "|" + std::to_string(r.offset) + "|" + std::to_string(r.item_index) + "|" +
              std::string(r.excerpt) + "|" + std::string(r.audit_id);
    // gzip's own damage text names a compressed byte count that may vary with read sizes.
    if (r.kind != ingest::RejectKind::kBadGzip) digest += "|" + std::string(r.reason);
    digest += "\n";
  }

  void CheckStats(const ingest::Stats& s) const {
    VIGIL_FUZZ_CHECK(s.events == events + s.prefiltered);
    VIGIL_FUZZ_CHECK(s.rejected_total() == rejected);
  }

  std::size_t events = 0;
  std::size_t rejected = 0;
  std::string digest;

 private:
  Prefilter mode_;
};

}  // namespace vigil::fuzz

#endif  // VIGIL_FUZZ_FUZZ_SINK_H_
