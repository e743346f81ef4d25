#include "ingest/envelope_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "event/audit_event.h"
#include "ingest/base64.h"

namespace vigil::ingest::internal {
namespace {

using simdjson::dom::element;

// Arrays entered while unwrapping one record (top array → EventList items → ...).
constexpr int kMaxArrayDepth = 4;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t SkipSpace(std::string_view s, std::size_t i = 0) {
  while (i < s.size() && IsJsonSpace(s[i])) ++i;
  return i;
}

bool IsCloudWatch(Envelope e) {
  return e == Envelope::kCloudWatchFilter || e == Envelope::kCloudWatchExport ||
         e == Envelope::kCloudWatchSubscription;
}

RejectKind KindForError(simdjson::error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return RejectKind::kInvalidUtf8;
    case simdjson::DEPTH_ERROR:
      return RejectKind::kTooDeep;
    case simdjson::CAPACITY:
      return RejectKind::kTooLarge;
    default:
      return RejectKind::kMalformed;
  }
}

std::int64_t AsInt64(element e) {
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS && d > -9.2e18 && d < 9.2e18) {
    return static_cast<std::int64_t>(d);
  }
  return 0;
}

// Top-level members of an object that decide what it is.
struct Shape {
  enum Bit : std::uint32_t {
    kAuditId = 1u << 0,
    kStage = 1u << 1,
    kMessageType = 1u << 2,
    kLogEvents = 1u << 3,
    kItems = 1u << 4,
    kEvents = 1u << 5,
    kRecords = 1u << 6,
    kAwsLogs = 1u << 7,
    kMessage = 1u << 8,
    kData = 1u << 9,
    kLogGroup = 1u << 10,
    kLogStream = 1u << 11,
    kLogStreamName = 1u << 12,
    kId = 1u << 13,
    kEventId = 1u << 14,
    kTimestamp = 1u << 15,
    kCount = 16,
  };
  std::uint32_t seen = 0;
  std::array<element, kCount> values;  // only read where `seen` has the bit

  bool Has(Bit b) const { return (seen & b) != 0; }
  element Get(Bit b) const { return values[static_cast<std::size_t>(__builtin_ctz(b))]; }
  std::string_view String(Bit b) const {
    return Has(b) ? event::AsString(Get(b)) : std::string_view();
  }
  void Set(Bit b, element v) {
    if (Has(b)) return;  // first occurrence wins, as in AuditEvent
    seen |= b;
    values[static_cast<std::size_t>(__builtin_ctz(b))] = v;
  }

  void Scan(simdjson::dom::object obj) {
    for (auto field : obj) {
      std::string_view k = field.key;
      switch (k.size()) {
        case 2:
          if (k == "id") Set(kId, field.value);
          break;
        case 4:
          if (k == "data") Set(kData, field.value);
          break;
        case 5:
          if (k == "stage") {
            Set(kStage, field.value);
          } else if (k == "items") {
            Set(kItems, field.value);
          }
          break;
        case 6:
          if (k == "events") Set(kEvents, field.value);
          break;
        case 7:
          if (k == "auditID") {
            Set(kAuditId, field.value);
          } else if (k == "message") {
            Set(kMessage, field.value);
          } else if (k == "records") {
            Set(kRecords, field.value);
          } else if (k == "awslogs") {
            Set(kAwsLogs, field.value);
          } else if (k == "eventId") {
            Set(kEventId, field.value);
          }
          break;
        case 8:
          if (k == "logGroup") Set(kLogGroup, field.value);
          break;
        case 9:
          if (k == "logEvents") {
            Set(kLogEvents, field.value);
          } else if (k == "logStream") {
            Set(kLogStream, field.value);
          } else if (k == "timestamp") {
            Set(kTimestamp, field.value);
          }
          break;
        case 11:
          if (k == "messageType") Set(kMessageType, field.value);
          break;
        case 13:
          if (k == "logStreamName") Set(kLogStreamName, field.value);
          break;
        default:
          break;
      }
      // An audit event: nothing else matters (events put these two near the front).
      if ((seen & (kAuditId | kStage)) == (kAuditId | kStage)) return;
    }
  }
};

}  // namespace

