// KeyReader: reads an event's index keys with On-Demand, and refuses (false) anything it cannot
// vouch for, so that the reader builds the full tree instead. And the reader's prefilter path:
// events the sink turns down are counted without OnEvent, malformed lines are still rejected.
#include "ingest/event_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/ingest_test_util.h"
#include "ingest/reader.h"

namespace vigil::ingest {
namespace {

class KeyReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!KeyReader::Available()) GTEST_SKIP() << "On-Demand runs on simdjson's fallback kernel";
  }
  // Reads `json` from a padded copy.
  bool Read(const std::string& json) {
    buffer_ = json;
    buffer_.append(simdjson::SIMDJSON_PADDING, ' ');
    return reader_.Read(buffer_.data(), json.size(), buffer_.size(), keys_);
  }
  EventKeys keys_;

 private:
  KeyReader reader_;
  std::string buffer_;
};

const std::string kEvent =
    R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a-1",)"
    R"("stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods/p/exec",)"
    R"("verb":"create","user":{"username":"alice","groups":["dev","system:authenticated"]},)"
    R"("sourceIPs":["10.0.0.1","203.0.113.7"],"objectRef":{"resource":"pods","namespace":)"
    R"("default","name":"p","subresource":"exec"},"requestObject":{"a":[1,{"b":null}]},)"
    R"("stageTimestamp":"2025-06-02T09:00:00.000000Z"})";

TEST_F(KeyReaderTest, ReadsTheIndexKeys) {
  ASSERT_TRUE(Read(kEvent));
  EXPECT_EQ(keys_.audit_id, "a-1");
  EXPECT_EQ(keys_.stage, "ResponseComplete");
  EXPECT_EQ(keys_.verb, "create");
  EXPECT_EQ(keys_.user_name, "alice");
  EXPECT_EQ(keys_.resource, "pods");
  EXPECT_EQ(keys_.subresource, "exec");
  ASSERT_EQ(keys_.groups().size(), 2u);
  EXPECT_EQ(keys_.groups()[1], "system:authenticated");
  ASSERT_EQ(keys_.source_ips().size(), 2u);
  EXPECT_EQ(keys_.source_ips()[1], "203.0.113.7");
  EXPECT_TRUE(keys_.has_time());
}

TEST_F(KeyReaderTest, AbsentMembersReadAsEmpty) {
  ASSERT_TRUE(Read(R"({"auditID":"a","stage":"Panic"})"));
  EXPECT_EQ(keys_.verb, "");
  EXPECT_EQ(keys_.user_name, "");
  EXPECT_TRUE(keys_.groups().empty());
  EXPECT_FALSE(keys_.has_time());
  ASSERT_TRUE(Read(R"({"auditID":"a","stage":"Panic","stageTimestamp":"not a time"})"));
  EXPECT_FALSE(keys_.has_time());
}

TEST_F(KeyReaderTest, UnescapesValues) {
  ASSERT_TRUE(Read(R"({"auditID":"a","stage":"ResponseComplete","user":{"username":"al\u0069ce"}})"));
  EXPECT_EQ(keys_.user_name, "alice");
}

TEST_F(KeyReaderTest, RefusesWhatOnlyTheFullParseDecides) {
  const std::vector<std::string> refused = {
      R"({"stage":"ResponseComplete"})",                          // no auditID
      R"({"auditID":"","stage":"ResponseComplete"})",             // empty auditID
      R"({"auditID":"a"})",                                       // no stage
      R"({"auditID":"a","stage":"ResponseComplete","verb":7})",   // not a string
      R"({"auditID":"a","stage":"x","verb":"get","verb":"list"})",  // duplicate member
      R"({"auditID":"a","st\u0061ge":"ResponseComplete"})",       // escaped key
      R"({"auditID":"a","stage":"x","user":{"username":["u"]}})",
      R"({"auditID":"a","stage":"x","user":{"groups":"g"}})",
      R"({"auditID":"a","stage":"x","sourceIPs":[1]})",
      R"({"auditID":"a","stage":"x"} {"more":1})",                // trailing document
      R"({"auditID":"a","stage":"x","requestObject":{"a":[1,2}})",  // bad nesting
      R"({"auditID":"a","stage":"x","requestObject":{"a":1})",    // cut short
      R"(["not an object"])",
  };
  for (const std::string& json : refused) EXPECT_FALSE(Read(json)) << json;
}

