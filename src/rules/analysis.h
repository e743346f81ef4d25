// Static analysis of compiled conditions, for the detection engine's rule index: which values must
// a field take for a condition to possibly be true? If a rule says `ka.verb in (create, update)`
// at its top level, an event whose verb is `get` need not meet that rule at all.
#ifndef VIGIL_RULES_ANALYSIS_H_
#define VIGIL_RULES_ANALYSIS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/compiler.h"
#include "rules/eval_context.h"
#include "rules/rule.h"

namespace vigil::rules {

// The set of values (sorted, unique) that the field in one of `slots` must equal for `condition`
// to be true; nullopt when the condition does not constrain it. `slots` lists equivalent fields
// (ka.stage and jevt.value[/stage] read the same thing).
//
//   check `F = v`, `F in (...)`, `F intersects (...)` on scalar F in slots  -> the values
//   any other check, `not X`                                                 -> unconstrained
//   `A and B`   -> intersection of the constrained operands (unconstrained if none is)
//   `A or B`    -> union, unconstrained if any operand is
//
// Sound for the engine's purpose: when the field is not available, every such check is false, so
// an event whose value (or absence) is outside the set cannot match. An empty set means the
// condition can never be true.
std::optional<std::vector<std::string>> RequiredValues(const CompiledCondition& condition,
                                                        std::span<const std::uint32_t> slots);

// The same for a field given by name ("ka.verb", "ka.target.resource", or "ka.stage", which also
// covers jevt.value[/stage]) in the FieldTable the condition was compiled against. nullopt when
// the condition does not read the field at all.
std::optional<std::vector<std::string>> RequiredValues(const CompiledCondition& condition,
                                                        const FieldTable& fields,
                                                        std::string_view field_name);

// The slots of the fields the index uses, looked up in `fields` (absent fields are left out):
// ka.verb; ka.target.resource; ka.stage and jevt.value[/stage]; and for gates ka.user.name,
// ka.user.groups, ka.target.subresource, the vigil.threat.* list fields and the
// vigil.threat.tor/verified flags.
struct IndexSlots {
  std::vector<std::uint32_t> verb;
  std::vector<std::uint32_t> resource;
  std::vector<std::uint32_t> stage;
  std::vector<std::uint32_t> user;
  std::vector<std::uint32_t> groups;
  std::vector<std::uint32_t> subresource;
  std::vector<std::uint32_t> threat_lists;  // available only when some entry is on a list
  std::vector<std::uint32_t> threat_flags;  // "true" only when some entry is on a list
  std::vector<std::uint32_t> rawtime;       // jevt.rawtime
};
IndexSlots FindIndexSlots(const FieldTable& fields);

// A gate: a disjunction of facts (GateAtom) at least one of which holds whenever `condition` is
// true, for the engine to skip the rule cheaply on other events. nullopt when none is found.
//
//   check `ka.user.name = v` / `in (...)`, `ka.target.subresource` likewise  -> {dim: values}
//   check `ka.user.groups intersects (...)`                                  -> {groups: values}
//   any check on a vigil.threat.* list field; `vigil.threat.tor = true`      -> {threat}
//   `jevt.rawtime = 0` (Falco's "never true")                               -> {no time}
//   `not ka.user.name startswith P`                                          -> {user not P*}
//   `A and B`  -> the gate of one operand (the one expected to pass least often)
//   `A or B`   -> the union of the operands' gates, nullopt if any operand has none
//   `not A`    -> nullopt, except for the startswith form above
//
// Sound for the same reason as RequiredValues: a check on a field that is not available is false.
std::optional<std::vector<GateAtom>> ComputeGate(const CompiledCondition& condition,
                                                 const IndexSlots& slots);

// RequiredValues for the three index fields, and the gate.
IndexConstraints ComputeConstraints(const CompiledCondition& condition, const IndexSlots& slots);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_ANALYSIS_H_