std::string_view FindAuditId(std::string_view text) {
  std::size_t k = text.find("auditID");
  while (k != std::string_view::npos) {
    std::size_t i = k + 7;
    bool colon = false;
    // Tolerates both raw ("auditID":"x") and escaped (\"auditID\":\"x\") JSON text.
    while (i < text.size() &&
           (text[i] == '"' || text[i] == '\\' || text[i] == ':' || IsJsonSpace(text[i]))) {
      colon = colon || text[i] == ':';
      ++i;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != '"' && text[j] != '\\') ++j;
    if (colon && j > i && j < text.size()) return text.substr(i, j - i);
    k = text.find("auditID", k + 7);
  }
  return {};
}

bool IsCloudWatchTruncated(std::string_view text) {
  constexpr std::string_view kMark = "[Truncated...]";
  text = TrimRight(text);
  return text.size() >= kMark.size() && text.substr(text.size() - kMark.size()) == kMark;
}

EnvelopeDecoder::EnvelopeDecoder(std::size_t max_document_size, Stats& stats)
    : max_document_size_(max_document_size), stats_(stats) {
  // Not set_max_capacity(): simdjson 3.0.1's version clamps to 32 bytes (fixed upstream later).
  for (auto& lv : levels_) lv.parser = simdjson::dom::parser(max_document_size_);
}

void EnvelopeDecoder::Reject(RejectKind kind,
                             std::string_view reason,
                             std::string_view excerpt,
                             const RecordContext& ctx,
                             std::string_view audit_id) {
  ++stats_.rejected[static_cast<std::size_t>(kind)];
  if (sink_ == nullptr) return;
  Rejection r;
  r.kind = kind;
  r.reason = reason;
  r.input = ctx.input;
  r.line = ctx.line;
  r.offset = ctx.offset;
  r.envelope = ctx.envelope;
  r.item_index = ctx.item_index;
  r.audit_id = audit_id;
  r.log_stream = ctx.log_stream;
  r.excerpt = excerpt.substr(0, kMaxExcerptBytes);
  sink_->OnRejected(r);
}

void EnvelopeDecoder::RejectElement(RejectKind kind,
                                    std::string_view reason,
                                    element value,
                                    const RecordContext& ctx,
                                    std::string_view audit_id) {
  if (!ctx.raw.empty()) {
    Reject(kind, reason, ctx.raw, ctx, audit_id);
    return;
  }
  excerpt_ = simdjson::to_string(value);
  if (excerpt_.size() > kMaxExcerptBytes) excerpt_.resize(kMaxExcerptBytes);
  Reject(kind, reason, excerpt_, ctx, audit_id);
}

bool EnvelopeDecoder::DecodeLine(const char* p, std::size_t n, const RecordContext& ctx) {
  std::string_view text(p, n);
  std::size_t i = SkipSpace(text);
  if (i == text.size()) return false;
  char c = text[i];
  if (c == '{' || c == '[') {
    if (c == '{' && prefilter_ != nullptr && SkippedByKeys(p + i, n - i)) return true;
    DecodeJsonAt(p + i, n - i, ctx, 0);
    return true;
  }
  text = TrimRight(text.substr(i));
  // CloudWatch's export-to-S3 text form: "2024-05-01T10:00:00.000Z {...}".
  if (c >= '0' && c <= '9' && text.size() > 11 && text[4] == '-') {
    std::size_t sp = text.find(' ');
    if (sp != std::string_view::npos && sp <= 40) {
      std::size_t j = SkipSpace(text, sp);
      if (j < text.size() && text[j] == '{') {
        RecordContext sub = ctx;
        if (!IsCloudWatch(sub.envelope)) sub.envelope = Envelope::kCloudWatchExport;
        const char* json = text.data() + j;
        DecodeJsonAt(json, static_cast<std::size_t>(p + n - json), sub, 0);
        return true;
      }
    }
  }
  // A subscription payload as a bare line: base64 of gzip ("H4sI") or of JSON ("ey" is '{"').
  if (text.substr(0, 4) == "H4sI" || (text.substr(0, 2) == "ey" && LooksLikeBase64(text))) {
    DecodeBase64(text, ctx, 0);
    return true;
  }
  if (IsCloudWatchTruncated(text)) {
    Reject(RejectKind::kTruncated, "record was truncated ([Truncated...])", text, ctx,
           FindAuditId(text));
    return true;
  }
  Reject(RejectKind::kMalformed, "not JSON: the line does not start with '{' or '['", text, ctx);
  return true;
}

