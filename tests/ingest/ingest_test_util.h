// Helpers shared by the ingest tests: a sink that copies everything it is given, gzip and base64
// encoders for building fixtures in the test itself, and small event builders.
#ifndef VIGIL_TESTS_INGEST_INGEST_TEST_UTIL_H_
#define VIGIL_TESTS_INGEST_INGEST_TEST_UTIL_H_

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/event_sink.h"
#include "ingest/reader.h"

namespace vigil::ingest::testing {

struct SeenEvent {
  std::string audit_id;
  std::string stage;
  std::string verb;
  std::string input;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  Envelope envelope = Envelope::kJsonLines;
  std::int64_t item_index = -1;
  std::string log_group;
  std::string log_stream;
  std::string event_id;
  std::int64_t timestamp_ms = 0;
};

struct SeenRejection {
  RejectKind kind = RejectKind::kMalformed;
  std::string reason;
  std::string input;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  Envelope envelope = Envelope::kJsonLines;
  std::int64_t item_index = -1;
  std::string audit_id;
  std::string log_stream;
  std::string excerpt;
};

// Copies every event and rejection, so tests can inspect them after reading.
class CollectingSink : public EventSink {
 public:
  void OnEvent(const event::AuditEvent& ev, const Origin& o) override {
    SeenEvent s;
    s.audit_id = ev.audit_id();
    s.stage = ev.stage_name();
    s.verb = ev.verb();
    s.input = o.input;
    s.line = o.line;
    s.offset = o.offset;
    s.envelope = o.envelope;
    s.item_index = o.item_index;
    s.log_group = o.log_group;
    s.log_stream = o.log_stream;
    s.event_id = o.cloudwatch_event_id;
    s.timestamp_ms = o.cloudwatch_timestamp_ms;
    events.push_back(std::move(s));
  }
  void OnRejected(const Rejection& r) override {
    SeenRejection s;
    s.kind = r.kind;
    s.reason = r.reason;
    s.input = r.input;
    s.line = r.line;
    s.offset = r.offset;
    s.envelope = r.envelope;
    s.item_index = r.item_index;
    s.audit_id = r.audit_id;
    s.log_stream = r.log_stream;
    s.excerpt = r.excerpt;
    rejections.push_back(std::move(s));
  }

  std::vector<std::string> AuditIds() const {
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.audit_id);
    return ids;
  }
  std::size_t CountRejected(RejectKind kind) const {
    std::size_t n = 0;
    for (const auto& r : rejections) n += r.kind == kind;
    return n;
  }

  std::vector<SeenEvent> events;
  std::vector<SeenRejection> rejections;
};

// One gzip member holding `data`.
inline std::string Gzip(std::string_view data, int level = 6) {
  z_stream s{};
  deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, static_cast<uLong>(data.size())) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

inline std::string Base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (data.size() - i == 1) {
    std::uint32_t v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (data.size() - i == 2) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// A compact audit.k8s.io/v1 Event.
inline std::string Event(std::string_view audit_id,
                         std::string_view verb = "get",
                         std::string_view stage = "ResponseComplete") {
  std::string s =
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":")";
  s += audit_id;
  s += R"(","stage":")";
  s += stage;
  s += R"(","requestURI":"/api/v1/namespaces/default/pods","verb":")";
  s += verb;
  s += R"(","user":{"username":"alice","groups":["system:authenticated"]},)";
  s += R"("sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default"},)";
  s += R"("responseStatus":{"code":200},"stageTimestamp":"2024-05-01T10:00:00.000000Z"})";
  return s;
}

// `json` as a JSON string literal body (quotes and backslashes escaped), for CloudWatch messages.
inline std::string JsonEscape(std::string_view json) {
  std::string out;
  for (char c : json) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// A CloudWatch subscription-filter DATA_MESSAGE carrying `events` as messages.
inline std::string SubscriptionPayload(const std::vector<std::string>& events,
                                       std::string_view stream = "kube-apiserver-audit-abc") {
  std::string s =
      R"({"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/eks/prod/cluster","logStream":")";
  s += stream;
  s += R"(","subscriptionFilters":["vigil"],"logEvents":[)";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) s += ',';
    s += R"({"id":"3759)" + std::to_string(i) + R"(","timestamp":1714557600000,"message":")";
    s += JsonEscape(events[i]);
    s += "\"}";
  }
  s += "]}";
  return s;
}

inline std::string ControlPayload() {
  return R"({"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1714557600000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]})";
}

// Reads `data` with a fresh reader and returns what the sink saw.
inline CollectingSink ReadAll(std::string_view data,
                              ReaderOptions options = {},
                              Stats* stats = nullptr) {
  Reader reader(std::move(options));
  CollectingSink sink;
  (void)reader.ReadBuffer(data, "test", sink);
  if (stats != nullptr) *stats = reader.stats();
  return sink;
}

}  // namespace vigil::ingest::testing

#endif  // VIGIL_TESTS_INGEST_INGEST_TEST_UTIL_H_
