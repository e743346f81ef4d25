// docs/finding-format.md shows one finding in each format. Those examples are the golden files,
// pretty-printed; this test fails when they drift apart (STYLE.md: examples in docs are run by
// tests). After regenerating goldens, update the doc's examples from tests/data/findings/.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "findings/golden.h"

namespace vigil::findings {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Line(const std::string& text, int n) {
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i < n && std::getline(in, line); ++i) {
  }
  return line;
}

TEST(FindingFormatDocTest, ExamplesAreTheGoldenFiles) {
  const std::string doc = ReadFile(std::string(VIGIL_SOURCE_DIR) + "/docs/finding-format.md");
  ASSERT_FALSE(doc.empty());
  // <!-- golden: FILE [line N] --> followed by a fenced block.
  static const std::regex kExample(
      R"(<!-- golden: (\S+)(?: line (\d+))? -->\n```[a-z]*\n([\s\S]*?)\n```)");
  int examples = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), kExample);
       it != std::sregex_iterator(); ++it) {
    const std::string file = (*it)[1];
    const std::string golden = ReadFile(testing::GoldenPath(file));
    const std::string shown = (*it)[3];
    SCOPED_TRACE(file);
    if ((*it)[2].matched) {
      const auto expected = nlohmann::ordered_json::parse(Line(golden, std::stoi((*it)[2])));
      const auto actual = nlohmann::ordered_json::parse(shown);
      EXPECT_EQ(actual.dump(), expected.dump());  // same members, same order
    } else {
      EXPECT_EQ(shown + "\n", golden);
    }
    ++examples;
  }
  EXPECT_EQ(examples, 4);
}

}  // namespace
}  // namespace vigil::findings