// The search for the end of a key or string value looks at 16 bytes at a time: strings of every
// length up to three blocks, with an escaped quote or backslash at every position, read as the
// full parse reads them, and a key with an escape anywhere is refused.
TEST_F(KeyReaderTest, StringsOfEveryLengthWithAnEscapeAnywhere) {
  const std::string head = R"({"auditID":"a","stage":"s",)";
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string plain(n, 'x');
    ASSERT_TRUE(Read(head + R"("user":{"username":")" + plain + R"("}})")) << n;
    EXPECT_EQ(keys_.user_name, plain);
    ASSERT_TRUE(Read(head + '"' + plain + R"(":1})")) << n;  // a key no rule reads
    for (std::size_t at = 0; at < n; ++at) {
      for (const std::string escape : {R"(\")", R"(\\)"}) {
        std::string raw = plain;
        raw.replace(at, 1, escape);
        std::string unescaped = plain;
        unescaped[at] = escape[1];
        ASSERT_TRUE(Read(head + R"("user":{"username":")" + raw + R"("}})")) << raw;
        EXPECT_EQ(keys_.user_name, unescaped) << raw;
      }
      std::string key = plain;
      key.replace(at, 1, R"(\u0078)");
      EXPECT_FALSE(Read(head + '"' + key + R"(":1})")) << key;
    }
  }
}

// An event as an API server writes it: every index key before the request and response bodies,
// the timestamps after them. A faster key reader may stop reading after objectRef; these pin what
// it must still do with the rest of the line.
const std::string kHead =
    R"({"kind":"Event","auditID":"a-2","stage":"ResponseComplete","verb":"create",)"
    R"("user":{"username":"bob","groups":["dev"]},"sourceIPs":["10.0.0.2"],)"
    R"("objectRef":{"resource":"pods","namespace":"default","name":"p"})";

TEST_F(KeyReaderTest, ReadsTimestampsAfterTheBodies) {
  ASSERT_TRUE(Read(kHead + R"(,"requestObject":{"spec":{"a":[1,{"b":"}]"}]}},)" +
                   R"("requestReceivedTimestamp":"2025-06-02T09:00:00.000000Z",)" +
                   R"("annotations":{"k":"v"}})"));
  EXPECT_EQ(keys_.user_name, "bob");
  EXPECT_EQ(keys_.resource, "pods");
  EXPECT_TRUE(keys_.has_time());
  ASSERT_TRUE(Read(kHead + R"(,"requestObject":{"a":1}})"));
  EXPECT_FALSE(keys_.has_time());
  ASSERT_TRUE(Read(kHead + R"(,"stageTimestamp":"not a time","timestamp":"2025-06-02T09:00:00Z"})"));
  EXPECT_TRUE(keys_.has_time());
}

TEST_F(KeyReaderTest, TheEpochIsNoTime) {
  // As AuditEvent::time(): the first timestamp that parses decides, and the epoch reads as 0.
  ASSERT_TRUE(Read(kHead + R"(,"stageTimestamp":"1970-01-01T00:00:00Z","timestamp":"2025-06-02T09:00:00Z"})"));
  EXPECT_FALSE(keys_.has_time());
  ASSERT_TRUE(Read(kHead + R"(,"stageTimestamp":"1970-01-01T00:00:00.000000001Z"})"));
  EXPECT_TRUE(keys_.has_time());
}

// TimeCheck gives has_time()'s answer, including right after a prefix it remembers.
TEST_F(KeyReaderTest, TimeCheckAgreesWithHasTime) {
  const std::vector<std::string> times = {
      "2025-06-02T09:00:00.000001Z", "2025-06-02T09:00:00.5Z",     "2025-06-02T09:00:00Z",
      "2025-06-02T09:00:00.Z",       "2025-06-02T09:00:00.5+01:00", "2025-06-02T09:00:00.5",
      "2025-06-02T09:00:00.5x",      "2025-06-02T09:00:00.5z",      "2025-06-02T09:00:00",
      "1970-01-01T00:00:00Z",        "1970-01-01T00:00:00Z",        "1970-01-01T00:00:00.1Z",
      "1969-12-31T23:59:60Z",        "2025-06-02T09:00:01.1Z",      "2025-06-02T09:00:01.1Z",
      "2025-13-02T09:00:01.1Z",      "soon",                        "",
  };
  TimeCheck check;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& t : times) {
      ASSERT_TRUE(Read(kHead + R"(,"stageTimestamp":")" + t + R"("})"));
      EXPECT_EQ(check.HasTime(keys_), keys_.has_time()) << t;
    }
  }
}

