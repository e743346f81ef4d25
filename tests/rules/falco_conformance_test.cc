// Falco's own k8s-audit rule files load unchanged, and Falco's regression suite for them passes:
// for every case in falco_k8s_audit_tests.yaml (Falco @2583ea9b), load the rule files the case
// names, feed its trace file, and compare the rules that fire and how often with the case's
// detect_counts (or expect nothing for `detect: False`). The compat_engine_v4_* cases need Falco's
// syscall rules and are out of scope (see the dataset's PROVENANCE.md).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "rules/loader.h"
#include "rules/rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::FalcoRulesDir;
using testing::TestEvent;
using testing::TraceDir;

bool HaveDatasets() { return std::filesystem::exists(FalcoRulesDir()); }

#define VIGIL_REQUIRE_DATASETS()                                                        \
  if (!HaveDatasets()) {                                                                \
    GTEST_SKIP() << "shared datasets not found at " << FalcoRulesDir()                   \
                 << " (they live in the shared folder next to the repository)";        \
  }

TEST(FalcoRulesTest, CurrentK8sAuditRulesLoadWithoutErrors) {
  VIGIL_REQUIRE_DATASETS();
  RuleLoader loader;
  ASSERT_TRUE(loader.AddFile(FalcoRulesDir() + "/k8s_audit_rules.yaml").has_value());
  auto set = loader.Finish();
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->rules().size(), 48u);
  EXPECT_EQ(set->lists().size(), 18u);
  EXPECT_EQ(set->macros().size(), 45u);
  EXPECT_EQ(set->skipped_other_source(), 0u);
  // Spot checks of the model.
  const Rule* privileged = set->FindRule("Create Privileged Pod");
  ASSERT_NE(privileged, nullptr);
  EXPECT_EQ(privileged->priority, Priority::kWarning);
  EXPECT_EQ(privileged->severity, "MEDIUM");
  EXPECT_EQ(privileged->tags, std::vector<std::string>{"k8s"});
  ASSERT_TRUE(privileged->constraints.verbs.has_value());
  EXPECT_EQ(*privileged->constraints.verbs, std::vector<std::string>{"create"});
  ASSERT_TRUE(privileged->constraints.resources.has_value());
  EXPECT_EQ(*privileged->constraints.resources, std::vector<std::string>{"pods"});
  ASSERT_TRUE(privileged->constraints.stages.has_value());
  EXPECT_EQ(*privileged->constraints.stages, std::vector<std::string>{"ResponseComplete"});
  const Rule* ingress = set->FindRule("Ingress Object without TLS Certificate Created");
  ASSERT_NE(ingress, nullptr);
  EXPECT_EQ(ingress->tags, (std::vector<std::string>{"k8s", "network"}));
  // port-forward has no stage filter: the index must not assume one.
  const Rule* portforward = set->FindRule("port-forward");
  ASSERT_NE(portforward, nullptr);
  EXPECT_FALSE(portforward->constraints.stages.has_value());
  EXPECT_FALSE(portforward->constraints.verbs.has_value());
}

TEST(FalcoRulesTest, Rules2023LoadAfterFalcoListsWithoutErrors) {
  VIGIL_REQUIRE_DATASETS();
  RuleLoader loader;
  ASSERT_TRUE(loader.AddFile(FalcoRulesDir() + "/falco_rules-1.0.1-lists.yaml").has_value());
  ASSERT_TRUE(loader.AddFile(FalcoRulesDir() + "/k8s_audit_rules-2023-08.yaml").has_value());
  auto set = loader.Finish();
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_GT(set->rules().size(), 40u);
  // falco_containers and sematext_images are expanded into falco_privileged_images.
  for (const ListDef& l : set->lists()) {
    if (l.name != "falco_privileged_images") continue;
    EXPECT_NE(std::find(l.items.begin(), l.items.end(), "docker.io/falcosecurity/falco"),
              l.items.end());
    EXPECT_NE(std::find(l.items.begin(), l.items.end(), "docker.io/sematext/agent"),
              l.items.end());
  }
}

