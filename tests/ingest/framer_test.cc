#include "ingest/framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::ingest::internal {
namespace {

struct Seen {
  Frame::Kind kind;
  std::string text;
  std::uint64_t line;
  Container container;
  std::int64_t index;
};

// Feeds `input` to a framer `chunk` bytes at a time, keeping only what keep_from() asks for, the
// way the Reader does.
std::vector<Seen> Frames(std::string_view input,
                         std::size_t chunk,
                         bool line_mode = false,
                         std::size_t max = 1 << 20) {
  DocumentFramer framer;
  framer.Start(0, 1, line_mode, max);
  std::string window;
  std::uint64_t base = 0;
  std::size_t fed = 0;
  std::vector<Seen> out;
  for (int guard = 0; guard < 1000000; ++guard) {
    bool eof = fed == input.size();
    window.reserve(window.size() + 64);
    Frame f = framer.Next(window.data(), base, base + window.size(), eof);
    if (f.kind == Frame::Kind::kNeedMore) {
      std::uint64_t keep = framer.keep_from();
      EXPECT_GE(keep, base);
      window.erase(0, keep - base);
      base = keep;
      std::size_t n = std::min(chunk, input.size() - fed);
      window.append(input.substr(fed, n));
      fed += n;
      continue;
    }
    if (f.kind == Frame::Kind::kEnd || f.kind == Frame::Kind::kDone) {
      out.push_back({f.kind, "", f.line, f.container, f.index});
      break;
    }
    out.push_back(
        {f.kind, window.substr(f.begin - base, f.end - f.begin), f.line, f.container, f.index});
  }
  return out;
}

TEST(DocumentFramerTest, FramesConcatenatedDocumentsAndStreamsArrays) {
  std::string input = "{\"a\": \"}{[\\\"\"}\n[\n 1, \"x]\", {\"b\": [1, 2]}, [3]\n]\n{\"c\": 1}";
  for (std::size_t chunk : {1, 2, 5, 1000}) {
    auto f = Frames(input, chunk);
    ASSERT_EQ(f.size(), 7u) << chunk;
    EXPECT_EQ(f[0].text, "{\"a\": \"}{[\\\"\"}");
    EXPECT_EQ(f[0].container, Container::kNone);
    EXPECT_EQ(f[1].text, "1");
    EXPECT_EQ(f[1].container, Container::kArray);
    EXPECT_EQ(f[1].line, 3u);
    EXPECT_EQ(f[2].text, "\"x]\"");
    EXPECT_EQ(f[3].text, "{\"b\": [1, 2]}");
    EXPECT_EQ(f[4].text, "[3]");
    EXPECT_EQ(f[4].index, 3);
    EXPECT_EQ(f[5].text, "{\"c\": 1}");
    EXPECT_EQ(f[5].line, 5u);
    EXPECT_EQ(f[6].kind, Frame::Kind::kEnd);
  }
}

TEST(DocumentFramerTest, EmitsTheHeadBeforeAStreamedArray) {
  std::string input =
      "{\"messageType\": \"DATA_MESSAGE\", \"logStream\": \"s\", \"logEvents\": [{\"id\": 1}, "
      "{\"id\": 2}], \"tail\": {\"items\": 1}}";
  auto f = Frames(input, 3);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].kind, Frame::Kind::kHeader);
  EXPECT_EQ(f[0].text + "}", "{\"messageType\": \"DATA_MESSAGE\", \"logStream\": \"s\"}");
  EXPECT_EQ(f[0].container, Container::kLogEvents);
  EXPECT_EQ(f[1].text, "{\"id\": 1}");
  EXPECT_EQ(f[2].text, "{\"id\": 2}");
  EXPECT_EQ(f[2].container, Container::kLogEvents);
  EXPECT_EQ(f[3].kind, Frame::Kind::kEnd);
}

TEST(DocumentFramerTest, HeadOfAFirstMemberArrayIsAnEmptyObject) {
  auto f = Frames("{\"items\": [{}]}", 1000);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].text + "}", "{}");
  EXPECT_EQ(f[0].container, Container::kItems);
}

TEST(DocumentFramerTest, LineModeStopsAtTheNewline) {
  auto f = Frames("[1, 2]   \n{\"x\":1}", 4, /*line_mode=*/true);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].text, "1");
  EXPECT_EQ(f[1].text, "2");
  EXPECT_EQ(f[2].kind, Frame::Kind::kDone);
}

TEST(DocumentFramerTest, LineModeRejectsAValueThatRunsPastItsLine) {
  auto f = Frames("{\"a\": 1,\n\"b\": 2}\n", 4, /*line_mode=*/true);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].kind, Frame::Kind::kReject);
  EXPECT_EQ(f[1].kind, Frame::Kind::kDone);
}

TEST(DocumentFramerTest, RejectsOversizeElementsAndSkipsThemByStructure) {
  std::string input = "[{\"a\": \"" + std::string(300, 'x') + "\"}, {\"b\": 1}]";
  auto f = Frames(input, 16, false, 100);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].kind, Frame::Kind::kReject);
  EXPECT_EQ(f[0].index, 0);
  EXPECT_EQ(f[1].text, "{\"b\": 1}");
  EXPECT_EQ(f[1].index, 1);
}

TEST(DocumentFramerTest, OversizeDocumentResyncsAtTheNextColumnZeroOpener) {
  std::string input = "{\n  \"a\": \"" + std::string(300, 'x') + "\"\n}\n{\"b\": 1}\n";
  auto f = Frames(input, 16, false, 100);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].kind, Frame::Kind::kReject);
  EXPECT_EQ(f[0].text.size(), 100u);  // excerpt capped by the smaller of 512 and the maximum
  EXPECT_EQ(f[1].text, "{\"b\": 1}");
  EXPECT_EQ(f[1].line, 4u);
}

TEST(DocumentFramerTest, UnclosedArrayAtEndOfInputIsOneRejection) {
  auto f = Frames("[{\"a\":1},\n{\"b\":", 3);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].text, "{\"a\":1}");
  EXPECT_EQ(f[1].kind, Frame::Kind::kReject);
  EXPECT_EQ(f[1].line, 2u);
  EXPECT_EQ(f[2].kind, Frame::Kind::kEnd);
}

}  // namespace
}  // namespace vigil::ingest::internal
