// Falco's own k8s-audit regression suite (falcosecurity/falco test/falco_k8s_audit_tests.yaml),
// run through vigil with the same rule files: for every case that is not `compat_engine_v4_*`,
// the rules Falco expects fire the same number of times (sum of finding counts), and nothing
// fires where Falco expects nothing. Needs ../shared (skipped with a message without it).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "detect/engine.h"
#include "detect/pipeline.h"
#include "findings/aggregator.h"
#include "ingest/reader.h"
#include "rules/loader.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

const fs::path kDatasets = fs::path(VIGIL_SOURCE_DIR) / ".." / "shared" / "datasets";

struct Case {
  std::string name;
  std::vector<std::string> rule_files;  // resolved paths
  std::string trace_file;               // resolved path
  bool detect = false;
  std::map<std::string, std::uint64_t> counts;  // rule → expected hits
};

// Maps the paths Falco's suite uses to the copies in shared/datasets.
std::string ResolveRuleFile(const std::string& path) {
  const fs::path rules = kDatasets / "falco-k8saudit-rules";
  if (path.ends_with("/falco_rules.yaml")) return (rules / "falco_rules-1.0.1-lists.yaml").string();
  if (path.ends_with("/k8s_audit_rules.yaml")) return (rules / "k8s_audit_rules-2023-08.yaml").string();
  if (path.starts_with("./rules/k8s_audit/")) {
    return (rules / "falco-test-overrides" / fs::path(path).filename()).string();
  }
  return {};
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  const fs::path spec = kDatasets / "falco-k8saudit-rules" / "falco_k8s_audit_tests.yaml";
  if (!fs::exists(spec)) return cases;
  YAML::Node root = YAML::LoadFile(spec.string());
  for (const auto& item : root["trace_files"]) {
    Case c;
    c.name = item.first.as<std::string>();
    if (c.name.starts_with("compat_engine_v4")) continue;
    const YAML::Node& body = item.second;
    c.detect = body["detect"].as<bool>();
    for (const auto& f : body["rules_file"]) c.rule_files.push_back(ResolveRuleFile(f.as<std::string>()));
    std::string opts = body["addl_cmdline_opts"].as<std::string>();
    c.trace_file = (kDatasets / "falco-k8s-audit-trace-files" /
                    fs::path(opts.substr(opts.rfind('/') + 1)).filename())
                       .string();
    if (body["detect_counts"]) {
      for (const auto& entry : body["detect_counts"]) {
        for (const auto& kv : entry) c.counts[kv.first.as<std::string>()] = kv.second.as<std::uint64_t>();
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

class FalcoConformanceTest : public ::testing::TestWithParam<Case> {};

TEST_P(FalcoConformanceTest, SameRulesFireAsOften) {
  const Case& c = GetParam();
  for (const auto& f : c.rule_files) ASSERT_FALSE(f.empty()) << "unmapped rules file in " << c.name;
  auto set = rules::LoadRuleFiles(c.rule_files);
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  auto shared = std::make_shared<const rules::RuleSet>(std::move(*set));

  detect::Engine engine(shared, nullptr, detect::EngineOptions{});
  findings::FindingAggregator aggregator;
  detect::ScanPipeline pipeline(engine, aggregator, nullptr);
  ingest::Reader reader;
  ASSERT_TRUE(reader.ReadFile(c.trace_file, pipeline).has_value()) << c.trace_file;

  std::map<std::string, std::uint64_t> fired;
  for (const auto& f : aggregator.TakeAll()) fired[f.rule] += f.count;

  if (!c.detect) {
    EXPECT_TRUE(fired.empty()) << c.name << ": Falco expects no detection, vigil fired "
                               << fired.begin()->first << " (" << fired.begin()->second << ")";
    return;
  }
  EXPECT_FALSE(fired.empty()) << c.name << ": Falco expects a detection";
  for (const auto& [rule, count] : c.counts) {
    auto it = fired.find(rule);
    EXPECT_EQ(it == fired.end() ? 0 : it->second, count) << c.name << ": rule '" << rule << "'";
  }
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Falco, FalcoConformanceTest, ::testing::ValuesIn(LoadCases()), CaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FalcoConformanceTest);

TEST(FalcoConformanceSuite, IsPresentOrSkipped) {
  if (LoadCases().empty()) {
    GTEST_SKIP() << "Falco's k8s-audit suite not found at " << kDatasets.string()
                 << " (../shared is absent in a user's clone); conformance not checked";
  }
  EXPECT_GE(LoadCases().size(), 40u);
}

TEST(FalcoConformanceSuite, CurrentRulesetLoadsWithoutErrors) {
  const fs::path current = kDatasets / "falco-k8saudit-rules" / "k8s_audit_rules.yaml";
  if (!fs::exists(current)) GTEST_SKIP() << "../shared absent: " << current.string();
  auto set = rules::LoadRuleFiles({current.string()});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  EXPECT_EQ(set->rules().size(), 48u);
}

}  // namespace
}  // namespace vigil