TEST(FalcoRulesTest, OverrideFilesLoadOnTopOfThe2023Rules) {
  VIGIL_REQUIRE_DATASETS();
  RuleLoader loader;
  (void)loader.AddFile(FalcoRulesDir() + "/falco_rules-1.0.1-lists.yaml");
  (void)loader.AddFile(FalcoRulesDir() + "/k8s_audit_rules-2023-08.yaml");
  (void)loader.AddDirectory(FalcoRulesDir() + "/falco-test-overrides");
  auto set = loader.Finish();
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_NE(set->FindRule("json_pointer_example"), nullptr);
}

// --- Falco's regression suite

std::string MapRulesFile(const std::string& falco_path) {
  const std::string base = std::filesystem::path(falco_path).filename().string();
  if (base == "falco_rules.yaml") return FalcoRulesDir() + "/falco_rules-1.0.1-lists.yaml";
  if (base == "k8s_audit_rules.yaml") return FalcoRulesDir() + "/k8s_audit_rules-2023-08.yaml";
  return FalcoRulesDir() + "/falco-test-overrides/" + base;
}

struct Case {
  std::string name;
  std::vector<std::string> rules_files;
  std::string trace_file;
  bool detect = false;
  std::string detect_level;
  std::map<std::string, int> counts;
};

std::vector<Case> ReadCases() {
  std::vector<Case> cases;
  YAML::Node root = YAML::LoadFile(FalcoRulesDir() + "/falco_k8s_audit_tests.yaml");
  YAML::Node all = root["trace_files"];
  for (auto it = all.begin(); it != all.end(); ++it) {
    Case c;
    c.name = it->first.as<std::string>();
    if (c.name.rfind("compat_engine_v4", 0) == 0) continue;
    const YAML::Node spec = it->second;  // a copy: it-> is a temporary proxy
    for (const auto& f : spec["rules_file"]) c.rules_files.push_back(MapRulesFile(f.as<std::string>()));
    const std::string opts = spec["addl_cmdline_opts"].as<std::string>();
    const std::string key = "trace_files/k8s_audit/";
    c.trace_file = TraceDir() + "/" + opts.substr(opts.find(key) + key.size());
    c.detect = spec["detect"].as<bool>();
    if (spec["detect_level"]) c.detect_level = spec["detect_level"].as<std::string>();
    if (spec["detect_counts"]) {
      for (const auto& entry : spec["detect_counts"]) {
        for (auto kv = entry.begin(); kv != entry.end(); ++kv) {
          c.counts[kv->first.as<std::string>()] = kv->second.as<int>();
        }
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(FalcoRulesTest, PassesFalcoK8sAuditRegressionSuite) {
  VIGIL_REQUIRE_DATASETS();
  const std::vector<Case> cases = ReadCases();
  ASSERT_GE(cases.size(), 55u);
  int checked = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RuleLoader loader;
    for (const std::string& f : c.rules_files) {
      ASSERT_TRUE(loader.AddFile(f).has_value()) << f;
    }
    auto set = loader.Finish();
    ASSERT_TRUE(set.has_value()) << set.error().message;

    std::map<std::string, int> hits;
    std::vector<Priority> levels;
    EvalContext ctx(set->fields());
    std::ifstream in(c.trace_file);
    ASSERT_TRUE(in) << c.trace_file;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      TestEvent ev(line);
      if (!ev.ok()) continue;  // fal_01_003's {"kind":0}: dropped, as by the plugin
      ctx.Reset(ev.event());
      for (const Rule& r : set->rules()) {
        if (r.enabled && r.Matches(ctx)) {
          ++hits[r.name];
          levels.push_back(r.priority);
        }
      }
    }
    if (!c.detect) {
      EXPECT_TRUE(hits.empty()) << "unexpected detections: " << ::testing::PrintToString(hits);
    } else {
      for (const auto& [rule, count] : c.counts) {
        EXPECT_EQ(hits[rule], count) << rule << "; all hits: " << ::testing::PrintToString(hits);
      }
      if (!c.detect_level.empty()) {
        const auto want = ParsePriority(c.detect_level);
        ASSERT_TRUE(want.has_value()) << c.detect_level;
        EXPECT_NE(std::find(levels.begin(), levels.end(), *want), levels.end())
            << "no detection at level " << c.detect_level;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace vigil::rules