TEST_F(KeyReaderTest, ReadsOnlyTheOptionalKeysAskedFor) {
  KeyReader reader;
  reader.set_needs({.groups = false, .source_ips = false, .times = false});
  std::string buffer = kEvent;
  buffer.append(simdjson::SIMDJSON_PADDING, ' ');
  EventKeys keys;
  ASSERT_TRUE(reader.Read(buffer.data(), kEvent.size(), buffer.size(), keys));
  EXPECT_EQ(keys.user_name, "alice");
  EXPECT_EQ(keys.subresource, "exec");
  EXPECT_TRUE(keys.groups().empty());
  EXPECT_TRUE(keys.source_ips().empty());
  EXPECT_FALSE(keys.has_time());
  // What it does not read it does not refuse either.
  const std::string odd = R"({"auditID":"a","stage":"x","sourceIPs":[1],"user":{"groups":"g"}})";
  buffer = odd;
  buffer.append(simdjson::SIMDJSON_PADDING, ' ');
  EXPECT_TRUE(reader.Read(buffer.data(), odd.size(), buffer.size(), keys));
}

TEST_F(KeyReaderTest, RefusesACutOrRunOnLineAfterTheIndexKeys) {
  const std::vector<std::string> refused = {
      kHead,                                                   // cut right after objectRef
      kHead + R"(,"requestObject":{"a":{"b":1}})",             // cut after an inner '}'
      kHead + R"(,"requestObject":{"a":[1,{"b":2}]})",         // cut after an inner '}'
      kHead + R"(,"requestObject":{"a":[1,2]}}})",             // one '}' too many
      kHead + R"(,"requestObject":{"a":[1,2}})",               // one bracket too few
      kHead + R"(})" + R"({"auditID":"b","stage":"x"})",       // two documents on a line
      kHead + R"(,"requestObject":{"a":"unclosed}})",          // a string left open
      kHead + R"(,"requestObject":{"a":1}} x)",                // trailing bytes
  };
  for (const std::string& json : refused) EXPECT_FALSE(Read(json)) << json;
}

// A prefilter that turns down every event whose verb is "get".
class NoGets : public testing::CollectingSink, public EventPrefilter {
 public:
  EventPrefilter* prefilter() override { return this; }
  bool MayMatch(const EventKeys& keys) override {
    ++asked;
    return keys.verb != "get";
  }
  int asked = 0;
};

std::string Line(const std::string& id, const std::string& verb) {
  return R"({"kind":"Event","auditID":")" + id + R"(","stage":"ResponseComplete","verb":")" +
         verb + R"("})";
}

TEST(ReaderPrefilterTest, CountsTurnedDownEventsWithoutDecodingThem) {
  if (!KeyReader::Available()) GTEST_SKIP() << "On-Demand runs on simdjson's fallback kernel";
  const std::string input = Line("1", "get") + "\n" + Line("2", "create") + "\n" +
                            R"({"kind":"Event","auditID":"3","stage":"Resp)" + "\n" +
                            Line("4", "get") + "\n";
  NoGets sink;
  Reader reader;
  ASSERT_TRUE(reader.ReadBuffer(input, "mem", sink).has_value());
  EXPECT_EQ(sink.AuditIds(), std::vector<std::string>({"2"}));
  EXPECT_EQ(reader.stats().events, 3u);
  EXPECT_EQ(reader.stats().prefiltered, 2u);
  ASSERT_EQ(sink.rejections.size(), 1u);  // the cut line is still rejected, with its line
  EXPECT_EQ(sink.rejections[0].line, 3u);
  EXPECT_EQ(sink.asked, 3);
}

TEST(ReaderPrefilterTest, ValidateAllBuildsEveryEvent) {
  const std::string input = Line("1", "get") + "\n" + Line("2", "create") + "\n";
  NoGets sink;
  ReaderOptions options;
  options.validate_all = true;
  Reader reader(options);
  ASSERT_TRUE(reader.ReadBuffer(input, "mem", sink).has_value());
  EXPECT_EQ(sink.AuditIds(), std::vector<std::string>({"1", "2"}));
  EXPECT_EQ(reader.stats().prefiltered, 0u);
  EXPECT_EQ(sink.asked, 0);
}

}  // namespace
}  // namespace vigil::ingest
