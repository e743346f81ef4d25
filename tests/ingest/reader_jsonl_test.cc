// JSON lines: the log backend's format, bad lines, oversize lines, chunk boundaries, files, pipes
// and the memory bound.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "ingest/reader.h"
#include "ingest_test_util.h"

namespace vigil::ingest {
namespace {

using testing::CollectingSink;
using ::testing::ElementsAre;
using testing::Event;
using testing::ReadAll;

TEST(ReaderJsonLinesTest, ReadsV1V1beta1AndEventsWithoutApiVersion) {
  std::string data =
      Event("a1") + "\n" +
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","level":"Metadata","timestamp":"2018-10-26T13:38:34Z","auditID":"b1","stage":"ResponseComplete","verb":"list","metadata":{"creationTimestamp":"2018-10-26T13:38:34Z"}})"
      "\n"
      R"({"auditID":"c1","stage":"RequestReceived","verb":"watch"})"
      "\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a1", "b1", "c1"));
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(sink.events[1].verb, "list");
  EXPECT_EQ(sink.events[2].stage, "RequestReceived");
  EXPECT_EQ(sink.events[0].line, 1u);
  EXPECT_EQ(sink.events[1].line, 2u);
  EXPECT_EQ(sink.events[2].line, 3u);
  EXPECT_EQ(sink.events[0].offset, 0u);
  EXPECT_EQ(sink.events[1].offset, Event("a1").size() + 1);
  EXPECT_EQ(sink.events[0].envelope, Envelope::kJsonLines);
  EXPECT_EQ(sink.events[0].input, "test");
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.records, 3u);
  EXPECT_EQ(stats.bytes_read, data.size());
  EXPECT_EQ(stats.bytes_decoded, data.size());
  EXPECT_EQ(stats.inputs, 1u);
}

TEST(ReaderJsonLinesTest, SkipsBlankLinesCrLfAndByteOrderMark) {
  std::string data =
      "\xEF\xBB\xBF" + Event("a") + "\r\n\r\n   \n\t\n" + Event("b") + "\r\n" + Event("c");
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(sink.events[1].line, 5u);
  EXPECT_EQ(sink.events[2].line, 6u);
  EXPECT_EQ(stats.records, 3u);
}

TEST(ReaderJsonLinesTest, EmptyInputIsNotAnError) {
  Stats stats;
  CollectingSink sink = ReadAll("", {}, &stats);
  EXPECT_TRUE(sink.events.empty());
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(stats.inputs, 1u);
}

// Every bad-input case of the issue, one per line between good events: each is one rejection
// with its reason, line and offset, and no good event is lost.
TEST(ReaderJsonLinesTest, RejectsEachBadLineAndKeepsReading) {
  std::string deep(3000, '[');
  std::string lines[] = {
      Event("ok1"),
      R"({"kind":"Event","auditID":"x", "stage":)",                   // 2 malformed
      "this is not json at all",                                      // 3 malformed (not JSON)
      R"({"kind":"Event","stage":"ResponseComplete","verb":"get"})",  // 4 no auditID
      R"({"kind":"Event","auditID":"no-stage","verb":"get"})",        // 5 no stage
      R"({"kind":0})",                                                // 6 not an event
      deep + std::string(3000, ']'),                                  // 7 too deep
      "{\"auditID\":\"u\",\"stage\":\"ResponseComplete\",\"verb\":\"g\xff\xfe\"}",  // 8 bad UTF-8
      "H4sIAAAAAAAA!!notbase64",                                                    // 9 bad base64
      "42",  // 10 not JSON object
      Event("ok2"),
  };
  std::string data;
  for (const auto& l : lines) data += l + "\n";
  Stats stats;
  CollectingSink sink = ReadAll(data, {}, &stats);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("ok1", "ok2"));
  ASSERT_EQ(sink.rejections.size(), 9u);
  struct Want {
    RejectKind kind;
    std::uint64_t line;
    std::string_view reason_part;
  };
  Want want[] = {
      {RejectKind::kMalformed, 2, "invalid JSON"},   {RejectKind::kMalformed, 3, "not JSON"},
      {RejectKind::kNotAnEvent, 4, "auditID"},       {RejectKind::kNotAnEvent, 5, "stage"},
      {RejectKind::kNotAnEvent, 6, "no auditID"},    {RejectKind::kTooDeep, 7, "invalid JSON"},
      {RejectKind::kInvalidUtf8, 8, "invalid JSON"}, {RejectKind::kBadBase64, 9, "base64"},
      {RejectKind::kMalformed, 10, "not JSON"},
  };
  std::uint64_t offset = 0;
  std::size_t li = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    const auto& r = sink.rejections[i];
    while (li + 1 < want[i].line) offset += lines[li++].size() + 1;
    EXPECT_EQ(r.kind, want[i].kind) << i << " " << r.reason;
    EXPECT_EQ(r.line, want[i].line) << i;
    EXPECT_EQ(r.offset, offset) << i;
    EXPECT_NE(r.reason.find(want[i].reason_part), std::string::npos) << i << ": " << r.reason;
    EXPECT_EQ(r.input, "test");
    EXPECT_LE(r.excerpt.size(), kMaxExcerptBytes);
    EXPECT_FALSE(r.excerpt.empty()) << i;
  }
  EXPECT_EQ(sink.rejections[4].excerpt, R"({"kind":0})");
  EXPECT_EQ(sink.rejections[3].audit_id, "no-stage");
  EXPECT_EQ(stats.rejected_of(RejectKind::kMalformed), 3u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kNotAnEvent), 3u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kTooDeep), 1u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kInvalidUtf8), 1u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kBadBase64), 1u);
  EXPECT_EQ(stats.rejected_total(), 9u);
  EXPECT_EQ(stats.records, 11u);
  EXPECT_EQ(stats.events, 2u);
}

