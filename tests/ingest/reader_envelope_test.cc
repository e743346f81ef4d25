// Envelopes: EventList, plain arrays, pretty-printed and concatenated documents, the CloudWatch
// shapes (filter-log-events output, exported records, subscription payloads) and Fluent Bit's
// [timestamp, {record}] pairs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "ingest/reader.h"
#include "ingest_test_util.h"

namespace vigil::ingest {
namespace {

using testing::Base64;
using testing::CollectingSink;
using testing::ControlPayload;
using ::testing::ElementsAre;
using testing::Event;
using testing::Gzip;
using testing::JsonEscape;
using testing::ReadAll;
using testing::SubscriptionPayload;

std::string Fixture(std::string_view name) {
  return std::string(VIGIL_SOURCE_DIR) + "/tests/data/ingest/" + std::string(name);
}

CollectingSink ReadFixture(std::string_view name,
                           ReaderOptions options = {},
                           Stats* stats = nullptr) {
  Reader reader(std::move(options));
  CollectingSink sink;
  Status s = reader.ReadFile(Fixture(name), sink);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  if (stats != nullptr) *stats = reader.stats();
  return sink;
}

std::string EventList(const std::vector<std::string>& items) {
  std::string s = R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}

TEST(ReaderEventListTest, ReadsAnEventListLineAndKeepsGoodItemsAroundABadOne) {
  std::string data =
      EventList({Event("l1"), R"({"kind":"Event","stage":"ResponseComplete"})", Event("l2")}) +
      "\n" + Event("after") + "\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("l1", "l2", "after"));
  EXPECT_EQ(sink.events[0].envelope, Envelope::kEventList);
  EXPECT_EQ(sink.events[0].item_index, 0);
  EXPECT_EQ(sink.events[1].item_index, 2);
  EXPECT_EQ(sink.events[1].line, 1u);
  EXPECT_EQ(sink.events[2].envelope, Envelope::kJsonLines);
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kNotAnEvent);
  EXPECT_EQ(sink.rejections[0].item_index, 1);
  EXPECT_EQ(sink.rejections[0].envelope, Envelope::kEventList);
  EXPECT_EQ(sink.rejections[0].excerpt, R"({"kind":"Event","stage":"ResponseComplete"})");
  EXPECT_EQ(stats.records, 2u);
}

TEST(ReaderEventListTest, ReadsAPrettyPrintedEventList) {
  Stats stats;
  CollectingSink sink = ReadFixture("eventlist_pretty.json", {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("cw-0010", "cw-0011", "cw-0012"));
  for (const auto& e : sink.events) EXPECT_EQ(e.envelope, Envelope::kEventList);
  EXPECT_EQ(sink.events[0].item_index, 0);
  EXPECT_EQ(sink.events[1].item_index, 2);
  EXPECT_EQ(sink.events[0].line, 6u);  // items are streamed one by one, each with its line
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kNotAnEvent);
  EXPECT_EQ(sink.rejections[0].item_index, 1);
  EXPECT_EQ(stats.records, 4u);
}

TEST(ReaderArrayTest, ReadsArraysOnOneLineOnePerLineAndPretty) {
  std::string one_line = "[" + Event("a1") + "," + Event("a2") + "]\n";
  std::string per_line = "[\n" + Event("b1") + ",\n" + Event("b2") + "\n]\n";
  std::string first_inline = "[" + Event("c1") + ",\n" + Event("c2") + ",\n" + Event("c3") + "]\n";
  EXPECT_THAT(ReadAll(one_line).AuditIds(), ElementsAre("a1", "a2"));
  EXPECT_THAT(ReadAll(per_line).AuditIds(), ElementsAre("b1", "b2"));
  CollectingSink sink = ReadAll(first_inline);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("c1", "c2", "c3"));
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(sink.events[2].envelope, Envelope::kArray);
  EXPECT_EQ(sink.events[2].item_index, 2);
  EXPECT_EQ(sink.events[2].line, 3u);

  CollectingSink pretty = ReadFixture("array_indent0.json");
  EXPECT_THAT(pretty.AuditIds(), ElementsAre("cw-0020", "cw-0021", "cw-0022"));
  EXPECT_TRUE(pretty.rejections.empty());
}

