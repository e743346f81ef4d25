// The guard against yaml-cpp's LoadAll hang, and the shape check that lets a load skip it.
#include "rules/yaml_guard.h"

#include <gtest/gtest.h>
#include <yaml-cpp/exceptions.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rules_test_util.h"

namespace vigil::rules::internal {
namespace {

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The rule files vigil ships and benchmarks with, plus Falco's from ../shared when present.
std::vector<std::filesystem::path> RealRuleFiles() {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path repo(VIGIL_SOURCE_DIR);
  for (const auto& dir : {repo / "rules", repo / "bench" / "rules",
                          std::filesystem::path(testing::SharedDir()) / "datasets" / "falco-k8saudit-rules"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      // Falco's test-suite description is not a rule file.
      if (entry.path().extension() == ".yaml" && !entry.path().stem().string().ends_with("_tests")) {
        files.push_back(entry.path());
      }
    }
  }
  return files;
}

// nullopt or an exception: either way the real load finishes.
bool Stalls(const std::string& text) {
  try {
    return FindYamlStall(text).has_value();
  } catch (const YAML::Exception&) {
    return false;
  }
}

TEST(YamlGuardTest, FindsTheStallOnAStrayComma) {
  EXPECT_TRUE(Stalls(","));
  EXPECT_TRUE(Stalls("- list: a\n  items: [x]\n,\n"));
  EXPECT_TRUE(Stalls("[a, b] ,\n"));
  EXPECT_FALSE(Stalls("- list: a\n  items: [x, y]\n"));
}

TEST(YamlGuardTest, RuleFileShapesSkipTheGuard) {
  EXPECT_TRUE(RootSequenceSpansText("- a\n"));
  EXPECT_TRUE(RootSequenceSpansText("-"));
  EXPECT_TRUE(RootSequenceSpansText("# header\n\n  # indented comment\n- rule: r\n  desc: >\n    x, y\n"
                                    "# between\n-\n  list: l\n"));
  EXPECT_TRUE(RootSequenceSpansText("- a: [x,\n    y]\n- \"q\" , z\n"));  // an error, not a stall
}

TEST(YamlGuardTest, OtherShapesGetTheGuard) {
  for (const char* text : {
           "",                          // nothing: the guard is free anyway
           "# only a comment\n",        //
           ",",                         // the hang itself
           "- list: a\n,\n",            // a stray token at column 0 ends the sequence
           "  , x\n- a\n",              // content before the first entry
           "---\n- a\n",                // a document marker
           "- a\n...\n",                //
           "%YAML 1.2\n- a\n",          // a directive
           "\xEF\xBB\xBF- a\n",         // a byte order mark
           "- a\r\n- b\r\n",            // CR line ends
           "- a\n\t- b\n",              // a tab at column 0
           "[a, b]\n",                  // a flow root
           "key: value\n",              // a map root
           "-a\n",                      // a plain scalar, not an entry
       }) {
    EXPECT_FALSE(RootSequenceSpansText(text)) << "text: " << text;
  }
  EXPECT_FALSE(RootSequenceSpansText(std::string_view("-\0 \0a\0", 6)));  // UTF-16, no BOM
}

TEST(YamlGuardTest, RealRuleFilesTakeTheFastPath) {
  const auto files = RealRuleFiles();
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    const std::string text = ReadText(path);
    EXPECT_TRUE(RootSequenceSpansText(text)) << path;
    EXPECT_FALSE(Stalls(text)) << path;
  }
}

// The claim the fast path rests on, tried on many near-misses of real rule files: random
// characters YAML treats specially inserted into windows of real text. Whenever the shape check
// says yes, the guard must find no stall. The mutations must also reach the stall, or the test
// would prove nothing: some mutated texts that fail the shape check do stall.
TEST(YamlGuardTest, ShapeCheckNeverSkipsAStall) {
  std::vector<std::string> lines;
  for (const auto& path : RealRuleFiles()) {
    std::istringstream in(ReadText(path));
    for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
  }
  std::vector<std::size_t> entries;  // lines that start an entry: windows start there
  for (std::size_t i = 0; i + 40 < lines.size(); ++i) {
    if (lines[i].starts_with("- ")) entries.push_back(i);
  }
  ASSERT_GT(entries.size(), 50u);
  std::mt19937_64 rng(20261127);
  const std::string specials = ",[]{}?:-#\"'|>&*!%@` \n\t\r";
  int shaped = 0;
  int stalls_outside_shape = 0;
  for (int round = 0; round < 4000; ++round) {
    const std::size_t first = entries[rng() % entries.size()];
    std::string text;
    for (std::size_t i = first; i < first + 1 + rng() % 40; ++i) text += lines[i];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (text.size() + 1);
      text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), specials[rng() % specials.size()]);
      if (rng() % 3 == 0) text.insert(at, "\n");  // the character starts a line
    }
    if (RootSequenceSpansText(text)) {
      ++shaped;
      EXPECT_FALSE(Stalls(text)) << "the shape check skipped a stall on:\n" << text;
    } else if (Stalls(text)) {
      ++stalls_outside_shape;
    }
  }
  EXPECT_GT(shaped, 500);
  EXPECT_GT(stalls_outside_shape, 0);
}

}  // namespace
}  // namespace vigil::rules::internal
