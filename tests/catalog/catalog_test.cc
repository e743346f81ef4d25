// The built-in catalog's examples: every case in tests/catalog/cases/*.yaml runs its event through
// the ingest reader and the engine with the built-in rules (and the case's threat lists), and the
// rule under test must fire (expect: match) or must not (expect: no_match). Every built-in rule
// has at least one of each. The override examples in docs/examples/ load on top of the catalog.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "detect/builtin_rules.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "findings/aggregator.h"
#include "ingest/reader.h"
#include "rules/loader.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = fs::path(VIGIL_SOURCE_DIR);

struct Case {
  std::string file;
  int line = 0;
  std::string rule;
  bool match = false;
  std::string why;
  std::map<std::string, std::vector<std::string>> threat_lists;
  std::string event_json;
};

// YAML to JSON with YAML 1.2 core-schema typing of plain scalars (quoted scalars stay strings).
nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = ToJson(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : node) arr.push_back(ToJson(item));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
        try {
          size_t used = 0;
          long long v = std::stoll(s, &used);
          if (used == s.size()) return v;
        } catch (...) {
        }
      }
      return s;
    }
    default:
      return nullptr;
  }
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSource / "tests" / "catalog" / "cases")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    YAML::Node root = YAML::LoadFile(path.string());
    for (const auto& item : root) {
      Case c;
      c.file = path.filename().string();
      c.line = item.Mark().line + 1;
      c.rule = item["rule"].as<std::string>();
      c.match = item["expect"].as<std::string>() == "match";
      c.why = item["why"] ? item["why"].as<std::string>() : "";
      if (item["threat_lists"]) {
        for (const auto& kv : item["threat_lists"]) {
          for (const auto& ip : kv.second) {
            c.threat_lists[kv.first.as<std::string>()].push_back(ip.as<std::string>());
          }
        }
      }
      c.event_json = ToJson(item["event"]).dump();
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

std::shared_ptr<const rules::RuleSet> Builtins(const std::vector<std::string>& extra = {}) {
  auto set = detect::LoadRuleCatalog(true, extra);
  if (!set) {
    ADD_FAILURE() << set.error().ToString();
    return nullptr;
  }
  return *set;
}

class CatalogCaseTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() { rules_ = Builtins(); }
  static std::shared_ptr<const rules::RuleSet> rules_;
};
std::shared_ptr<const rules::RuleSet> CatalogCaseTest::rules_;

TEST_P(CatalogCaseTest, RuleDecidesAsExpected) {
  const Case& c = GetParam();
  ASSERT_TRUE(rules_);
  ASSERT_NE(rules_->FindRule(c.rule), nullptr) << c.file << ":" << c.line << ": no rule " << c.rule;
  auto intel = std::make_shared<detect::ThreatIntel>();
  for (const auto& [name, ips] : c.threat_lists) {
    for (const auto& ip : ips) ASSERT_TRUE(intel->AddEntry(name, ip)) << ip;
  }
  detect::Engine engine(rules_, intel, detect::EngineOptions{});
  findings::FindingAggregator aggregator;
  detect::ScanPipeline pipeline(engine, aggregator, nullptr);
  ingest::Reader reader;
  ASSERT_TRUE(reader.ReadBuffer(c.event_json, c.file, pipeline));
  ASSERT_EQ(reader.stats().events, 1u) << c.file << ":" << c.line << ": the event was rejected";
  std::set<std::string> fired;
  for (const auto& f : aggregator.TakeAll()) fired.insert(f.rule);
  if (c.match) {
    EXPECT_TRUE(fired.count(c.rule)) << c.file << ":" << c.line << ": expected " << c.rule
                                     << " to fire: " << c.why;
  } else {
    EXPECT_FALSE(fired.count(c.rule)) << c.file << ":" << c.line << ": expected " << c.rule
                                      << " NOT to fire: " << c.why;
  }
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file.substr(0, info.param.file.find('.')) + "_line" +
                     std::to_string(info.param.line);
  return name;
}

INSTANTIATE_TEST_SUITE_P(Catalog, CatalogCaseTest, ::testing::ValuesIn(LoadCases()), CaseName);

TEST(CatalogTest, EveryBuiltinRuleHasAPositiveAndANegativeExample) {
  auto set = Builtins();
  ASSERT_TRUE(set);
  std::map<std::string, std::pair<int, int>> examples;
  for (const auto& c : LoadCases()) (c.match ? examples[c.rule].first : examples[c.rule].second)++;
  ASSERT_GT(set->rules().size(), 0u);
  for (const auto& rule : set->rules()) {
    EXPECT_GE(examples[rule.name].first, 1) << rule.name << " has no positive example";
    EXPECT_GE(examples[rule.name].second, 1) << rule.name << " has no negative example";
  }
}

TEST(CatalogTest, EveryBuiltinRuleCarriesVigilKeys) {
  auto set = Builtins();
  ASSERT_TRUE(set);
  for (const auto& rule : set->rules()) {
    EXPECT_EQ(rule.finding_type, rule.name) << "built-in rules are named for their GuardDuty type";
    EXPECT_TRUE(rule.once_per_request) << rule.name;
    EXPECT_FALSE(rule.mitre.empty()) << rule.name;
    EXPECT_TRUE(rule.remediation.has_value()) << rule.name;
  }
}

TEST(CatalogTest, DocumentedOverrideExamplesLoadOnTopOfTheCatalog) {
  const fs::path dir = kSource / "docs" / "examples";
  if (!fs::exists(dir)) GTEST_SKIP() << "no docs/examples";
  size_t loaded = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    auto set = Builtins({entry.path().string()});
    EXPECT_TRUE(set) << entry.path();
    ++loaded;
  }
  EXPECT_GT(loaded, 0u);
}

TEST(CatalogTest, FalcosCurrentRulesetLoadsBesideTheCatalog) {
  const fs::path falco = kSource / "bench" / "rules" / "falco_k8s_audit_rules.yaml";
  if (!fs::exists(falco)) GTEST_SKIP() << "no vendored Falco ruleset";
  auto set = Builtins({falco.string()});
  ASSERT_TRUE(set);
  EXPECT_GE(set->rules().size(), 48u + 20u);
}

}  // namespace
}  // namespace vigil