TEST(ReaderDocumentsTest, ReadsConcatenatedPrettyDocuments) {
  std::string data =
      "{\n  \"kind\": \"Event\",\n  \"auditID\": \"p1\",\n  \"stage\": \"ResponseComplete\"\n}\n"
      "{\n  \"auditID\": \"p2\",\n  \"stage\": "
      "\"ResponseComplete\"\n}{\"auditID\":\"p3\",\"stage\":\"Panic\"}\n";
  CollectingSink sink = ReadAll(data);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("p1", "p2", "p3"));
  EXPECT_EQ(sink.events[0].line, 1u);
  EXPECT_EQ(sink.events[1].line, 6u);
  EXPECT_EQ(sink.events[2].line, 9u);
  EXPECT_TRUE(sink.rejections.empty());
}

TEST(ReaderDocumentsTest, RecoversAtTheNextColumnZeroDocumentAfterACutOne) {
  // p1 is cut inside a string; p2 starts at column 0 and must survive. Text between documents
  // is rejected line by line; stray closers are ignored.
  std::string data =
      "{\n  \"auditID\": \"p0\",\n  \"stage\": \"ResponseComplete\"\n}\n"
      "{\n  \"auditID\": \"p1\",\n  \"stage\": \"Respon\n"
      "{\n  \"auditID\": \"p2\",\n  \"stage\": \"ResponseComplete\"\n}\n"
      "some text\n]\n"
      "{\n  \"auditID\": \"p3\",\n  \"stage\": \"ResponseComplete\",\n  \"verb\": \"get\",\n"
      "{\n  \"auditID\": \"p4\",\n  \"stage\": \"ResponseComplete\"\n}\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("p0", "p2", "p4"));
  ASSERT_EQ(sink.rejections.size(), 3u);
  EXPECT_EQ(sink.rejections[0].line, 5u);
  EXPECT_NE(sink.rejections[0].reason.find("line break inside a JSON string"), std::string::npos);
  EXPECT_EQ(sink.rejections[1].line, 12u);
  EXPECT_EQ(sink.rejections[1].excerpt, "some text");
  EXPECT_EQ(sink.rejections[2].line, 14u);
  EXPECT_NE(sink.rejections[2].reason.find("member name"), std::string::npos);
  EXPECT_EQ(stats.rejected_of(RejectKind::kMalformed), 3u);
  // Every chunk size gives the same answer.
  for (std::size_t chunk : {1, 5, 16, 100}) {
    ReaderOptions options;
    options.chunk_size = chunk;
    CollectingSink s = ReadAll(data, options);
    EXPECT_THAT(s.AuditIds(), ElementsAre("p0", "p2", "p4")) << chunk;
    EXPECT_EQ(s.rejections.size(), 3u) << chunk;
  }
}

// Column-0 openers nested inside a document that breaks at its very end: each rewind would
// rescan to the same break, quadratic in the number of lines. Recovery rewinds once.
TEST(ReaderDocumentsTest, RecoveryFromNestedBrokenDocumentsIsLinear) {
  std::string data = "{\"a\":[";
  for (int i = 0; i < 200000; ++i) data += "\n[";
  data += "\n\"broken\n" + Event("after") + "\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("after"));
  ASSERT_EQ(sink.rejections.size(), 2u);
  EXPECT_EQ(sink.rejections[0].line, 1u);
  EXPECT_EQ(sink.rejections[1].line, 3u);
  EXPECT_EQ(sink.events[0].line, 200003u);
}

TEST(ReaderDocumentsTest, ReportsADocumentCutByTheEndOfInput) {
  std::string data =
      "{\n  \"auditID\": \"p0\",\n  \"stage\": \"ResponseComplete\"\n}\n{\n  \"auditID\": "
      "\"p1\",\n";
  CollectingSink sink = ReadAll(data);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("p0"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kMalformed);
  EXPECT_EQ(sink.rejections[0].line, 5u);
}

