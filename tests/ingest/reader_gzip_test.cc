// gzip inputs: detected by content, streamed, multi-member, and damaged streams.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "ingest/reader.h"
#include "ingest_test_util.h"

namespace vigil::ingest {
namespace {

using testing::CollectingSink;
using ::testing::ElementsAre;
using testing::Event;
using testing::Gzip;
using testing::ReadAll;

std::string Lines(std::string_view prefix, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += Event(std::string(prefix) + std::to_string(i)) + "\n";
  return s;
}

TEST(ReaderGzipTest, DetectsGzipByContentAndCountsBothByteKinds) {
  std::string plain = Lines("z", 100);
  std::string gz = Gzip(plain);
  Stats stats;
  CollectingSink sink = ReadAll(gz, {}, &stats);
  ASSERT_EQ(sink.events.size(), 100u);
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(sink.events[99].line, 100u);
  EXPECT_EQ(stats.bytes_read, gz.size());
  EXPECT_EQ(stats.bytes_decoded, plain.size());
  EXPECT_EQ(stats.gzip_members, 1u);
}

TEST(ReaderGzipTest, ReadsMultiMemberStreamsAtAnyChunkSize) {
  // Members split mid-line: the line continues across the member boundary.
  std::string plain = Lines("m", 30);
  std::string gz =
      Gzip(plain.substr(0, 1000)) + Gzip(plain.substr(1000, 3333)) + Gzip(plain.substr(4333));
  for (std::size_t chunk : {1, 7, 512, 1 << 20}) {
    ReaderOptions options;
    options.chunk_size = chunk;
    Stats stats;
    CollectingSink sink = ReadAll(gz, options, &stats);
    ASSERT_EQ(sink.events.size(), 30u) << chunk;
    EXPECT_TRUE(sink.rejections.empty()) << chunk;
    EXPECT_EQ(sink.events[29].audit_id, "m29");
    EXPECT_EQ(stats.gzip_members, 3u);
    EXPECT_EQ(stats.bytes_decoded, plain.size());
  }
}

TEST(ReaderGzipTest, TruncatedGzipKeepsWhatWasInflatedAndReportsTheCut) {
  std::string plain = Lines("t", 200);
  std::string gz = Gzip(plain);
  std::string cut = gz.substr(0, gz.size() / 2);
  Stats stats;
  CollectingSink sink = ReadAll(cut, {}, &stats);
  ASSERT_GT(sink.events.size(), 10u);
  EXPECT_LT(sink.events.size(), 200u);
  for (std::size_t i = 0; i < sink.events.size(); ++i) {
    EXPECT_EQ(sink.events[i].audit_id, "t" + std::to_string(i));
  }
  // One rejection for the partial line the cut left (unless it fell exactly on a line end),
  // then one for the stream, always last.
  ASSERT_GE(sink.rejections.size(), 1u);
  ASSERT_LE(sink.rejections.size(), 2u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kBadGzip), 1u);
  const auto& gzip_rej = sink.rejections.back();
  EXPECT_EQ(gzip_rej.kind, RejectKind::kBadGzip);
  EXPECT_NE(gzip_rej.reason.find("truncated"), std::string::npos);
  EXPECT_EQ(gzip_rej.line, 0u);
  EXPECT_EQ(gzip_rej.offset, stats.bytes_decoded);
  if (sink.rejections.size() == 2) {
    EXPECT_EQ(sink.rejections[0].kind, RejectKind::kMalformed);
    EXPECT_EQ(sink.rejections[0].line, sink.events.size() + 1);
  }
}

TEST(ReaderGzipTest, TruncatedHeaderOnlyIsOneRejection) {
  Stats stats;
  CollectingSink sink = ReadAll(std::string("\x1f\x8b", 2), {}, &stats);
  EXPECT_TRUE(sink.events.empty());
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kBadGzip);
}

TEST(ReaderGzipTest, CorruptDeflateDataIsReported) {
  std::string gz = Gzip(Lines("c", 50), 1);
  for (std::size_t i = gz.size() / 2; i < gz.size() / 2 + 40; ++i)
    gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  Stats stats;
  CollectingSink sink = ReadAll(gz, {}, &stats);
  EXPECT_LT(sink.events.size(), 50u);
  EXPECT_EQ(stats.rejected_of(RejectKind::kBadGzip), 1u);
}

TEST(ReaderGzipTest, TrailingGarbageIsReportedAndTrailingZerosAreNot) {
  std::string gz = Gzip(Lines("g", 3));
  Stats stats;
  CollectingSink sink = ReadAll(gz + "garbage", {}, &stats);
  EXPECT_EQ(sink.events.size(), 3u);
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kBadGzip);
  EXPECT_NE(sink.rejections[0].reason.find("not another gzip member"), std::string::npos);

  CollectingSink zeros = ReadAll(gz + std::string(1024, '\0'));
  EXPECT_EQ(zeros.events.size(), 3u);
  EXPECT_TRUE(zeros.rejections.empty());
}

TEST(ReaderGzipTest, ReadsPrettyDocumentsInsideGzip) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) +
                   "/tests/data/ingest/cloudwatch_filter_pages.json");
  std::stringstream ss;
  ss << in.rdbuf();
  ReaderOptions options;
  options.chunk_size = 300;
  CollectingSink sink = ReadAll(Gzip(ss.str()), options);
  EXPECT_THAT(sink.AuditIds(), ElementsAre("cw-0001", "cw-0002", "cw-0004", "cw-0005", "cw-0006"));
  EXPECT_EQ(sink.rejections.size(), 2u);
}

TEST(ReaderGzipTest, StreamsALargeGzipPipeWithABoundedBuffer) {
  std::string block = Lines("b", 1000);
  std::string plain;
  while (plain.size() < (24u << 20)) plain += block;
  std::string gz = Gzip(plain, 1);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < gz.size()) {
      ssize_t w = write(fds[1], gz.data() + done, std::min<std::size_t>(gz.size() - done, 65536));
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    close(fds[1]);
  });
  ReaderOptions options;
  options.chunk_size = 32 << 10;
  Reader reader(options);
  struct Counter : EventSink {
    void OnEvent(const event::AuditEvent&, const Origin&) override { ++events; }
    void OnRejected(const Rejection&) override { ++rejected; }
    std::size_t events = 0, rejected = 0;
  } counter;
  Status s = reader.ReadFd(fds[0], "-", counter);
  writer.join();
  close(fds[0]);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(counter.rejected, 0u);
  EXPECT_EQ(counter.events, plain.size() / block.size() * 1000);
  EXPECT_EQ(reader.buffer_capacity(), options.chunk_size);
  EXPECT_EQ(reader.stats().bytes_decoded, plain.size());
  EXPECT_EQ(reader.stats().bytes_read, gz.size());
}

}  // namespace
}  // namespace vigil::ingest