bool EnvelopeDecoder::SkippedByKeys(const char* p, std::size_t n) {
  // The bytes after a line are padding (the DOM parse below relies on it too).
  if (n > max_document_size_ || !key_reader_.Read(p, n, n + simdjson::SIMDJSON_PADDING, keys_)) {
    return false;
  }
  if (prefilter_->MayMatch(keys_)) return false;
  ++stats_.events;
  ++stats_.prefiltered;
  return true;
}

void EnvelopeDecoder::DecodeJsonAt(const char* p,
                                   std::size_t n,
                                   const RecordContext& ctx,
                                   int level) {
  element root;
  auto err = levels_[static_cast<std::size_t>(level)].parser.parse(p, n, false).get(root);
  if (err != simdjson::SUCCESS) {
    std::string_view text(p, n);
    if (IsCloudWatchTruncated(text)) {
      Reject(RejectKind::kTruncated, "event JSON was truncated ([Truncated...])", text, ctx,
             FindAuditId(text));
      return;
    }
    RejectKind kind = KindForError(err);
    if (kind == RejectKind::kTooLarge) {
      reason_ = fmt::format("document of {} bytes is larger than the maximum of {}", n,
                            max_document_size_);
    } else {
      reason_ = fmt::format("invalid JSON: {}", simdjson::error_message(err));
    }
    Reject(kind, reason_, text, ctx, kind == RejectKind::kMalformed ? FindAuditId(text) : "");
    return;
  }
  RecordContext root_ctx = ctx;
  root_ctx.raw = std::string_view(p, n);
  DispatchValue(root, root_ctx, level);
}

void EnvelopeDecoder::DispatchValue(element value, const RecordContext& ctx, int level) {
  switch (value.type()) {
    case simdjson::dom::element_type::OBJECT:
      DispatchObject(value, ctx, level);
      return;
    case simdjson::dom::element_type::ARRAY:
      DispatchArray(value.get_array().value_unsafe(), value, ctx,
                    IsCloudWatch(ctx.envelope) ? ctx.envelope : Envelope::kArray, level);
      return;
    default:
      RejectElement(RejectKind::kNotAnEvent, "not an audit event: not a JSON object", value, ctx);
      return;
  }
}

void EnvelopeDecoder::DispatchArray(simdjson::dom::array items,
                                    element whole,
                                    const RecordContext& ctx,
                                    Envelope envelope,
                                    int level) {
  if (ctx.array_depth >= kMaxArrayDepth) {
    RejectElement(RejectKind::kNotAnEvent, "arrays of envelopes nested too deeply", whole, ctx);
    return;
  }
  // Fluent Bit's `nats` output publishes each record as [timestamp, {record}]: a number
  // (seconds, integer or fractional) and an object.
  if (items.size() == 2) {
    element first = items.at(0).value_unsafe();
    element second = items.at(1).value_unsafe();
    if (first.is_number() && second.is_object()) {
      RecordContext sub = ctx;
      sub.envelope = Envelope::kFluentBit;
      DispatchFluentBitRecord(second, sub, level);
      return;
    }
  }
  RecordContext sub = ctx;
  sub.raw = {};
  sub.envelope = envelope;
  ++sub.array_depth;
  std::int64_t index = 0;
  for (element item : items) {
    sub.item_index = index++;
    DispatchValue(item, sub, level);
  }
}

// True when the object's first member is "kind":"Event", as the API server writes it: then it
// is an event or a broken one, and no envelope scan is needed.
bool StartsAsEvent(simdjson::dom::object obj) {
  auto it = obj.begin();
  if (it == obj.end() || it.key() != "kind") return false;
  std::string_view kind;
  return it.value().get_string().get(kind) == simdjson::SUCCESS && kind == "Event";
}