TEST(ReaderStreamingTest, StreamsAOneLineEventListLargerThanTheMaximumDocument) {
  std::vector<std::string> items;
  for (int i = 0; i < 50; ++i) items.push_back(Event("big" + std::to_string(i)));
  items[7] = R"({"kind":"Event","auditID":"x"})";  // bad item
  items[9] = "{\"auditID\":\"huge\",\"stage\":\"ResponseComplete\",\"blob\":\"" +
             std::string(5000, 'y') + "\"}";
  std::string data = Event("first") + "\n" + EventList(items) + "\n" + Event("last") + "\n";
  for (std::size_t chunk : {1 << 20, 512, 100}) {
    ReaderOptions options;
    options.max_document_size = 2048;
    options.chunk_size = chunk;
    Reader reader(options);
    CollectingSink sink;
    ASSERT_TRUE(reader.ReadBuffer(data, "stream", sink).has_value());
    ASSERT_EQ(sink.events.size(), 50u) << chunk;  // 48 items + first + last
    EXPECT_EQ(sink.events.front().audit_id, "first");
    EXPECT_EQ(sink.events[1].envelope, Envelope::kEventList);
    EXPECT_EQ(sink.events[1].line, 2u);
    EXPECT_EQ(sink.events.back().audit_id, "last");
    EXPECT_EQ(sink.events.back().line, 3u);
    ASSERT_EQ(sink.rejections.size(), 2u) << chunk;
    EXPECT_EQ(sink.rejections[0].kind, RejectKind::kNotAnEvent);
    EXPECT_EQ(sink.rejections[0].item_index, 7);
    EXPECT_EQ(sink.rejections[1].kind, RejectKind::kTooLarge);
    EXPECT_EQ(sink.rejections[1].item_index, 9);
    EXPECT_LE(reader.buffer_capacity(), std::max<std::size_t>(chunk, 2049));
  }
}

TEST(ReaderStreamingTest, RejectsAnOverlongLineThatIsNotAStreamableEnvelope) {
  ReaderOptions options;
  options.max_document_size = 1024;
  options.chunk_size = 256;
  std::string big = "{\"auditID\":\"huge\",\"stage\":\"ResponseComplete\",\"blob\":\"" +
                    std::string(5000, 'y') + "\"}";
  CollectingSink sink = ReadAll(big + "\n" + Event("after") + "\n", options);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("after"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kTooLarge);
}

TEST(ReaderCloudWatchTest, ReadsPaginatedFilterLogEventsOutput) {
  Stats stats;
  CollectingSink sink = ReadFixture("cloudwatch_filter_pages.json", {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("cw-0001", "cw-0002", "cw-0004", "cw-0005", "cw-0006"));
  for (const auto& e : sink.events) EXPECT_EQ(e.envelope, Envelope::kCloudWatchFilter);
  EXPECT_EQ(sink.events[0].log_stream, "kube-apiserver-audit-0a1b2c3d4e5f");
  EXPECT_EQ(sink.events[1].log_stream, "kube-apiserver-audit-9f8e7d6c5b4a");
  EXPECT_EQ(sink.events[0].event_id, "37590000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(sink.events[0].timestamp_ms, 1714557600000);
  EXPECT_EQ(sink.events[0].line, 3u);
  EXPECT_EQ(sink.events[2].item_index, 0);  // the message was an EventList: index within it
  EXPECT_EQ(sink.events[3].item_index, 1);
  ASSERT_EQ(sink.rejections.size(), 2u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kTruncated);
  EXPECT_EQ(sink.rejections[0].audit_id, "cw-0003");
  EXPECT_EQ(sink.rejections[0].log_stream, "kube-apiserver-audit-0a1b2c3d4e5f");
  EXPECT_EQ(sink.rejections[1].kind, RejectKind::kNotAnEvent);
  EXPECT_NE(sink.rejections[1].reason.find("not JSON"), std::string::npos);
  EXPECT_EQ(stats.truncated(), 1u);
  EXPECT_EQ(stats.records, 6u);
  // Framing must not depend on where chunks end.
  for (std::size_t chunk : {1, 3, 64, 1000}) {
    ReaderOptions options;
    options.chunk_size = chunk;
    CollectingSink s = ReadFixture("cloudwatch_filter_pages.json", options);
    EXPECT_EQ(s.AuditIds(), sink.AuditIds()) << chunk;
    EXPECT_EQ(s.rejections.size(), 2u) << chunk;
  }
}

TEST(ReaderCloudWatchTest, ReadsCompactFilterLogEventsOutput) {
  std::string data =
      R"({"events":[{"logStreamName":"s1","timestamp":1,"message":")" + JsonEscape(Event("c1")) +
      R"(","ingestionTime":2,"eventId":"e1"}],"searchedLogStreams":[],"nextToken":"t"})"
      "\n";
  CollectingSink sink = ReadAll(data);
  ASSERT_THAT(sink.AuditIds(), ElementsAre("c1"));
  EXPECT_EQ(sink.events[0].envelope, Envelope::kCloudWatchFilter);
  EXPECT_EQ(sink.events[0].log_stream, "s1");
  EXPECT_EQ(sink.events[0].event_id, "e1");
}

