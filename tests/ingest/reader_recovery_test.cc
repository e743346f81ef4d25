// Recovery from bad input: a malformed record never hides the good records after it, in JSON
// lines and in JSON documents mode, whatever the chunk size (see "Framing and recovery" in
// ingest/reader.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "ingest/reader.h"
#include "ingest_test_util.h"

namespace vigil::ingest {
namespace {

using testing::CollectingSink;
using ::testing::ElementsAre;
using testing::Event;

struct Outcome {
  std::vector<std::string> ids;
  std::vector<std::pair<RejectKind, std::uint64_t>> rejections;  // kind, line
  std::vector<std::int64_t> reject_items;
};

// Reads `data` with several chunk sizes; every one must give the same events and rejections.
Outcome ReadEveryWay(const std::string& data) {
  Outcome first;
  bool have_first = false;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64},
                            std::size_t{4096}, std::size_t{1} << 20}) {
    ReaderOptions options;
    options.chunk_size = chunk;
    CollectingSink sink = testing::ReadAll(data, options);
    Outcome o;
    o.ids = sink.AuditIds();
    for (const auto& r : sink.rejections) {
      o.rejections.emplace_back(r.kind, r.line);
      o.reject_items.push_back(r.item_index);
    }
    if (!have_first) {
      first = o;
      have_first = true;
      continue;
    }
    EXPECT_EQ(o.ids, first.ids) << "chunk " << chunk;
    EXPECT_EQ(o.rejections, first.rejections) << "chunk " << chunk;
    EXPECT_EQ(o.reject_items, first.reject_items) << "chunk " << chunk;
  }
  return first;
}

// A pretty-printed (multi-line, two-space indented) Event document.
std::string PrettyEvent(const std::string& id) {
  return "{\n  \"kind\": \"Event\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"auditID\": \"" +
         id +
         "\",\n  \"stage\": \"ResponseComplete\",\n  \"verb\": \"get\",\n  \"user\": {\n"
         "    \"username\": \"u\"\n  },\n  \"objectRef\": {\n    \"resource\": \"pods\"\n  },\n"
         "  \"responseStatus\": {\n    \"code\": 200\n  },\n"
         "  \"stageTimestamp\": \"2024-01-01T00:00:00Z\"\n}\n";
}

constexpr char kUnclosed[] = R"({"kind":"Event","auditID":"x")";

using Rej = std::pair<RejectKind, std::uint64_t>;

TEST(ReaderRecoveryTest, UnclosedFirstLineThenTextThenEvent) {
  // The end-to-end bug: this used to be framed as one JSON document running to the end of the
  // input, rejected whole, with the event after it lost.
  std::string data =
      std::string(kUnclosed) + "\nnot json\n" +
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a-1","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"objectRef":{"resource":"pods"},"responseStatus":{"code":200},"stageTimestamp":"2024-01-01T00:00:00Z"})"
      "\n";
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("a-1"));
  EXPECT_THAT(o.rejections,
              ElementsAre(Rej{RejectKind::kMalformed, 1}, Rej{RejectKind::kMalformed, 2}));
}

TEST(ReaderRecoveryTest, UnclosedFirstLineThenEventLines) {
  std::string data = std::string(kUnclosed) + "\n" + Event("a") + "\n" + Event("b") + "\n";
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("a", "b"));
  EXPECT_THAT(o.rejections, ElementsAre(Rej{RejectKind::kMalformed, 1}));
}

TEST(ReaderRecoveryTest, UnclosedFirstLineEndingInAColonThenTextThenEvents) {
  // "this" could start "true": the whole word decides.
  std::string data = R"({"kind":"Event","auditID":"m-1","verb":)"
                     "\nthis is not JSON at all\n" +
                     Event("a") + "\n" + Event("b") + "\n";
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("a", "b"));
  EXPECT_THAT(o.rejections,
              ElementsAre(Rej{RejectKind::kMalformed, 1}, Rej{RejectKind::kMalformed, 2}));
}

TEST(ReaderRecoveryTest, PrettyEventListThenGarbageThenAnotherDocument) {
  std::string data =
      "{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n"
      "  \"items\": [\n    " +
      Event("p1") + ",\n    " + Event("p2") +
      "\n  ]\n}\n"      // lines 1-8
      "garbage here\n"  // line 9
      + PrettyEvent("p3");
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("p1", "p2", "p3"));
  EXPECT_THAT(o.rejections, ElementsAre(Rej{RejectKind::kMalformed, 9}));
}

TEST(ReaderRecoveryTest, InputEndingInsideAPrettyDocumentKeepsTheDocumentsBeforeIt) {
  std::string data = PrettyEvent("d1") + PrettyEvent("d2") + PrettyEvent("d3");
  std::uint64_t cut_line = 1 + 3 * 17;  // PrettyEvent is 17 lines
  data += "{\n  \"kind\": \"Event\",\n  \"auditID\": \"cut\",\n  \"user\": {\n";
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("d1", "d2", "d3"));
  EXPECT_THAT(o.rejections, ElementsAre(Rej{RejectKind::kMalformed, cut_line}));
}

TEST(ReaderRecoveryTest, DocumentOpenAtEndOfInputGivesBackTheDocumentsItSwallowed) {
  // Documents mode (pretty first document); an unclosed one-line document then swallows every
  // later document, which balance inside it, up to the end of the input. Reading resumes at the
  // next line after its first line that starts with '{'.
  std::string data =
      PrettyEvent("d1") + kUnclosed + "\nnot json\n" + PrettyEvent("d2") + Event("d3") + "\n";
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("d1", "d2", "d3"));
  EXPECT_THAT(o.rejections, ElementsAre(Rej{RejectKind::kMalformed, 18}));
}

TEST(ReaderRecoveryTest, ElementOpenAtEndOfInputGivesBackTheDocumentsItSwallowed) {
  // The open element's last member takes the next line as its value, so the input is still valid
  // JSON up to its end (documents mode) and the element swallows that line's event.
  std::string data = "[\n  " + Event("a") +
                     ",\n  {\"kind\": \"Event\", \"auditID\": \"cut\", \"x\":\n" + Event("b") +
                     "\n";
  Outcome o = ReadEveryWay(data);
  EXPECT_THAT(o.ids, ElementsAre("a", "b"));
  EXPECT_THAT(o.rejections, ElementsAre(Rej{RejectKind::kMalformed, 3}));
  EXPECT_THAT(o.reject_items, ElementsAre(1));
}

}  // namespace
}  // namespace vigil::ingest
