// What the ingest module hands to its caller: each decoded AuditEvent with the place it came from
// (Origin), and each record that could not become an event with the reason and the place
// (Rejection). The caller implements EventSink; a Reader (ingest/reader.h) calls it.
//
// Lifetime: every string_view and every AuditEvent passed to a sink method points into buffers
// owned by the Reader and is valid only until that method returns. A sink that keeps anything
// (a dead-letter queue, a findings window) copies it.
#ifndef VIGIL_INGEST_EVENT_SINK_H_
#define VIGIL_INGEST_EVENT_SINK_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "event/audit_event.h"
#include "ingest/event_keys.h"

namespace vigil::ingest {

// The shape that delivered an event.
enum class Envelope : std::uint8_t {
  kJsonLines = 0,           // a bare Event: one per line, or a (pretty-printed) JSON document
  kEventList,               // an item of {"kind":"EventList","items":[...]} (webhook batch body)
  kArray,                   // an element of a plain top-level JSON array of events
  kCloudWatchFilter,        // `aws logs filter-log-events` output: events[].message
  kCloudWatchExport,        // a CloudWatch record {"timestamp","message",...} (exported JSON lines)
  kCloudWatchSubscription,  // subscription-filter payload (base64/gzip, Lambda or Firehose shape)
  kFluentBit,               // a Fluent Bit [timestamp, {record}] pair (its `nats` output's chunks)
};
inline constexpr std::size_t kEnvelopeCount = 7;

// "jsonl", "eventlist", "array", "cloudwatch-filter", "cloudwatch-export",
// "cloudwatch-subscription", "fluent-bit".
std::string_view EnvelopeName(Envelope envelope);

// Where an event was found. The position is that of the outermost record in the input (the line
// or document that contained it), so a person can find it with `sed -n <line>p` on the decoded
// input even when the event sat inside a base64 gzip payload.
struct Origin {
  std::string_view input;    // the input's name ("-" or "<stdin>" for stdin, the path, ...)
  std::uint64_t line = 0;    // 1-based line where the outermost record starts
  std::uint64_t offset = 0;  // byte offset of that record in the decoded (gunzipped) input
  Envelope envelope = Envelope::kJsonLines;
  // Index within the innermost array that held the event (EventList items, a top-level array,
  // events[], logEvents[], records[]); -1 when the event was not in an array.
  std::int64_t item_index = -1;
  std::string_view log_group;                // CloudWatch log group, when the envelope names one
  std::string_view log_stream;               // CloudWatch log stream (logStream / logStreamName)
  std::string_view cloudwatch_event_id;      // CloudWatch log event id (id / eventId)
  std::int64_t cloudwatch_timestamp_ms = 0;  // CloudWatch log event timestamp, 0 when absent
};

// Why a record did not become an event. Stats keep one counter per kind, so a caller can tell
// "truncated by CloudWatch" apart from "malformed" and from "not an audit event".
enum class RejectKind : std::uint8_t {
  kMalformed = 0,  // not valid JSON (syntax error, text that is not JSON, input ends mid-document)
  kInvalidUtf8,    // JSON that is not valid UTF-8
  kTooDeep,        // nesting deeper than the parser's depth limit
  kTooLarge,       // a document larger than ReaderOptions::max_document_size
  kNotAnEvent,     // valid JSON but not an audit event (no auditID/stage, not an object, a
                   // CloudWatch message that is plain text, an unknown wrapper, ...)
  kTruncated,      // a CloudWatch message cut with "[Truncated...]"
  kBadBase64,      // a base64 payload that does not decode, or decodes to neither gzip nor JSON
  kBadGzip,        // a gzip stream that is truncated, corrupt, or followed by non-gzip bytes
};
inline constexpr std::size_t kRejectKindCount = 8;

// "malformed", "invalid-utf8", "too-deep", "too-large", "not-an-event", "truncated",
// "bad-base64", "bad-gzip".
std::string_view RejectKindName(RejectKind kind);

// Excerpts are capped at this many bytes.
inline constexpr std::size_t kMaxExcerptBytes = 512;

// One record that did not become an event: everything a dead-letter file needs.
struct Rejection {
  RejectKind kind = RejectKind::kMalformed;
  std::string_view reason;   // one line a person can act on, e.g. "event has no auditID"
  std::string_view input;    // input name
  std::uint64_t line = 0;    // 1-based line of the outermost record (see Origin); 0 for a
                             // damaged gzip stream, which is not a record
  std::uint64_t offset = 0;  // byte offset of that record in the decoded input (for a gzip
                             // stream: the bytes inflated before the damage)
  Envelope envelope = Envelope::kJsonLines;
  std::int64_t item_index = -1;  // index within the envelope's array, -1 when not in one
  std::string_view audit_id;     // the auditID when one could be seen (e.g. in a truncated message)
  std::string_view log_stream;   // CloudWatch log stream, when known
  // Up to kMaxExcerptBytes of the rejected bytes, as they were at the level that failed (the
  // line, the CloudWatch message text, the decoded base64). Raw bytes: may be binary or invalid
  // UTF-8, and may be cut mid-character; escape before printing.
  std::string_view excerpt;
};

// Receives the output of a Reader. Called on the reading thread, in input order; a sink for one
// Reader need not be thread-safe. Methods must not throw.
class EventSink {
 public:
  virtual ~EventSink() = default;

  // One audit event. `event` and everything in `origin` are valid only during the call.
  virtual void OnEvent(const event::AuditEvent& event, const Origin& origin) = 0;

  // One record that was skipped. Valid only during the call. Reading continues afterwards.
  virtual void OnRejected(const Rejection& rejection) = 0;

  // A sink that can tell from an event's keys that it wants nothing of it returns its prefilter:
  // the reader then counts such events without building their tree or calling OnEvent
  // (ingest/event_keys.h). Null (the default): every event reaches OnEvent.
  virtual EventPrefilter* prefilter() { return nullptr; }
};

}  // namespace vigil::ingest

#endif  // VIGIL_INGEST_EVENT_SINK_H_