TEST(ReaderJsonLinesTest, MalformedLineShowsItsAuditIdWhenVisible) {
  CollectingSink sink = ReadAll(R"({"auditID":"cut-1","stage":"Respo)"
                                "\n");
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].audit_id, "cut-1");
}

TEST(ReaderJsonLinesTest, ExcerptIsCappedAt512Bytes) {
  std::string big = "not json " + std::string(4000, 'x');
  CollectingSink sink = ReadAll(big + "\n" + Event("a") + "\n");
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].excerpt.size(), kMaxExcerptBytes);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a"));
}

std::string BigEvent(std::string_view id, std::size_t payload) {
  std::string e = Event(id);
  e.pop_back();
  e += R"(,"requestObject":{"kind":"ConfigMap","data":{"blob":")" + std::string(payload, 'x') +
       "\"}}}";
  return e;
}

TEST(ReaderJsonLinesTest, AcceptsAFiveMegabyteEventAndGrowsTheBufferForIt) {
  ReaderOptions options;
  options.chunk_size = 64 << 10;
  Reader reader(options);
  CollectingSink sink;
  std::string data = Event("a") + "\n" + BigEvent("big", 5 << 20) + "\n" + Event("b") + "\n";
  ASSERT_TRUE(reader.ReadBuffer(data, "big", sink).has_value());
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a", "big", "b"));
  EXPECT_GE(reader.buffer_capacity(), std::size_t{5} << 20);
  EXPECT_LE(reader.buffer_capacity(), options.max_document_size + 1);
}

TEST(ReaderJsonLinesTest, RejectsALineLargerThanTheMaximumAndSkipsToTheNextLine) {
  ReaderOptions options;
  options.chunk_size = 4096;
  options.max_document_size = 1 << 20;
  Reader reader(options);
  CollectingSink sink;
  std::string data = Event("a") + "\n" + BigEvent("big", 5 << 20) + "\n" + Event("b") + "\n";
  ASSERT_TRUE(reader.ReadBuffer(data, "big", sink).has_value());
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a", "b"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kTooLarge);
  EXPECT_EQ(sink.rejections[0].line, 2u);
  EXPECT_EQ(sink.rejections[0].offset, Event("a").size() + 1);
  EXPECT_EQ(sink.events[1].line, 3u);
  EXPECT_LE(reader.buffer_capacity(), options.max_document_size + 1);
  EXPECT_EQ(reader.stats().rejected_of(RejectKind::kTooLarge), 1u);
}

TEST(ReaderJsonLinesTest, RejectsAnOverlongNonJsonLineAsTooLarge) {
  ReaderOptions options;
  options.chunk_size = 1024;
  options.max_document_size = 4096;
  CollectingSink sink =
      ReadAll(Event("a") + "\n" + std::string(100000, 'z') + "\n" + Event("b") + "\n", options);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a", "b"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kTooLarge);
  EXPECT_EQ(sink.rejections[0].line, 2u);
  EXPECT_EQ(sink.events[1].line, 3u);
}

