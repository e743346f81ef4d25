// Explain: why a rule did or did not match one event, for `vigil rules test RULE EVENT.json`.
// Evaluates every check of the rule's compiled condition (not only those short-circuit evaluation
// reaches), records each result, and lists every field the rule reads with its values.
#ifndef VIGIL_RULES_EXPLAIN_H_
#define VIGIL_RULES_EXPLAIN_H_

#include <string>
#include <vector>

#include "event/audit_event.h"
#include "rules/field.h"
#include "rules/output.h"
#include "rules/rule.h"

namespace vigil::rules {

struct Explanation {
  std::string rule;
  bool enabled = true;
  bool matched = false;
  // The condition as a tree, one line per node: "[true ] and", "  [false] ka.verb = create".
  // Checks that normal evaluation skips (short-circuit) are marked "(not reached)".
  std::vector<std::string> tree;
  // Every field the condition or the output reads, in order of first use.
  std::vector<OutputField> fields;
  std::string output;  // the rendered output (also when the rule did not match)
};

// Explains `rule` (which must belong to `set`) for `event`. `context` may be null.
Explanation ExplainRule(const RuleSet& set,
                        const Rule& rule,
                        const event::AuditEvent& event,
                        const EventContext* context = nullptr);

// A human-readable report: verdict, condition tree, field values, output.
std::string FormatExplanation(const Explanation& e);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_EXPLAIN_H_
