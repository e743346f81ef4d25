// Inputs found by the ingest fuzz targets (fuzz/event_decoder_fuzz.cc), replayed with the same
// checks: no crash, output contracts hold, and tiny chunks give exactly what one large chunk
// gives. Each file in tests/data/ingest/fuzz_regressions/ is named for what it broke.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/reader.h"

namespace vigil::ingest {
namespace {

class DigestSink : public EventSink {
 public:
  void OnEvent(const event::AuditEvent& ev, const Origin& o) override {
    EXPECT_FALSE(ev.audit_id().empty());
    digest += "E|" + std::string(ev.audit_id()) + "|" + std::to_string(o.line) + "|" +
              std::to_string(o.offset) + "|" + std::to_string(o.item_index) + "\n";
  }
  void OnRejected(const Rejection& r) override {
    EXPECT_LE(r.excerpt.size(), kMaxExcerptBytes);
    EXPECT_FALSE(r.reason.empty());
    digest += "R|" + std::string(RejectKindName(r.kind)) + "|" + std::to_string(r.line) + "|" +
              std::to_string(r.offset) + "|" + std::string(r.excerpt);
    if (r.kind != RejectKind::kBadGzip) digest += "|" + std::string(r.reason);
    digest += "\n";
  }
  std::string digest;
};

std::string Digest(std::string_view input, std::size_t chunk, std::size_t max_doc) {
  ReaderOptions options;
  options.chunk_size = chunk;
  options.max_document_size = max_doc;
  Reader reader(options);
  DigestSink sink;
  EXPECT_TRUE(reader.ReadBuffer(input, "fuzz", sink).has_value());
  EXPECT_LE(reader.buffer_capacity(), std::max(chunk, max_doc + 1));
  return sink.digest;
}

std::vector<std::string> RegressionFiles() {
  std::string dir = std::string(VIGIL_SOURCE_DIR) + "/tests/data/ingest/fuzz_regressions";
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(IngestFuzzRegressionTest, ReplaysEveryCrashWithTheFuzzerChecks) {
  auto files = RegressionFiles();
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string input = ss.str();
    // The same knobs as fuzz/event_decoder_fuzz.cc.
    std::size_t max_doc = std::size_t{48} << (input.size() % 8);
    std::string big = Digest(input, 1 << 16, max_doc);
    for (std::size_t chunk : {std::size_t{1}, 1 + input.size() % 17, std::size_t{7}}) {
      EXPECT_EQ(Digest(input, chunk, max_doc), big) << path << " chunk " << chunk;
    }
  }
}

}  // namespace
}  // namespace vigil::ingest
