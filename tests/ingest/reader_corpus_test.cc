// The public corpora in /work/shared/datasets (see its README): real captures must read cleanly,
// and files that are not audit logs must be rejected record by record without stopping.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "ingest/reader.h"
#include "ingest_test_util.h"

namespace vigil::ingest {
namespace {

using testing::CollectingSink;

std::string DatasetDir() { return std::string(VIGIL_SOURCE_DIR) + "/../shared/datasets"; }

bool HaveDatasets() {
  struct stat st {};
  return ::stat(DatasetDir().c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

#define VIGIL_REQUIRE_DATASETS()                                                \
  if (!HaveDatasets()) {                                                        \
    GTEST_SKIP() << "shared datasets not found at " << DatasetDir()             \
                 << " (they live beside the repository as ../shared/datasets)"; \
  }

std::vector<std::string> FilesIn(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(dir + "/" + name);
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ReaderCorpusTest, FalcoTraceFiles) {
  VIGIL_REQUIRE_DATASETS();
  auto files = FilesIn(DatasetDir() + "/falco-k8s-audit-trace-files", ".json");
  ASSERT_EQ(files.size(), 47u);
  Reader reader;
  CollectingSink sink;
  for (const auto& f : files) ASSERT_TRUE(reader.ReadFile(f, sink).has_value()) << f;
  EXPECT_EQ(sink.events.size(), 51u);
  ASSERT_EQ(sink.rejections.size(), 1u);
  EXPECT_EQ(sink.rejections[0].kind, RejectKind::kNotAnEvent);
  EXPECT_EQ(sink.rejections[0].excerpt, R"({"kind": 0})");  // the original bytes
  EXPECT_NE(sink.rejections[0].input.find("fal_01_003.json"), std::string::npos);
  EXPECT_EQ(sink.rejections[0].line, 1u);
  // Every event of the exec capture is there with its stage.
  auto it = std::find_if(sink.events.begin(), sink.events.end(), [](const auto& e) {
    return e.audit_id == "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6";
  });
  ASSERT_NE(it, sink.events.end());
  EXPECT_EQ(it->envelope, Envelope::kJsonLines);
  EXPECT_EQ(reader.stats().inputs, 47u);
}

TEST(ReaderCorpusTest, Audit2RbacDemoLog) {
  VIGIL_REQUIRE_DATASETS();
  Reader reader;
  CollectingSink sink;
  ASSERT_TRUE(reader.ReadFile(DatasetDir() + "/audit2rbac-demo/demo.log", sink).has_value());
  EXPECT_EQ(sink.events.size(), 37u);
  EXPECT_TRUE(sink.rejections.empty());
  EXPECT_EQ(sink.events.back().line, 37u);
}

TEST(ReaderCorpusTest, PantherWrappersAreRejectedAsNonEvents) {
  VIGIL_REQUIRE_DATASETS();
  auto files = FilesIn(DatasetDir() + "/panther-analysis-k8s-rule-tests", ".jsonl");
  ASSERT_EQ(files.size(), 3u);
  Reader reader;
  CollectingSink sink;
  for (const auto& f : files) ASSERT_TRUE(reader.ReadFile(f, sink).has_value()) << f;
  EXPECT_TRUE(sink.events.empty());
  EXPECT_EQ(sink.rejections.size(), 263u);
  EXPECT_EQ(reader.stats().rejected_of(RejectKind::kNotAnEvent), 263u);
}

TEST(ReaderCorpusTest, CsvIsRejectedLineByLine) {
  VIGIL_REQUIRE_DATASETS();
  std::string path = DatasetDir() + "/hkerma-kubernetes-event-dataset/audit-logs.csv";
  std::ifstream in(path);
  std::size_t lines = 0;
  for (std::string l; std::getline(in, l);) lines += !l.empty();
  Reader reader;
  struct Counter : EventSink {
    void OnEvent(const event::AuditEvent&, const Origin&) override { ++events; }
    void OnRejected(const Rejection& r) override {
      malformed += r.kind == RejectKind::kMalformed;
      ++rejected;
    }
    std::size_t events = 0, rejected = 0, malformed = 0;
  } counter;
  ASSERT_TRUE(reader.ReadFile(path, counter).has_value());
  EXPECT_EQ(counter.events, 0u);
  EXPECT_EQ(counter.rejected, lines);
  EXPECT_EQ(counter.malformed, lines);
}

}  // namespace
}  // namespace vigil::ingest