TEST(ReaderCloudWatchTest, ReadsExportedJsonLinesRecords) {
  Stats stats;
  CollectingSink sink = ReadFixture("cloudwatch_export.jsonl", {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("cw-0030", "cw-0031"));
  EXPECT_EQ(sink.events[0].envelope, Envelope::kCloudWatchExport);
  EXPECT_EQ(sink.events[1].log_stream, "kube-apiserver-audit-9f8e7d6c5b4a");
  EXPECT_EQ(sink.events[1].timestamp_ms, 1714557600001);
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kTruncated);
  EXPECT_EQ(sink.rejections[0].audit_id, "cw-0032");
  EXPECT_EQ(sink.rejections[0].line, 3u);
  EXPECT_EQ(stats.truncated(), 1u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kMalformed), 0u);
}

TEST(ReaderCloudWatchTest, TruncatedMessageWithoutVisibleAuditId) {
  std::string data =
      R"({"timestamp":1,"message":"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"lev[Truncated...]"})"
      "\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kTruncated);
  EXPECT_EQ(sink.rejections[0].audit_id, "");
  EXPECT_EQ(stats.truncated(), 1u);
}

TEST(ReaderCloudWatchTest, ReadsAMessageHeldAsAnObject) {
  std::string data = R"({"timestamp":1,"message":)" + Event("obj") + "}\n";
  CollectingSink sink = ReadAll(data);
  ASSERT_THAT(sink.AuditIds(), ElementsAre("obj"));
  EXPECT_EQ(sink.events[0].envelope, Envelope::kCloudWatchExport);
}

TEST(ReaderSubscriptionTest, ReadsBase64GzipLinesLambdaAndFirehoseShapes) {
  std::string payload = SubscriptionPayload({Event("s1"), Event("s2")}, "stream-x");
  std::string b64 = Base64(Gzip(payload));
  std::string data = b64 + "\n" +                                  // bare line
                     R"({"awslogs":{"data":")" + b64 + "\"}}\n" +  // Lambda
                     R"({"records":[{"recordId":"1","data":")" + b64 + R"("},{"data":")" +
                     Base64(Gzip(ControlPayload())) + "\"}]}\n" +  // Firehose
                     Base64(payload) + "\n";                       // base64 JSON
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("s1", "s2", "s1", "s2", "s1", "s2", "s1", "s2"));
  EXPECT_TRUE(sink.rejections.empty()) << sink.rejections[0].reason;
  for (const auto& e : sink.events) {
    EXPECT_EQ(e.envelope, Envelope::kCloudWatchSubscription);
    EXPECT_EQ(e.log_stream, "stream-x");
    EXPECT_EQ(e.log_group, "/aws/eks/prod/cluster");
    EXPECT_EQ(e.timestamp_ms, 1714557600000);
  }
  EXPECT_EQ(sink.events[1].event_id, "37591");
  EXPECT_EQ(sink.events[1].item_index, 1);
  EXPECT_EQ(sink.events[4].line, 3u);
  EXPECT_EQ(stats.control_messages, 1u);
}

