// The examples of docs/rule-language.md: every docs/examples/rule-language/*.yaml loads without
// errors on top of the built-in catalog, and is quoted in the document (its first rule's name, or
// its first item's name when it has no rule, appears there), so the document and the examples
// cannot drift apart. The document's field table is FieldTableMarkdown() verbatim.
// docs/intel.md quotes docs/examples/intel/geo-rules.yaml verbatim, and its rules fire as the
// document says on generated GeoIP databases.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "detect/builtin_rules.h"
#include "detect/engine.h"
#include "detect/geoip.h"
#include "detect/threat_intel.h"
#include "mmdb_writer.h"
#include "rules/fields/field_docs.h"
#include "rules/loader.h"
#include "temp_dir.h"

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

// The rules of docs/examples/intel/geo-rules.yaml, as docs/intel.md quotes them, on events from
// callers the generated databases place (tests/mmdb_writer.h: 203.0.113.0/24 DE AS64500,
// 198.51.100.0/24 US AS64501).
class IntelDocTest : public ::testing::Test {
 protected:
  struct Sink : detect::ObservationSink {
    void OnObservation(const findings::Observation& o) override {
      seen.push_back(o.rule + ": " + o.description);
    }
    std::vector<std::string> seen;
  };

  std::vector<std::string> Run(const std::string& verb, const std::string& resource,
                               const std::string& ip) {
    const fs::path example = kSource / "docs" / "examples" / "intel" / "geo-rules.yaml";
    auto set = rules::LoadRuleFiles({example.string()});
    EXPECT_TRUE(set) << set.error().ToString();
    if (!set) return {};
    tests::WriteTestGeoDatabases(dir_.File("c.mmdb"), dir_.File("a.mmdb"));
    auto geo = detect::GeoIp::Open({dir_.File("c.mmdb"), dir_.File("a.mmdb")});
    EXPECT_TRUE(geo);
    auto intel = std::make_shared<detect::ThreatIntel>();
    EXPECT_TRUE(intel->AddEntry("feeds", "203.0.113.66", "c2"));
    detect::EngineOptions options;
    options.geoip = *geo;
    detect::Engine engine(std::make_shared<const rules::RuleSet>(std::move(*set)), intel, options);
    const std::string json =
        R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a-)" +
        std::to_string(++n_) + R"(","stage":"ResponseComplete","verb":")" + verb +
        R"(","requestURI":"/api/v1/namespaces/prod/)" + resource +
        R"(","user":{"username":"alice"},"sourceIPs":[")" + ip +
        R"("],"objectRef":{"resource":")" + resource +
        R"(","namespace":"prod","apiVersion":"v1"},"responseStatus":{"code":200},)"
        R"("stageTimestamp":"2024-05-01T10:00:00.000000Z"})";
    simdjson::dom::element root = parser_.parse(json).value();
    auto ev = event::AuditEvent::FromElement(root);
    EXPECT_TRUE(ev);
    Sink sink;
    engine.Process(*ev, sink);
    return sink.seen;
  }

  tests::TempDir dir_;
  simdjson::dom::parser parser_;
  int n_ = 0;
};

TEST_F(IntelDocTest, ExampleIsQuotedVerbatim) {
  const std::string doc = ReadAll(kSource / "docs" / "intel.md");
  std::string example = ReadAll(kSource / "docs" / "examples" / "intel" / "geo-rules.yaml");
  // Without the file's leading comment lines.
  while (example.rfind("#", 0) == 0) example.erase(0, example.find('\n') + 1);
  EXPECT_NE(doc.find(example), std::string::npos) << "docs/intel.md does not quote geo-rules.yaml";
  EXPECT_NE(doc.find("examples/intel/geo-rules.yaml"), std::string::npos);
}

TEST_F(IntelDocTest, RulesFireAsDocumented) {
  EXPECT_EQ(Run("list", "secrets", "198.51.100.7"),
            (std::vector<std::string>{
                "Secrets read from an unexpected country: Secrets read from US (AS64501 Example "
                "Cloud Inc) by alice from 198.51.100.7",
                "API call from a hosting provider: alice list secrets from AS64501 (Example Cloud "
                "Inc)"}));
  // An expected country: only the hosting-provider rule.
  EXPECT_EQ(Run("get", "secrets", "203.0.113.7"),
            (std::vector<std::string>{
                "API call from a hosting provider: alice get secrets from AS64500 (Example "
                "Hosting GmbH)"}));
  // No record: neither geo rule.
  EXPECT_TRUE(Run("list", "secrets", "192.0.2.7").empty());
  // The labelled threat-list entry.
  auto c2 = Run("get", "pods", "203.0.113.66");
  ASSERT_EQ(c2.size(), 2u);
  EXPECT_EQ(c2[1], "Caller on a command-and-control list: alice called from (203.0.113.66), "
                   "listed as (c2)");
}

}  // namespace
}  // namespace vigil