// Lines straddle chunk boundaries at every position: the result must not depend on the chunk
// size, down to one byte.
TEST(ReaderJsonLinesTest, ResultDoesNotDependOnChunkSize) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    data += Event("e" + std::to_string(i), i % 3 == 0 ? "list" : "get");
    data += i % 7 == 0 ? "\r\n" : "\n";
    if (i % 9 == 0) data += "garbage line\n\n";
  }
  data += Event("last");  // no final newline
  CollectingSink reference = ReadAll(data);
  ASSERT_EQ(reference.events.size(), 41u);
  ASSERT_EQ(reference.rejections.size(), 5u);
  for (std::size_t chunk : {1, 2, 3, 7, 64, 255, 256, 257, 1000}) {
    ReaderOptions options;
    options.chunk_size = chunk;
    CollectingSink sink = ReadAll(data, options);
    ASSERT_EQ(sink.events.size(), reference.events.size()) << chunk;
    ASSERT_EQ(sink.rejections.size(), reference.rejections.size()) << chunk;
    for (std::size_t i = 0; i < sink.events.size(); ++i) {
      EXPECT_EQ(sink.events[i].audit_id, reference.events[i].audit_id) << chunk;
      EXPECT_EQ(sink.events[i].line, reference.events[i].line) << chunk;
      EXPECT_EQ(sink.events[i].offset, reference.events[i].offset) << chunk;
    }
    for (std::size_t i = 0; i < sink.rejections.size(); ++i) {
      EXPECT_EQ(sink.rejections[i].line, reference.rejections[i].line) << chunk;
      EXPECT_EQ(sink.rejections[i].excerpt, reference.rejections[i].excerpt) << chunk;
    }
  }
}

TEST(ReaderJsonLinesTest, FirstLineCutStaysJsonLines) {
  // An open first line followed by a line starting with '{' is a cut JSON-lines record, not a
  // pretty-printed document.
  std::string data = R"({"kind":"Event","auditID":"cut","stage":"ResponseComplete","objectRef":{)"
                     "\n" +
                     Event("a") + "\n" + Event("b") + "\n";
  CollectingSink sink = ReadAll(data);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("a", "b"));
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kMalformed);
  EXPECT_EQ(sink.rejections[0].line, 1u);
}

TEST(ReaderJsonLinesTest, ReadsTheCloudWatchExportTextForm) {
  std::string data = "2024-05-01T10:00:00.123Z " + Event("s3") + "\n";
  CollectingSink sink = ReadAll(data);
  ASSERT_THAT(sink.AuditIds(), ElementsAre("s3"));
  EXPECT_EQ(sink.events[0].envelope, Envelope::kCloudWatchExport);
}

class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    char name[] = "/tmp/vigil_ingest_XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = write(fd, content.data() + done, content.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ReaderFileTest, ReadsAFileAndNamesItInOrigins) {
  TempFile f(Event("f1") + "\n" + Event("f2") + "\n");
  Reader reader;
  CollectingSink sink;
  ASSERT_TRUE(reader.ReadFile(f.path(), sink).has_value());
  EXPECT_THAT(sink.AuditIds(), ElementsAre("f1", "f2"));
  EXPECT_EQ(sink.events[0].input, f.path());
}

TEST(ReaderFileTest, MissingFileIsAnIoError) {
  Reader reader;
  CollectingSink sink;
  Status s = reader.ReadFile("/nonexistent/vigil/audit.log", sink);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().pos.file, "/nonexistent/vigil/audit.log");
}

TEST(ReaderFileTest, DirectoryIsAnIoError) {
  Reader reader;
  CollectingSink sink;
  Status s = reader.ReadFile("/tmp", sink);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
}

TEST(ReaderFileTest, ReportsProgressWithTheFileSize) {
  std::string data;
  for (int i = 0; i < 2000; ++i) data += Event("p" + std::to_string(i)) + "\n";
  TempFile f(data);
  ReaderOptions options;
  options.chunk_size = 4096;
  options.progress_interval = 64 << 10;
  std::vector<Progress> seen;
  options.progress = [&](const Progress& p) { seen.push_back(p); };
  Reader reader(options);
  CollectingSink sink;
  ASSERT_TRUE(reader.ReadFile(f.path(), sink).has_value());
  ASSERT_GE(seen.size(), data.size() / (64 << 10));
  for (std::size_t i = 1; i < seen.size(); ++i)
    EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done);
  EXPECT_EQ(seen.back().bytes_done, data.size());
  EXPECT_EQ(seen.back().bytes_total, data.size());
}

