// The examples of docs/rule-language.md: every docs/examples/rule-language/*.yaml loads without
// errors on top of the built-in catalog, and is quoted in the document (its first rule's name, or
// its first item's name when it has no rule, appears there), so the document and the examples
// cannot drift apart. The document's field table is FieldTableMarkdown() verbatim.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "detect/builtin_rules.h"
#include "rules/fields/field_docs.h"
#include "rules/loader.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = fs::path(VIGIL_SOURCE_DIR);
const fs::path kExamples = kSource / "docs" / "examples" / "rule-language";
const fs::path kDoc = kSource / "docs" / "rule-language.md";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> ExampleFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The value of the first `- KEY: value` line in `text` (quotes removed), or "".
std::string FirstItemName(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  const std::string prefix = "- " + key + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string value = line.substr(prefix.size());
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of(" \r") + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return "";
}

TEST(DocsExamplesTest, ThereAreExamples) { EXPECT_GE(ExampleFiles().size(), 2u); }

TEST(DocsExamplesTest, EachLoadsWithTheBuiltinCatalog) {
  for (const fs::path& path : ExampleFiles()) {
    SCOPED_TRACE(path.string());
    auto set = detect::LoadRuleCatalog(true, {path.string()});
    EXPECT_TRUE(set.has_value()) << (set ? "" : set.error().ToString());
  }
}

TEST(DocsExamplesTest, EachIsQuotedInTheDocument) {
  const std::string doc = ReadAll(kDoc);
  ASSERT_FALSE(doc.empty()) << kDoc;
  for (const fs::path& path : ExampleFiles()) {
    SCOPED_TRACE(path.string());
    const std::string text = ReadAll(path);
    std::string name = FirstItemName(text, "rule");
    for (const char* key : {"macro", "list"}) {
      if (name.empty()) name = FirstItemName(text, key);
    }
    ASSERT_FALSE(name.empty()) << "no rule, macro or list in the example";
    EXPECT_NE(doc.find(name), std::string::npos)
        << "docs/rule-language.md does not quote " << path.filename() << " (no '" << name
        << "')";
    EXPECT_NE(doc.find("examples/rule-language/" + path.filename().string()), std::string::npos)
        << "docs/rule-language.md does not name " << path.filename();
  }
}

TEST(DocsExamplesTest, FieldTableIsGeneratedFromTheCode) {
  const std::string doc = ReadAll(kDoc);
  const std::string table = rules::fields::FieldTableMarkdown();
  const bool found = doc.find(table) != std::string::npos;
  EXPECT_TRUE(found) << "the field table in docs/rule-language.md differs from "
                        "FieldTableMarkdown(); it should be:\n";
  if (!found) std::cout << table;
}

}  // namespace
}  // namespace vigil
