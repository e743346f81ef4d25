#include "rules/analysis.h"

#include <algorithm>
#include <iterator>

#include "rules/parser.h"

namespace vigil::rules {

namespace {

using ValueSet = std::optional<std::vector<std::string>>;

ValueSet Analyze(const CompiledCondition& c,
                 std::uint32_t index,
                 std::span<const std::uint32_t> slots) {
  const CompiledCondition::Node& n = c.nodes()[index];
  switch (n.kind) {
    case CompiledCondition::NodeKind::kCheck: {
      const CompiledCheck& check = c.checks()[n.first];
      if (check.list_field) return std::nullopt;
      if (std::find(slots.begin(), slots.end(), check.slot) == slots.end()) return std::nullopt;
      if (check.op != CmpOp::kEq && check.op != CmpOp::kIn && check.op != CmpOp::kIntersects) {
        return std::nullopt;
      }
      std::vector<std::string> values = check.values;
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      return values;
    }
    case CompiledCondition::NodeKind::kAnd: {
      ValueSet acc;
      for (std::uint32_t child : c.ChildrenOf(n)) {
        ValueSet v = Analyze(c, child, slots);
        if (!v) continue;
        if (!acc) {
          acc = std::move(v);
          continue;
        }
        std::vector<std::string> both;
        std::set_intersection(acc->begin(), acc->end(), v->begin(), v->end(),
                              std::back_inserter(both));
        acc = std::move(both);
      }
      return acc;
    }
    case CompiledCondition::NodeKind::kOr: {
      std::vector<std::string> all;
      for (std::uint32_t child : c.ChildrenOf(n)) {
        ValueSet v = Analyze(c, child, slots);
        if (!v) return std::nullopt;
        std::vector<std::string> merged;
        std::set_union(all.begin(), all.end(), v->begin(), v->end(), std::back_inserter(merged));
        all = std::move(merged);
      }
      return all;
    }
    case CompiledCondition::NodeKind::kNot:
    case CompiledCondition::NodeKind::kTrue:
      return std::nullopt;
  }
  return std::nullopt;
}

void AddSlot(const FieldTable& fields,
             std::string_view name,
             std::optional<std::string_view> arg,
             std::vector<std::uint32_t>& out) {
  auto field = ResolveField(name, arg);
  if (!field) return;
  if (auto slot = fields.Find((*field)->ToString())) out.push_back(*slot);
}

}  // namespace

std::optional<std::vector<std::string>> RequiredValues(const CompiledCondition& condition,
                                                        std::span<const std::uint32_t> slots) {
  if (condition.nodes().empty() || slots.empty()) return std::nullopt;
  return Analyze(condition, condition.root(), slots);
}

std::optional<std::vector<std::string>> RequiredValues(const CompiledCondition& condition,
                                                        const FieldTable& fields,
                                                        std::string_view field_name) {
  std::vector<std::uint32_t> slots;
  auto ref = ParseFieldRef(field_name);
  if (!ref) return std::nullopt;
  std::optional<std::string_view> arg;
  if (ref->arg) arg = *ref->arg;
  AddSlot(fields, ref->name, arg, slots);
  if (ref->name == "ka.stage" && !ref->arg) {
    AddSlot(fields, "jevt.value", std::string_view("/stage"), slots);
  }
  return RequiredValues(condition, slots);
}

IndexSlots FindIndexSlots(const FieldTable& fields) {
  IndexSlots s;
  AddSlot(fields, "ka.verb", std::nullopt, s.verb);
  AddSlot(fields, "ka.target.resource", std::nullopt, s.resource);
  AddSlot(fields, "ka.stage", std::nullopt, s.stage);
  AddSlot(fields, "jevt.value", std::string_view("/stage"), s.stage);
  return s;
}

IndexConstraints ComputeConstraints(const CompiledCondition& condition, const IndexSlots& slots) {
  IndexConstraints c;
  c.verbs = RequiredValues(condition, slots.verb);
  c.resources = RequiredValues(condition, slots.resource);
  c.stages = RequiredValues(condition, slots.stage);
  return c;
}

}  // namespace vigil::rules
