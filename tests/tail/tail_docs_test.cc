// docs/tailing.md stays true: its code example is docs/examples/tailing/follow.cc verbatim, and
// that file is compiled into this test and run; its table of backup names is what the Tailer
// recognises.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "docs_tailing_example.h"
#include "ingest/tail_files.h"
#include "tail/tail_test_util.h"

namespace vigil::ingest {
namespace {

namespace fs = std::filesystem;

const fs::path kDoc = fs::path(VIGIL_SOURCE_DIR) / "docs" / "tailing.md";
const fs::path kExample =
    fs::path(VIGIL_SOURCE_DIR) / "docs" / "examples" / "tailing" / "follow.cc";

TEST(TailingDocTest, QuotesTheCompiledExampleVerbatim) {
  const std::string doc = testing::ReadAll(kDoc.string());
  const std::string example = testing::ReadAll(kExample.string());
  ASSERT_FALSE(doc.empty()) << kDoc;
  ASSERT_FALSE(example.empty()) << kExample;
  EXPECT_NE(doc.find("```cpp\n" + example + "```"), std::string::npos)
      << "docs/tailing.md must quote " << kExample << " verbatim";
}

TEST(TailingDocTest, TheBackupNameTableIsWhatTheTailerRecognises) {
  std::istringstream doc(testing::ReadAll(kDoc.string()));
  std::string line;
  bool in_table = false;
  int rows = 0;
  while (std::getline(doc, line)) {
    if (line.rfind("| name | a backup of `audit.log`? |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("|---", 0) == 0) continue;
    if (line.empty() || line[0] != '|') break;
    // | `name` | yes (...) |
    const auto a = line.find('`');
    const auto b = line.find('`', a + 1);
    ASSERT_NE(b, std::string::npos) << line;
    const std::string name = line.substr(a + 1, b - a - 1);
    const bool yes = line.find("| yes", b) != std::string::npos;
    EXPECT_EQ(internal::IsRotatedSibling(name, "audit.log"), yes) << line;
    ++rows;
  }
  EXPECT_GE(rows, 8);
}

TEST(TailingDocTest, TheExampleResumesWhereItStopped) {
  testing::TempDir dir;
  const std::string log = dir.File("audit.log");
  const std::string db = dir.File("vigil.db");
  std::string seen;
  auto commit = [&](std::string_view lines) {
    seen += lines;
    return Ok();
  };
  testing::AppendLines(log, 0, 100);
  ASSERT_TRUE(example::FollowUntilIdle(log, db, commit).has_value());
  testing::AppendLines(log, 100, 150);
  ASSERT_EQ(rename(log.c_str(), testing::LumberjackName(dir, "audit.log").c_str()), 0);
  testing::AppendLines(log, 150, 200);
  ASSERT_TRUE(example::FollowUntilIdle(log, db, commit).has_value());
  std::string want;
  for (int i = 0; i < 200; ++i) want += testing::Line(i) + "\n";
  EXPECT_EQ(seen, want);
}

}  // namespace
}  // namespace vigil::ingest