TEST(ReaderSubscriptionTest, ReadsRawGzipPayloadAndCountsControlMessages) {
  std::string data = Gzip(SubscriptionPayload({Event("g1")}) + "\n" + ControlPayload() + "\n");
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("g1"));
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(stats.control_messages, 1u);
  EXPECT_EQ(stats.gzip_members, 1u);
}

TEST(ReaderSubscriptionTest, ReadsAPrettyPrintedPayloadUsingItsHead) {
  std::string data =
      "{\n  \"messageType\": \"DATA_MESSAGE\",\n  \"logGroup\": \"/aws/eks/dev/cluster\",\n"
      "  \"logStream\": \"kube-apiserver-audit-1\",\n  \"logEvents\": [\n    {\n      \"id\": "
      "\"1\",\n"
      "      \"timestamp\": 5,\n      \"message\": \"" +
      JsonEscape(Event("pp")) +
      "\"\n    }\n  ]\n}\n"
      "{\n  \"messageType\": \"CONTROL_MESSAGE\",\n  \"logEvents\": [\n    {\"id\": \"\", "
      "\"message\": \"CWL CONTROL MESSAGE\"}\n  ]\n}\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  ASSERT_THAT(sink.AuditIds(), ElementsAre("pp"));
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(sink.events[0].log_group, "/aws/eks/dev/cluster");
  EXPECT_EQ(sink.events[0].log_stream, "kube-apiserver-audit-1");
  EXPECT_EQ(sink.events[0].event_id, "1");
  EXPECT_EQ(sink.events[0].line, 6u);
  EXPECT_EQ(stats.control_messages, 1u);
}

TEST(ReaderSubscriptionTest, RejectsBadBase64AndBadGzipPayloads) {
  std::string gz = Gzip(SubscriptionPayload({Event("t1")}));
  std::string cut = Base64(gz.substr(0, gz.size() / 2));
  std::string data = std::string("H4sI@@@@\n") +  // bad base64 character
                     R"({"awslogs":{"data":"H4sIA"}})"
                     "\n" +  // dangling base64
                     cut +
                     "\n" +  // truncated gzip
                     R"({"awslogs":{"data":")" + Base64("hello world, plain text") + "\"}}\n" +
                     Event("ok") + "\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("ok"));
  ASSERT_EQ(sink.rejections.size(), 4u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kBadBase64);
  EXPECT_EQ(sink.rejections[1].kind, RejectKind::kBadBase64);
  EXPECT_EQ(sink.rejections[1].line, 2u);
  EXPECT_EQ(sink.rejections[2].kind, RejectKind::kBadGzip);
  EXPECT_NE(sink.rejections[2].reason.find("truncated"), std::string::npos);
  EXPECT_EQ(sink.rejections[3].kind, RejectKind::kBadBase64);
  EXPECT_EQ(stats.rejected_of(RejectKind::kBadBase64), 3u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kBadGzip), 1u);
}

TEST(ReaderSubscriptionTest, SubscriptionWithoutLogEventsIsRejected) {
  CollectingSink sink = ReadAll(R"({"messageType":"DATA_MESSAGE","logEvents":"nope"})"
                                "\n");
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kNotAnEvent);
}

TEST(ReaderEnvelopeTest, BoundsNestedEnvelopes) {
  // A message holding a record holding a message ... deeper than the decoder's levels.
  std::string inner = Event("deep");
  for (int i = 0; i < 6; ++i) inner = R"({"timestamp":1,"message":")" + JsonEscape(inner) + "\"}";
  CollectingSink sink = ReadAll(inner + "\n" + Event("shallow") + "\n");
  EXPECT_THAT(sink.AuditIds(), ElementsAre("shallow"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_NE(sink.rejections[0].reason.find("nested too deeply"), std::string::npos);
}

TEST(ReaderEnvelopeTest, RejectsPantherWrappersAsNonEvents) {
  std::string data =
      R"({"rule_id":"Amazon.EKS.AnonymousAPIAccess","test_name":"x","expected_result":true,"log":)" +
      Event("wrapped") + "}\n";
  CollectingSink sink = ReadAll(data);
  EXPECT_TRUE(sink.events.empty());
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kNotAnEvent);
}

