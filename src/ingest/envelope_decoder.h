// EnvelopeDecoder: turns one framed record (a line, a document, a streamed array element) into
// AuditEvents by recognising the envelope around them (EventList, array, CloudWatch record,
// filter-log-events output, subscription payload, Lambda/Firehose base64, Fluent Bit's
// [timestamp, {record}] pairs) and unwrapping it.
// Internal to the ingest module; the Reader owns one.
//
// Nesting: a CloudWatch `message` and a base64 payload are decoded into a buffer and a simdjson
// parser of their own ("levels"), so the outer document stays alive while its array is walked.
// Level 0 parses records in place in the Reader's chunk buffer; each unwrap goes one level
// deeper, up to kMaxLevels - 1. Every buffer and parser is reused.
#ifndef VIGIL_INGEST_ENVELOPE_DECODER_H_
#define VIGIL_INGEST_ENVELOPE_DECODER_H_

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/byte_source.h"
#include "ingest/event_keys.h"
#include "ingest/event_sink.h"
#include "ingest/padded_buffer.h"
#include "ingest/reader.h"

namespace vigil::ingest::internal {

inline constexpr int kMaxLevels = 4;

// Where the record being decoded came from, and what envelope surrounds it so far.
struct RecordContext {
  std::string_view input;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  Envelope envelope = Envelope::kJsonLines;
  std::int64_t item_index = -1;
  std::string_view log_group;
  std::string_view log_stream;
  std::string_view event_id;
  std::int64_t timestamp_ms = 0;
  int array_depth = 0;  // arrays entered while walking one parsed document
  // The JSON text of the value being dispatched when it is the root of a parsed document (so a
  // rejection can quote the original bytes); empty for values inside it.
  std::string_view raw;
};

// Context of a streamed subscription payload, parsed from the members before logEvents.
struct HeaderInfo {
  std::string message_type;
  std::string log_group;
  std::string log_stream;
  bool control() const { return message_type == "CONTROL_MESSAGE"; }
};

class EnvelopeDecoder {
 public:
  EnvelopeDecoder(std::size_t max_document_size, Stats& stats);

  void set_sink(EventSink* sink) { sink_ = sink; }
  // Events of JSON lines whose keys the prefilter turns down are counted, not decoded. Null: off.
  void set_prefilter(EventPrefilter* prefilter) {
    prefilter_ = prefilter;
    if (prefilter != nullptr) key_reader_.set_needs(prefilter->key_needs());
  }

  // Decodes a line of text: JSON, a base64 payload, or "<RFC 3339 time> <json>". Returns false
  // when the line is blank (not a record). [p, p+n) must be followed by SIMDJSON_PADDING
  // readable bytes.
  bool DecodeLine(const char* p, std::size_t n, const RecordContext& ctx);

  // Decodes one JSON value [p, p+n) parsed in place at level 0; same padding rule.
  void DecodeJson(const char* p, std::size_t n, const RecordContext& ctx) {
    DecodeJsonAt(p, n, ctx, 0);
  }

  // Parses "<head>}" where `head` is the start of an object up to a streamed array; fills what
  // a subscription payload's head says. Unparseable heads give an empty HeaderInfo.
  HeaderInfo ParseHeader(std::string_view head);

  // Reports a rejection to the sink and counts it.
  void Reject(RejectKind kind,
              std::string_view reason,
              std::string_view excerpt,
              const RecordContext& ctx,
              std::string_view audit_id = {});

 private:
  struct Level {
    simdjson::dom::parser parser;
    PaddedBuffer doc;      // the JSON text parsed at this level
    PaddedBuffer scratch;  // base64 output before inflation
    GzipSource gunzip;
  };

  void DecodeJsonAt(const char* p, std::size_t n, const RecordContext& ctx, int level);
  // True when the document at p is an event the prefilter turns down (then counted).
  bool SkippedByKeys(const char* p, std::size_t n);
  void DispatchValue(simdjson::dom::element value, const RecordContext& ctx, int level);
  void DispatchObject(simdjson::dom::element value, const RecordContext& ctx, int level);
  void DispatchArray(simdjson::dom::array items,
                     simdjson::dom::element whole,
                     const RecordContext& ctx,
                     Envelope envelope,
                     int level);
  // A Fluent Bit pair's record: the event itself, or the event's JSON text in its `log` (tail
  // input) or `message` member.
  void DispatchFluentBitRecord(simdjson::dom::element record, const RecordContext& ctx, int level);
  // Parses `message` (JSON text carried in a string member of an envelope; `what` names it in
  // rejections, e.g. "CloudWatch message") one level deeper and dispatches it.
  void DecodeMessage(std::string_view message, const RecordContext& ctx, int level,
                     std::string_view what = "CloudWatch message");
  void DecodeBase64(std::string_view text, const RecordContext& ctx, int level);
  void RejectElement(RejectKind kind,
                     std::string_view reason,
                     simdjson::dom::element value,
                     const RecordContext& ctx,
                     std::string_view audit_id = {});
  bool Inflate(Level& lv, std::string_view compressed, const RecordContext& ctx);

  std::size_t max_document_size_;
  Stats& stats_;
  EventSink* sink_ = nullptr;
  EventPrefilter* prefilter_ = nullptr;
  KeyReader key_reader_;
  EventKeys keys_;
  std::array<Level, kMaxLevels> levels_;
  std::string reason_;   // formatted reasons (rejection path only)
  std::string excerpt_;  // serialised elements (rejection path only)
};

// The auditID shown in the (possibly cut) JSON text of an event, or "".
std::string_view FindAuditId(std::string_view text);

// True when `text`, less trailing whitespace, ends with CloudWatch's "[Truncated...]".
bool IsCloudWatchTruncated(std::string_view text);

}  // namespace vigil::ingest::internal

#endif  // VIGIL_INGEST_ENVELOPE_DECODER_H_
