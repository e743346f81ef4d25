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

using Gate = std::optional<std::vector<GateAtom>>;

bool Has(std::span<const std::uint32_t> slots, std::uint32_t slot) {
  return std::find(slots.begin(), slots.end(), slot) != slots.end();
}

std::vector<std::string> SortedUnique(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// How often a gate is expected to let an event through, lower is better: a threat-list match is
// rare, a named user or subresource uncommon, a group (every caller has some) less telling, and
// "not one of these users" (every other caller passes) less still, and "no subresource" (most
// events have none) the least telling of all.
int GateCost(const std::vector<GateAtom>& gate) {
  int cost = 0;
  for (const GateAtom& a : gate) {
    switch (a.dim) {
      case GateDim::kThreat: cost += 1; break;
      case GateDim::kUser: cost += 2 * static_cast<int>(a.values.size()); break;
      case GateDim::kSubresource:
        // "" (no subresource) is what most events have: weaker than "not these users".
        cost += 3 * static_cast<int>(a.values.size());
        if (std::binary_search(a.values.begin(), a.values.end(), std::string())) cost += 2000;
        break;
      case GateDim::kGroups: cost += 4 * static_cast<int>(a.values.size()); break;
      case GateDim::kNoTime: cost += 0; break;
      case GateDim::kUserNot: cost += 1000; break;
    }
  }
  return cost;
}

Gate CheckGate(const CompiledCheck& check, const IndexSlots& slots) {
  const bool member_op =
      check.op == CmpOp::kEq || check.op == CmpOp::kIn || check.op == CmpOp::kIntersects;
  if (Has(slots.threat_lists, check.slot)) return std::vector<GateAtom>{{GateDim::kThreat, {}}};
  if (Has(slots.rawtime, check.slot)) {
    if (check.op == CmpOp::kEq && check.values.size() == 1 && check.values[0] == "0") {
      return std::vector<GateAtom>{{GateDim::kNoTime, {}}};
    }
    return std::nullopt;
  }
  if (Has(slots.threat_flags, check.slot)) {
    if (check.op == CmpOp::kEq && check.values.size() == 1 && check.values[0] == "true") {
      return std::vector<GateAtom>{{GateDim::kThreat, {}}};
    }
    return std::nullopt;
  }
  if (!check.list_field && member_op) {
    if (Has(slots.user, check.slot)) {
      return std::vector<GateAtom>{{GateDim::kUser, SortedUnique(check.values)}};
    }
    if (Has(slots.subresource, check.slot)) {
      return std::vector<GateAtom>{{GateDim::kSubresource, SortedUnique(check.values)}};
    }
  }
  if (check.list_field && check.op == CmpOp::kIntersects && Has(slots.groups, check.slot)) {
    return std::vector<GateAtom>{{GateDim::kGroups, SortedUnique(check.values)}};
  }
  return std::nullopt;
}

Gate AnalyzeGate(const CompiledCondition& c, std::uint32_t index, const IndexSlots& slots) {
  const CompiledCondition::Node& n = c.nodes()[index];
  switch (n.kind) {
    case CompiledCondition::NodeKind::kCheck:
      return CheckGate(c.checks()[n.first], slots);
    case CompiledCondition::NodeKind::kAnd: {
      // The cheapest operand's gate; the "not these users" operands (each a single kUserNot atom)
      // all hold together, so they merge into one atom that excludes what each excludes.
      Gate best;
      std::optional<GateAtom> user_not;
      for (std::uint32_t child : c.ChildrenOf(n)) {
        Gate g = AnalyzeGate(c, child, slots);
        if (g && g->size() == 1 && (*g)[0].dim == GateDim::kUserNot) {
          if (!user_not) {
            user_not = std::move((*g)[0]);
          } else {
            for (std::string& v : (*g)[0].values) user_not->values.push_back(std::move(v));
            for (std::string& p : (*g)[0].prefixes) user_not->prefixes.push_back(std::move(p));
            user_not->values = SortedUnique(std::move(user_not->values));
            user_not->prefixes = SortedUnique(std::move(user_not->prefixes));
          }
          continue;
        }
        if (g && (!best || GateCost(*g) < GateCost(*best))) best = std::move(g);
      }
      if (user_not) {
        std::vector<GateAtom> merged{std::move(*user_not)};
        if (!best || GateCost(merged) < GateCost(*best)) best = std::move(merged);
      }
      return best;
    }
    case CompiledCondition::NodeKind::kOr: {
      std::vector<GateAtom> all;
      for (std::uint32_t child : c.ChildrenOf(n)) {
        Gate g = AnalyzeGate(c, child, slots);
        if (!g) return std::nullopt;
        for (GateAtom& atom : *g) {
          // Alternatives of one positive dimension merge their values; "not these users" atoms
          // stay separate (each excludes on its own; merged they would exclude more).
          auto same = atom.dim == GateDim::kUserNot
                          ? all.end()
                          : std::find_if(all.begin(), all.end(),
                                         [&](const GateAtom& a) { return a.dim == atom.dim; });
          if (same == all.end()) {
            all.push_back(std::move(atom));
            continue;
          }
          same->values.insert(same->values.end(), atom.values.begin(), atom.values.end());
          same->values = SortedUnique(std::move(same->values));
        }
      }
      return all;
    }
    case CompiledCondition::NodeKind::kNot: {
      // `not ka.user.name startswith P`, `not ka.user.name in (...)`, `not ka.user.name = v`: true
      // when the name is not available or lacks P / is none of the values. "" stands for a name
      // that is not available, so it is never excluded (a check on an unavailable field is false,
      // and its negation true).
      const CompiledCondition::Node& child = c.nodes()[c.ChildrenOf(n)[0]];
      if (child.kind != CompiledCondition::NodeKind::kCheck) return std::nullopt;
      const CompiledCheck& check = c.checks()[child.first];
      if (check.op == CmpOp::kExists && !check.list_field && Has(slots.subresource, check.slot)) {
        // `not ka.target.subresource exists`: the value looked up is "" (absent or empty).
        return std::vector<GateAtom>{{GateDim::kSubresource, {""}}};
      }
      if (check.list_field || !Has(slots.user, check.slot)) return std::nullopt;
      GateAtom atom{GateDim::kUserNot, {}, {}};
      if (check.op == CmpOp::kStartsWith && check.values.size() == 1 && !check.values[0].empty()) {
        atom.prefixes = {check.values[0]};
      } else if (check.op == CmpOp::kEq || check.op == CmpOp::kIn) {
        for (const std::string& v : check.values) {
          if (!v.empty()) atom.values.push_back(v);
        }
        if (atom.values.empty()) return std::nullopt;
        atom.values = SortedUnique(std::move(atom.values));
      } else {
        return std::nullopt;
      }
      return std::vector<GateAtom>{std::move(atom)};
    }
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
  AddSlot(fields, "ka.user.name", std::nullopt, s.user);
  AddSlot(fields, "ka.user.groups", std::nullopt, s.groups);
  AddSlot(fields, "ka.target.subresource", std::nullopt, s.subresource);
  for (const char* f :
       {"vigil.threat.lists", "vigil.threat.custom", "vigil.threat.ip", "vigil.threat.label"}) {
    AddSlot(fields, f, std::nullopt, s.threat_lists);
  }
  for (const char* f : {"vigil.threat.tor", "vigil.threat.verified"}) {
    AddSlot(fields, f, std::nullopt, s.threat_flags);
  }
  AddSlot(fields, "jevt.rawtime", std::nullopt, s.rawtime);
  AddSlot(fields, "json.rawtime", std::nullopt, s.rawtime);
  return s;
}

std::optional<std::vector<GateAtom>> ComputeGate(const CompiledCondition& condition,
                                                 const IndexSlots& slots) {
  if (condition.nodes().empty()) return std::nullopt;
  return AnalyzeGate(condition, condition.root(), slots);
}

IndexConstraints ComputeConstraints(const CompiledCondition& condition, const IndexSlots& slots) {
  IndexConstraints c;
  c.verbs = RequiredValues(condition, slots.verb);
  c.resources = RequiredValues(condition, slots.resource);
  c.stages = RequiredValues(condition, slots.stage);
  c.gate = ComputeGate(condition, slots);
  return c;
}

}  // namespace vigil::rules