// Fluent Bit's `nats` output publishes each chunk as [[timestamp, {record}], ...]; a JetStream
// worker reads one chunk per message, one per line. The record is the event itself (a JSON
// parser on the input) or carries its text in `log` (tail input) or `message`.
TEST(ReaderFluentBitTest, ReadsChunksOfTimestampRecordPairs) {
  std::string data = "[[1457108504," + Event("fb1") + "],[1457108505.25," + Event("fb2") +
                     "]]\n" +
                     R"([[1700000000.5,{"log":")" + JsonEscape(Event("fb3")) +
                     R"(\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}],)" +
                     R"([1700000001,{"message":")" + JsonEscape(Event("fb4")) +
                     R"(","kubernetes":{"pod_name":"kube-apiserver"}}]])" + "\n" +
                     "[[1700000002," + Event("fb5") + "]]\n";  // a chunk of one record
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("fb1", "fb2", "fb3", "fb4", "fb5"));
  for (const auto& e : sink.events) EXPECT_EQ(e.envelope, Envelope::kFluentBit);
  EXPECT_EQ(sink.events[0].item_index, 0);
  EXPECT_EQ(sink.events[1].item_index, 1);
  EXPECT_EQ(sink.events[3].line, 2u);  // lines count from 1
  EXPECT_TRUE(sink.rejections.empty()) << sink.rejections[0].reason;
  EXPECT_EQ(EnvelopeName(Envelope::kFluentBit), "fluent-bit");
}

TEST(ReaderFluentBitTest, RejectsBadRecordsSayingWhyAndKeepsTheGoodOnes) {
  const std::string cut = Event("cut").substr(0, 60);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"([[1,{"log":"not json at all"}]])", "Fluent Bit record's log is not JSON"},
      {R"([[1,{"level":"info","msg":"hello"}]])", "has no log or message member"},
      {R"([[1,{"log":42}]])", "neither a string nor an object"},
      {R"([[1,{"log":")" + JsonEscape(cut) + R"("}]])", "invalid JSON"},
      {R"([[1,{"log":"{\"kind\":\"Event\",\"auditID\":\"x\"}"}]])", "stage"},
      {R"([[1,{"log":"[Truncated...]"}]])", "truncated"},
  };
  std::string data = "[[1," + Event("good1") + "]]\n";
  for (const auto& [line, reason] : bad) data += line + "\n";
  data += "[[2," + Event("good2") + "]]\n";
  CollectingSink sink = ReadAll(data);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("good1", "good2"));
  ASSERT_EQ(sink.rejections.size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_NE(sink.rejections[i].reason.find(bad[i].second), std::string::npos)
        << i << ": " << sink.rejections[i].reason;
    EXPECT_EQ(sink.rejections[i].envelope, Envelope::kFluentBit) << i;
    EXPECT_EQ(sink.rejections[i].line, i + 2);
  }
}

// Arrays that only look like pairs go the ordinary way: each element on its own.
TEST(ReaderFluentBitTest, OtherArraysAreNotTakenForPairs) {
  std::string data = R"([["1457108504",)" + Event("str-ts") + "]]\n" +  // a string timestamp
                     "[[1," + Event("three") + ",3]]\n" +             // three elements
                     "[[1]]\n[[1,2]]\n[[]]\n";
  CollectingSink sink = ReadAll(data);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("str-ts", "three"));
  for (const auto& e : sink.events) EXPECT_EQ(e.envelope, Envelope::kArray);
  for (const auto& r : sink.rejections) EXPECT_EQ(r.kind, RejectKind::kNotAnEvent);
  EXPECT_EQ(sink.rejections.size(), 6u);  // "1457108504", 1, 3, 1, 1, 2
}

TEST(ReaderFluentBitTest, BoundsRecordsNestedInRecords) {
  std::string inner = Event("deep");
  for (int i = 0; i < 6; ++i) inner = R"([[1,{"log":")" + JsonEscape(inner) + "\"}]]";
  CollectingSink sink = ReadAll(inner + "\n[[1," + Event("shallow") + "]]\n");
  EXPECT_THAT(sink.AuditIds(), ElementsAre("shallow"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_NE(sink.rejections[0].reason.find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace vigil::ingest