void EnvelopeDecoder::DispatchObject(element value, const RecordContext& ctx, int level) {
  simdjson::dom::object obj = value.get_object().value_unsafe();
  Shape s;
  bool event_like = StartsAsEvent(obj);
  if (!event_like) s.Scan(obj);

  if (event_like || (s.Has(Shape::kAuditId) && s.Has(Shape::kStage))) {
    auto ev = event::AuditEvent::FromElement(value);
    if (!ev.has_value()) {
      auto id = event::FindKey(value, "auditID");
      RejectElement(RejectKind::kNotAnEvent, ev.error().message, value, ctx,
                    id ? event::AsString(*id) : std::string_view());
      return;
    }
    ++stats_.events;
    if (sink_ == nullptr) return;
    Origin origin;
    origin.input = ctx.input;
    origin.line = ctx.line;
    origin.offset = ctx.offset;
    origin.envelope = ctx.envelope;
    origin.item_index = ctx.item_index;
    origin.log_group = ctx.log_group;
    origin.log_stream = ctx.log_stream;
    origin.cloudwatch_event_id = ctx.event_id;
    origin.cloudwatch_timestamp_ms = ctx.timestamp_ms;
    sink_->OnEvent(*ev, origin);
    return;
  }

  // Subscription-filter payload.
  if (s.Has(Shape::kMessageType) || s.Has(Shape::kLogEvents)) {
    if (s.String(Shape::kMessageType) == "CONTROL_MESSAGE") {
      ++stats_.control_messages;
      return;
    }
    simdjson::dom::array log_events;
    if (!s.Has(Shape::kLogEvents) ||
        s.Get(Shape::kLogEvents).get_array().get(log_events) != simdjson::SUCCESS) {
      RejectElement(RejectKind::kNotAnEvent,
                    "CloudWatch subscription payload has no logEvents array", value, ctx);
      return;
    }
    RecordContext sub = ctx;
    sub.log_group = s.String(Shape::kLogGroup);
    sub.log_stream = s.String(Shape::kLogStream);
    DispatchArray(log_events, s.Get(Shape::kLogEvents), sub, Envelope::kCloudWatchSubscription,
                  level);
    return;
  }

  // EventList (webhook batch), filter-log-events output, Firehose batch.
  struct Wrapper {
    Shape::Bit bit;
    Envelope envelope;
    const char* missing;
  };
  for (const Wrapper& w :
       {Wrapper{Shape::kItems, Envelope::kEventList, "EventList items is not an array"},
        Wrapper{Shape::kEvents, Envelope::kCloudWatchFilter, "CloudWatch events is not an array"},
        Wrapper{Shape::kRecords, Envelope::kCloudWatchSubscription, "records is not an array"}}) {
    if (!s.Has(w.bit)) continue;
    simdjson::dom::array arr;
    if (s.Get(w.bit).get_array().get(arr) != simdjson::SUCCESS) {
      RejectElement(RejectKind::kNotAnEvent, w.missing, value, ctx);
      return;
    }
    Envelope env = w.envelope;
    // Inside a CloudWatch envelope, keep naming the CloudWatch shape that carried the events.
    if (IsCloudWatch(ctx.envelope) && env == Envelope::kEventList) env = ctx.envelope;
    DispatchArray(arr, s.Get(w.bit), ctx, env, level);
    return;
  }

  // Lambda event: {"awslogs":{"data":"<base64>"}}.
  if (s.Has(Shape::kAwsLogs)) {
    auto data = event::FindKey(s.Get(Shape::kAwsLogs), "data");
    std::string_view text = data ? event::AsString(*data) : std::string_view();
    if (text.empty()) {
      RejectElement(RejectKind::kNotAnEvent, "awslogs has no data string", value, ctx);
      return;
    }
    RecordContext sub = ctx;
    sub.envelope = Envelope::kCloudWatchSubscription;
    DecodeBase64(text, sub, level);
    return;
  }

  // A CloudWatch log event: {"timestamp","message",...} or {"id","timestamp","message"}.
  if (s.Has(Shape::kMessage)) {
    RecordContext sub = ctx;
    if (!IsCloudWatch(sub.envelope)) sub.envelope = Envelope::kCloudWatchExport;
    if (s.Has(Shape::kLogStreamName)) {
      sub.log_stream = s.String(Shape::kLogStreamName);
    } else if (s.Has(Shape::kLogStream)) {
      sub.log_stream = s.String(Shape::kLogStream);
    }
    if (s.Has(Shape::kLogGroup)) sub.log_group = s.String(Shape::kLogGroup);
    sub.event_id = s.Has(Shape::kEventId) ? s.String(Shape::kEventId) : s.String(Shape::kId);
    if (s.Has(Shape::kTimestamp)) sub.timestamp_ms = AsInt64(s.Get(Shape::kTimestamp));
    sub.raw = {};
    element message = s.Get(Shape::kMessage);
    std::string_view text;
    if (message.get_string().get(text) == simdjson::SUCCESS) {
      DecodeMessage(text, sub, level);
    } else {
      DispatchValue(message, sub, level);  // some forwarders store the event itself
    }
    return;
  }

  // A Firehose/Kinesis record: {"data":"<base64>", ...}.
  std::string_view data;
  if (s.Has(Shape::kData) && s.Get(Shape::kData).get_string().get(data) == simdjson::SUCCESS) {
    DecodeBase64(data, ctx, level);
    return;
  }

  if (s.Has(Shape::kAuditId) || s.Has(Shape::kStage)) {
    auto ev = event::AuditEvent::FromElement(value);
    RejectElement(RejectKind::kNotAnEvent,
                  ev.has_value() ? std::string_view("not an audit event") : ev.error().message,
                  value, ctx, s.String(Shape::kAuditId));
    return;
  }
  RejectElement(RejectKind::kNotAnEvent, "not an audit event: no auditID and no stage", value, ctx);
}

