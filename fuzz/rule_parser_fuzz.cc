// Fuzz target: arbitrary bytes as a rule file → RuleLoader → RuleSet, and as a condition →
// ParseCondition. Besides "never crashes, never leaks, never hangs" it checks that:
//   * a load either succeeds or reports at least one error, each with a message and a position
//     in the fuzzed file;
//   * every rule of a successful load evaluates, renders its output and explains itself on a few
//     events without trouble, and its condition re-parses;
//   * printing a parsed condition is a fixed point: parse(print(ast)) prints the same;
//   * the YAML tree (rules/yaml_tree.h) either parses or gives an error with a position, and every
//     node of a parsed tree has a mark inside the text and answers its accessors consistently.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "event/audit_event.h"
#include "rules/ast.h"
#include "rules/explain.h"
#include "rules/loader.h"
#include "rules/parser.h"
#include "rules/yaml_tree.h"

namespace {

constexpr const char* kEvents[] = {
    R"({"kind":"Event","auditID":"f1","stage":"ResponseComplete","verb":"create",
      "user":{"username":"alice","groups":["dev","system:authenticated"]},
      "objectRef":{"resource":"pods","namespace":"default","name":"web"},
      "requestURI":"/api/v1/namespaces/default/pods?dryRun=All","responseStatus":{"code":201},
      "requestObject":{"spec":{"hostNetwork":true,"containers":[{"name":"a","image":"nginx:1",
        "securityContext":{"privileged":true}}],"volumes":[{"name":"v","hostPath":{"path":"/"}}]}},
      "annotations":{"authorization.k8s.io/decision":"allow"},
      "stageTimestamp":"2024-01-01T00:00:00Z"})",
    R"({"kind":"Event","auditID":"f2","stage":"ResponseStarted","verb":"get",
      "user":{"username":"system:anonymous"},
      "objectRef":{"resource":"pods","subresource":"exec","name":"x"},
      "requestURI":"/api/v1/namespaces/a/pods/x/exec?command=sh","sourceIPs":["1.2.3.4"]})",
    R"({"kind":"Event","auditID":"f3","stage":"Panic"})",
};

struct Events {
  Events() {
    for (const char* json : kEvents) {
      // One parser per event, never moved: an element points into its parser's document.
      parsers.push_back(std::make_unique<simdjson::dom::parser>());
      auto doc = parsers.back()->parse(std::string(json));
      if (doc.error()) std::abort();
      auto ev = vigil::event::AuditEvent::FromElement(doc.value_unsafe());
      if (!ev) std::abort();
      events.push_back(*ev);
    }
  }
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;
  std::vector<vigil::event::AuditEvent> events;
};

const Events& TestEvents() {
  static const Events* events = new Events();
  return *events;
}

// Walks the tree (aliases share nodes, so the walk is bounded, not the tree's size) checking each
// node's mark and accessors.
void CheckYamlTree(const std::string& text) {
  namespace yaml = vigil::rules::yaml;
  auto tree = yaml::Tree::Parse(text, "fuzz.yaml");
  if (!tree) {
    VIGIL_FUZZ_CHECK(!tree.error().message.empty());
    VIGIL_FUZZ_CHECK(tree.error().pos.file == "fuzz.yaml");
    VIGIL_FUZZ_CHECK(tree.error().pos.line >= 1 && tree.error().pos.column >= 1);
    return;
  }
  std::vector<yaml::Node> stack = tree->documents();
  for (std::size_t visits = 0; !stack.empty() && visits < 100000; ++visits) {
    const yaml::Node node = stack.back();
    stack.pop_back();
    VIGIL_FUZZ_CHECK(node.IsDefined());
    const yaml::Mark mark = node.Mark();
    VIGIL_FUZZ_CHECK(mark.line >= 0 && mark.column >= 0);
    VIGIL_FUZZ_CHECK(mark.pos <= static_cast<int>(text.size()));
    if (!node.IsScalar()) VIGIL_FUZZ_CHECK(node.Scalar().empty());
    std::size_t n = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++n) {
      if (node.IsMap()) {
        VIGIL_FUZZ_CHECK(!it->IsDefined() && it->first.IsDefined() && it->second.IsDefined());
        stack.push_back(it->first);
        stack.push_back(it->second);
        if (it->first.IsScalar()) VIGIL_FUZZ_CHECK(node[it->first.Scalar()].IsDefined());
      } else {
        VIGIL_FUZZ_CHECK(it->IsDefined());
        stack.push_back(*it);
      }
    }
    VIGIL_FUZZ_CHECK(n == node.size());
    VIGIL_FUZZ_CHECK(!node["rule"].IsDefined() || node.IsMap());
  }
}

void CheckConditionRoundTrip(std::string_view text) {
  auto ast = vigil::rules::ParseCondition(text);
  if (!ast) {
    VIGIL_FUZZ_CHECK(!ast.error().message.empty());
    VIGIL_FUZZ_CHECK(ast.error().pos.line >= 1 && ast.error().pos.column >= 1);
    return;
  }
  const std::string printed = vigil::rules::AstToString(**ast);
  auto again = vigil::rules::ParseCondition(printed);
  if (!again || vigil::rules::AstToString(**again) != printed) {
    std::fprintf(stderr, "condition does not round-trip:\n  input:   %.*s\n  printed: %s\n",
                 static_cast<int>(text.size()), text.data(), printed.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckConditionRoundTrip(text);

  CheckYamlTree(text);

  vigil::rules::RuleLoader loader;
  (void)loader.AddText("fuzz.yaml", text);
  auto set = loader.Finish();
  if (!set) {
    VIGIL_FUZZ_CHECK(!loader.errors().empty());
    for (const vigil::Error& e : loader.errors()) {
      VIGIL_FUZZ_CHECK(!e.message.empty());
      VIGIL_FUZZ_CHECK(e.pos.file == "fuzz.yaml");
    }
    return 0;
  }
  VIGIL_FUZZ_CHECK(loader.errors().empty());
  vigil::rules::EvalContext ctx(set->fields());
  std::string output;
  for (const vigil::event::AuditEvent& ev : TestEvents().events) {
    ctx.Reset(ev);
    for (const vigil::rules::Rule& rule : set->rules()) {
      const bool matched = rule.Matches(ctx);
      rule.output_format.Render(ctx, output);
      (void)rule.output_format.Fields(ctx);
      const auto explained = vigil::rules::ExplainRule(*set, rule, ev);
      VIGIL_FUZZ_CHECK(explained.matched == matched);
    }
  }
  for (const vigil::rules::Rule& rule : set->rules()) {
    VIGIL_FUZZ_CHECK(vigil::rules::ParseCondition(rule.condition).has_value());
  }
  return 0;
}
