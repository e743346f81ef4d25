// Helpers for the rule-language tests: load rules from text, parse events, evaluate.
#ifndef VIGIL_TESTS_RULES_RULES_TEST_UTIL_H_
#define VIGIL_TESTS_RULES_RULES_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "event/audit_event.h"
#include "event/parsed_event.h"
#include "rules/loader.h"
#include "rules/rule.h"

namespace vigil::rules::testing {

// The shared datasets (absent in some checkouts: tests that need them skip).
inline std::string SharedDir() { return std::string(VIGIL_SOURCE_DIR) + "/../shared"; }
inline std::string FalcoRulesDir() { return SharedDir() + "/datasets/falco-k8saudit-rules"; }
inline std::string TraceDir() { return SharedDir() + "/datasets/falco-k8s-audit-trace-files"; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One parsed event that owns its document (tests/event/parsed_event.h).
using TestEvent = event::testing::ParsedEvent;

// Loads `text` as one rules file; on failure returns the loader's error.
inline Result<RuleSet> LoadText(const std::string& text, LoaderOptions options = {}) {
  RuleLoader loader(std::move(options));
  (void)loader.AddText("test.yaml", text);
  return loader.Finish();
}

// The names of the enabled rules of `set` that match `ev`.
inline std::vector<std::string> MatchingRules(const RuleSet& set, const event::AuditEvent& ev) {
  EvalContext ctx(set.fields());
  ctx.Reset(ev);
  std::vector<std::string> names;
  for (const Rule& r : set.rules()) {
    if (r.enabled && r.Matches(ctx)) names.push_back(r.name);
  }
  return names;
}

}  // namespace vigil::rules::testing

#endif  // VIGIL_TESTS_RULES_RULES_TEST_UTIL_H_
