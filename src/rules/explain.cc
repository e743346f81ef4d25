#include "rules/explain.h"

#include <fmt/format.h>

#include <algorithm>

namespace vigil::rules {

namespace {

class Tracer {
 public:
  Tracer(const CompiledCondition& c, EvalContext& ctx, std::vector<std::string>& lines)
      : c_(c), ctx_(ctx), lines_(lines) {}

  // Evaluates node `index` and every node below it, writing one line per node. `reached` says
  // whether short-circuit evaluation would evaluate this node.
  bool Trace(std::uint32_t index, int depth, bool reached) {
    const CompiledCondition::Node& n = c_.nodes()[index];
    const std::size_t line = lines_.size();
    lines_.emplace_back();
    bool result = false;
    std::string label;
    switch (n.kind) {
      case CompiledCondition::NodeKind::kAnd:
      case CompiledCondition::NodeKind::kOr: {
        const bool is_and = n.kind == CompiledCondition::NodeKind::kAnd;
        label = is_and ? "and" : "or";
        result = is_and;
        bool decided = false;
        for (std::uint32_t child : c_.ChildrenOf(n)) {
          const bool r = Trace(child, depth + 1, reached && !decided);
          if (!decided && r != is_and) {
            result = r;
            decided = true;
          }
        }
        break;
      }
      case CompiledCondition::NodeKind::kNot:
        label = "not";
        result = !Trace(c_.children()[n.first], depth + 1, reached);
        break;
      case CompiledCondition::NodeKind::kCheck: {
        const CompiledCheck& check = c_.checks()[n.first];
        label = check.text;
        result = ApplyCheck(check, ctx_.Values(check.slot), ctx_);
        break;
      }
      case CompiledCondition::NodeKind::kTrue:
        label = "true";
        result = true;
        break;
    }
    lines_[line] = fmt::format("{:{}}[{}] {}{}", "", depth * 2, result ? "true " : "false", label,
                               reached ? "" : "  (not reached)");
    return result;
  }

 private:
  const CompiledCondition& c_;
  EvalContext& ctx_;
  std::vector<std::string>& lines_;
};

}  // namespace

Explanation ExplainRule(const RuleSet& set,
                        const Rule& rule,
                        const event::AuditEvent& event,
                        const EventContext* context) {
  Explanation e;
  e.rule = rule.name;
  e.enabled = rule.enabled;
  EvalContext ctx(set.fields());
  ctx.Reset(event, context);
  e.matched = rule.Matches(ctx);
  if (!rule.compiled.nodes().empty()) {
    Tracer tracer(rule.compiled, ctx, e.tree);
    tracer.Trace(rule.compiled.root(), 0, true);
  }
  std::vector<std::uint32_t> slots;
  for (const CompiledCheck& check : rule.compiled.checks()) {
    if (std::find(slots.begin(), slots.end(), check.slot) == slots.end()) {
      slots.push_back(check.slot);
    }
  }
  for (std::uint32_t slot : rule.output_format.slots()) {
    if (std::find(slots.begin(), slots.end(), slot) == slots.end()) slots.push_back(slot);
  }
  for (std::uint32_t slot : slots) {
    const Field& field = set.fields().field(slot);
    const FieldValues* values = ctx.Values(slot);
    OutputField f;
    f.name = set.fields().name(slot);
    f.available = values != nullptr;
    f.is_list = !field.is_scalar();
    if (values) {
      for (std::string_view v : *values) f.values.emplace_back(v);
    }
    RenderFieldValue(field, values, f.rendered);
    e.fields.push_back(std::move(f));
  }
  rule.output_format.Render(ctx, e.output);
  return e;
}

std::string FormatExplanation(const Explanation& e) {
  std::string out = fmt::format("rule '{}': {}{}\n", e.rule, e.matched ? "MATCH" : "no match",
                                e.enabled ? "" : " (rule is disabled)");
  out += "condition:\n";
  for (const std::string& line : e.tree) out += "  " + line + "\n";
  out += "fields:\n";
  for (const OutputField& f : e.fields) out += fmt::format("  {} = {}\n", f.name, f.rendered);
  out += "output:\n  " + e.output + "\n";
  return out;
}

}  // namespace vigil::rules