void EnvelopeDecoder::DispatchFluentBitRecord(element record, const RecordContext& ctx,
                                              int level) {
  simdjson::dom::object obj = record.get_object().value_unsafe();
  if (StartsAsEvent(obj)) {
    DispatchObject(record, ctx, level);
    return;
  }
  std::optional<element> text;
  for (auto field : obj) {
    std::string_view k = field.key;
    if (k == "auditID" || k == "stage") {  // the event itself (with the record's extra keys)
      DispatchObject(record, ctx, level);
      return;
    }
    if ((k == "log" || k == "message") && !text) text = field.value;
  }
  if (!text) {
    RejectElement(RejectKind::kNotAnEvent,
                  "Fluent Bit record is not an audit event and has no log or message member",
                  record, ctx);
    return;
  }
  std::string_view line;
  if (text->get_string().get(line) == simdjson::SUCCESS) {
    RecordContext sub = ctx;
    sub.raw = {};
    DecodeMessage(line, sub, level, "Fluent Bit record's log");
  } else if (text->is_object()) {
    RecordContext sub = ctx;
    sub.raw = {};
    DispatchObject(*text, sub, level);
  } else {
    RejectElement(RejectKind::kNotAnEvent,
                  "Fluent Bit record's log is neither a string nor an object", record, ctx);
  }
}

void EnvelopeDecoder::DecodeMessage(std::string_view message, const RecordContext& ctx, int level,
                                    std::string_view what) {
  if (IsCloudWatchTruncated(message)) {
    reason_ = fmt::format("{} was truncated ([Truncated...])", what);
    Reject(RejectKind::kTruncated, reason_, message, ctx, FindAuditId(message));
    return;
  }
  std::size_t i = SkipSpace(message);
  if (i == message.size() || (message[i] != '{' && message[i] != '[')) {
    reason_ = fmt::format("{} is not JSON", what);
    Reject(RejectKind::kNotAnEvent, reason_, message, ctx);
    return;
  }
  int next = level + 1;
  if (next >= kMaxLevels) {
    Reject(RejectKind::kNotAnEvent, "envelopes nested too deeply", message, ctx);
    return;
  }
  message.remove_prefix(i);
  if (message.size() > max_document_size_) {
    reason_ = fmt::format("{} of {} bytes is larger than the maximum of {}", what,
                          message.size(), max_document_size_);
    Reject(RejectKind::kTooLarge, reason_, message, ctx);
    return;
  }
  Level& lv = levels_[static_cast<std::size_t>(next)];
  lv.doc.Assign(message.data(), message.size());
  DecodeJsonAt(lv.doc.data(), lv.doc.size(), ctx, next);
}