// Writes `data` into a pipe from another thread, so ReadFd sees short reads like stdin does.
void ReadThroughPipe(Reader& reader,
                     const std::string& data,
                     CollectingSink& sink,
                     Status* status) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < data.size()) {
      std::size_t n = std::min<std::size_t>(data.size() - done, 777);
      ssize_t w = write(fds[1], data.data() + done, n);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    close(fds[1]);
  });
  *status = reader.ReadFd(fds[0], "-", sink);
  writer.join();
  close(fds[0]);
}

TEST(ReaderFdTest, ReadsStdinLikePipe) {
  std::string data;
  for (int i = 0; i < 500; ++i) data += Event("s" + std::to_string(i)) + "\n";
  Reader reader;
  CollectingSink sink;
  Status status;
  ReadThroughPipe(reader, data, sink, &status);
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(sink.events.size(), 500u);
  EXPECT_EQ(sink.events[499].audit_id, "s499");
  EXPECT_EQ(sink.events[499].line, 500u);
  EXPECT_EQ(sink.events[0].input, "-");
}

TEST(ReaderFdTest, ReadsANonBlockingPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  std::string data = Event("nb1") + "\n" + Event("nb2") + "\n";
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (void)!write(fds[1], data.data(), 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (void)!write(fds[1], data.data() + 10, data.size() - 10);
    close(fds[1]);
  });
  Reader reader;
  CollectingSink sink;
  Status s = reader.ReadFd(fds[0], "nb", sink);
  writer.join();
  close(fds[0]);
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(sink.AuditIds(), ElementsAre("nb1", "nb2"));
}

// Memory stays flat: a large input through a pipe never grows the chunk buffer past one chunk
// when every record fits in one. (Not timed; checks the buffer, which is what would grow.)
TEST(ReaderMemoryTest, BufferStaysBoundedForALargeInput) {
  ReaderOptions options;
  options.chunk_size = 64 << 10;
  Reader reader(options);
  std::string block;
  for (int i = 0; i < 1000; ++i) block += Event("m" + std::to_string(i)) + "\n";
  std::string data;
  while (data.size() < (48u << 20)) data += block;  // ~48 MiB, 750 chunk sizes
  CollectingSink sink;
  class CountingSink : public EventSink {
   public:
    void OnEvent(const event::AuditEvent&, const Origin&) override { ++events; }
    void OnRejected(const Rejection&) override { ++rejected; }
    std::size_t events = 0;
    std::size_t rejected = 0;
  } counting;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t w =
          write(fds[1], data.data() + done, std::min<std::size_t>(data.size() - done, 1 << 20));
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    close(fds[1]);
  });
  Status s = reader.ReadFd(fds[0], "big", counting);
  writer.join();
  close(fds[0]);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(counting.rejected, 0u);
  EXPECT_EQ(counting.events, data.size() / block.size() * 1000);
  EXPECT_EQ(reader.buffer_capacity(), options.chunk_size);
  EXPECT_EQ(reader.stats().bytes_read, data.size());
}

TEST(ReaderMemoryTest, ReaderIsReusableAcrossInputsAndCountsThemAll) {
  Reader reader;
  CollectingSink sink;
  ASSERT_TRUE(reader.ReadBuffer(Event("r1") + "\n", "one", sink).has_value());
  ASSERT_TRUE(reader.ReadBuffer("[" + Event("r2") + ",\n" + Event("r3") + "\n]\n", "two", sink)
                  .has_value());
  ASSERT_TRUE(reader.ReadBuffer(Event("r4"), "three", sink).has_value());
  EXPECT_THAT(sink.AuditIds(), ElementsAre("r1", "r2", "r3", "r4"));
  EXPECT_EQ(sink.events[3].input, "three");
  EXPECT_EQ(reader.stats().inputs, 3u);
  EXPECT_EQ(reader.stats().events, 4u);
  reader.ResetStats();
  EXPECT_EQ(reader.stats().events, 0u);
}

}  // namespace
}  // namespace vigil::ingest
