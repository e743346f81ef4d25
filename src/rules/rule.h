// The rule model: what a loaded rule file becomes (rules/loader.h builds it).
//
// A RuleSet is immutable once built. It owns the FieldTable every compiled condition and output
// refers to by slot, so rules and their EvalContexts must come from the same RuleSet. Share it
// across threads as std::shared_ptr<const RuleSet> (swapped atomically on reload); give each
// thread its own EvalContext made from ruleset.fields().
//
// Typical use by the detection engine:
//
//   RuleLoader loader;
//   loader.AddDirectory("rules/");
//   auto set = loader.Finish();                 // all errors at once, with file:line:column
//   EvalContext ctx(set->fields());             // one per thread
//   for each event:
//     ctx.Reset(event, &event_context);
//     for (const Rule& rule : set->rules())      // or only the rules the index selects
//       if (rule.enabled && rule.Matches(ctx))
//         rule.output_format.Render(ctx, text);
#ifndef VIGIL_RULES_RULE_H_
#define VIGIL_RULES_RULE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "rules/compiler.h"
#include "rules/eval_context.h"
#include "rules/output.h"

namespace vigil::rules {

// Falco priorities, most severe first.
enum class Priority : std::uint8_t {
  kEmergency,
  kAlert,
  kCritical,
  kError,
  kWarning,
  kNotice,
  kInformational,
  kDebug,
};

// Falco's spelling in text output: "Emergency", ..., "Warning", "Notice", "Informational", "Debug".
std::string_view PriorityName(Priority p);
// Case-insensitive; accepts Falco's names plus "INFO". nullopt otherwise.
std::optional<Priority> ParsePriority(std::string_view text);
// The ASFF severity label Falco's priority maps to: EMERGENCY/ALERT/CRITICAL -> "CRITICAL",
// ERROR -> "HIGH", WARNING -> "MEDIUM", NOTICE -> "LOW", INFORMATIONAL/DEBUG -> "INFORMATIONAL".
std::string_view SeverityForPriority(Priority p);
// Canonical (upper-case) ASFF label for a case-insensitive label; nullopt if not one of
// INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL.
std::optional<std::string_view> CanonicalSeverity(std::string_view label);

struct MitreTechnique {
  std::string tactic;        // "Privilege Escalation"
  std::string technique_id;  // "T1611"
  std::string technique;     // "Escape to Host"
};

struct Remediation {
  std::string text;
  std::string url;
};

// The event facts a rule's gate can test (rules/analysis.h).
enum class GateDim : std::uint8_t {
  kThreat,       // some sourceIPs entry is on a threat list (values unused)
  kUser,         // ka.user.name
  kSubresource,  // ka.target.subresource
  kGroups,       // some entry of ka.user.groups
  kUserNot,      // ka.user.name (or "" when not available) lacks every prefix in `prefixes`
                 // and is none of `values`
  kNoTime,       // the event has no parseable timestamp: jevt.rawtime is "0" (values unused)
};

// One alternative of a gate: the fact `dim` takes one of `values` (sorted, unique); for kUserNot,
// the name is none of `values` and starts with none of `prefixes`.
struct GateAtom {
  GateDim dim = GateDim::kUser;
  std::vector<std::string> values{};
  std::vector<std::string> prefixes{};  // kUserNot only (sorted, unique)
};

// For each field the detection index keys on, the values it must have for the condition to be
// possibly true; nullopt when the condition does not constrain it (rules/analysis.h).
struct IndexConstraints {
  std::optional<std::vector<std::string>> verbs;      // ka.verb
  std::optional<std::vector<std::string>> resources;  // ka.target.resource
  std::optional<std::vector<std::string>> stages;     // ka.stage / jevt.value[/stage]
  // A necessary condition beyond those three: at least one atom holds. nullopt when the
  // condition has none; empty when it can never be true.
  std::optional<std::vector<GateAtom>> gate;
};

struct Rule {
  // Falco's keys.
  std::string name;
  std::string desc;
  std::string condition;  // as written, with appended fragments joined by a blank
  std::string output;     // trimmed, as Falco does
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;  // in first-seen order, no duplicates
  bool enabled = true;
  std::string source = "k8s_audit";
  SourcePos pos;  // where the rule was (first) defined
  std::vector<std::string> exception_names;

  // vigil's keys.
  std::string finding_type;             // GuardDuty-style type name, "" when not set
  std::string severity;                 // canonical ASFF label; derived from priority if not set
  bool severity_explicit = false;       // `severity:` was given
  std::vector<MitreTechnique> mitre;
  std::vector<std::string> dedup_by;    // canonical field names
  std::vector<std::uint32_t> dedup_slots;  // their slots in the RuleSet's FieldTable
  std::optional<Remediation> remediation;
  // Fire at most once per request (auditID), on its final stage; default true when finding_type
  // is set (vigil's built-in rules), false otherwise (Falco rules choose their own stages).
  bool once_per_request = false;

  // Compiled forms (condition includes the exceptions as `and not (...)`).
  CompiledCondition compiled;
  OutputFormat output_format;
  IndexConstraints constraints;

  // True when the event in `ctx` (which must come from the same RuleSet) matches.
  bool Matches(EvalContext& ctx) const { return compiled.Evaluate(ctx); }
};

// A list as loaded, for `vigil rules list`.
struct ListDef {
  std::string name;
  std::vector<std::string> items;  // with names of earlier lists expanded
  SourcePos pos;
};

// A macro as loaded, for `vigil rules list`.
struct MacroDef {
  std::string name;
  std::string condition;
  bool enabled = true;
  SourcePos pos;
};

class RuleSet {
 public:
  RuleSet() = default;
  RuleSet(RuleSet&&) noexcept = default;
  RuleSet& operator=(RuleSet&&) noexcept = default;

  // Every k8s_audit rule, enabled or not, in the order of first definition.
  std::span<const Rule> rules() const { return rules_; }
  // The rule called `name`, or null.
  const Rule* FindRule(std::string_view name) const;
  std::span<const ListDef> lists() const { return lists_; }
  std::span<const MacroDef> macros() const { return macros_; }
  // The fields all compiled conditions and outputs read.
  const FieldTable& fields() const { return fields_; }

  std::size_t enabled_count() const;
  // Rules of another source (syscall, ...) that were read and skipped.
  std::size_t skipped_other_source() const { return skipped_other_source_; }
  // Rules skipped because of `skip-if-unknown-filter: true` and an unknown field.
  std::size_t skipped_unknown_filter() const { return skipped_unknown_filter_; }
  // Non-fatal notes from loading (deprecated `append`, skipped rules), "file:line:col: text".
  std::span<const std::string> warnings() const { return warnings_; }

 private:
  friend class RuleLoader;
  std::vector<Rule> rules_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::vector<ListDef> lists_;
  std::vector<MacroDef> macros_;
  FieldTable fields_;
  std::size_t skipped_other_source_ = 0;
  std::size_t skipped_unknown_filter_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_H_