bool EnvelopeDecoder::Inflate(Level& lv, std::string_view compressed, const RecordContext& ctx) {
  lv.gunzip.ResetMemory(compressed);
  lv.doc.Clear();
  constexpr std::size_t kStep = std::size_t{64} << 10;
  while (lv.doc.size() <= max_document_size_) {
    if (lv.doc.size() == lv.doc.capacity()) {
      lv.doc.ReserveExact(std::min(std::max(kStep, lv.doc.capacity() * 2), max_document_size_ + 1));
    }
    auto got = lv.gunzip.Read(lv.doc.data() + lv.doc.size(), lv.doc.capacity() - lv.doc.size());
    if (!got.has_value() || *got == 0) break;
    lv.doc.Resize(lv.doc.size() + *got);
  }
  if (lv.doc.size() > max_document_size_) {
    reason_ = fmt::format("decompressed payload is larger than the maximum of {} bytes",
                          max_document_size_);
    Reject(RejectKind::kTooLarge, reason_, std::string_view(lv.doc.data(), lv.doc.size()), ctx);
    return false;
  }
  if (!lv.gunzip.damage().empty()) {
    reason_ = fmt::format("base64 payload: {}", lv.gunzip.damage());
    Reject(RejectKind::kBadGzip, reason_, std::string_view(lv.doc.data(), lv.doc.size()), ctx);
    return false;
  }
  return true;
}

void EnvelopeDecoder::DecodeBase64(std::string_view text, const RecordContext& ctx, int level) {
  int next = level + 1;
  if (next >= kMaxLevels) {
    Reject(RejectKind::kNotAnEvent, "envelopes nested too deeply", text, ctx);
    return;
  }
  if (text.size() / 4 * 3 > max_document_size_) {
    reason_ = fmt::format("base64 payload of {} bytes is larger than the maximum of {}",
                          text.size(), max_document_size_);
    Reject(RejectKind::kTooLarge, reason_, text, ctx);
    return;
  }
  Level& lv = levels_[static_cast<std::size_t>(next)];
  std::string_view err = Base64Decode(text, lv.scratch);
  if (!err.empty()) {
    Reject(RejectKind::kBadBase64, err, text, ctx);
    return;
  }
  std::string_view json(lv.scratch.data(), lv.scratch.size());
  if (HasGzipMagic(json.data(), json.size())) {
    if (!Inflate(lv, json, ctx)) return;
    json = std::string_view(lv.doc.data(), lv.doc.size());
  }
  std::size_t i = SkipSpace(json);
  if (i == json.size() || (json[i] != '{' && json[i] != '[')) {
    Reject(RejectKind::kBadBase64, "base64 payload decodes to neither gzip nor JSON", text, ctx);
    return;
  }
  DecodeJsonAt(json.data() + i, json.size() - i, ctx, next);
}

HeaderInfo EnvelopeDecoder::ParseHeader(std::string_view head) {
  HeaderInfo info;
  Level& lv = levels_[1];
  lv.doc.Assign(head.data(), head.size());
  lv.doc.Append("}", 1);
  element root;
  if (lv.parser.parse(lv.doc.data(), lv.doc.size(), false).get(root) != simdjson::SUCCESS) {
    return info;
  }
  if (auto v = event::FindKey(root, "messageType")) info.message_type = event::AsString(*v);
  if (auto v = event::FindKey(root, "logGroup")) info.log_group = event::AsString(*v);
  if (auto v = event::FindKey(root, "logStream")) info.log_stream = event::AsString(*v);
  return info;
}

}  // namespace vigil::ingest::internal
