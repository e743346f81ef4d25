// The built-in detection catalog: the YAML rule files under rules/ at the repository root,
// embedded into the binary at build time (cmake/EmbedFiles.cmake), loaded before any --rules file.
#ifndef VIGIL_DETECT_BUILTIN_RULES_H_
#define VIGIL_DETECT_BUILTIN_RULES_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "rules/rule.h"

namespace vigil::detect {

struct BuiltinRuleFile {
  std::string_view name;  // "builtin/<file name>", used in error positions
  std::string_view text;  // the YAML text; static storage
};

// The files in name order.
std::span<const BuiltinRuleFile> BuiltinRuleFiles();

// Loads a rule catalog the way every vigil command does: the built-in files first (unless
// `with_builtin` is false), then each of `paths` in order — a file, or a directory whose *.yaml
// and *.yml files load in name order. Every problem, an unreadable path included, is reported
// together (kConfig; one line per error with file:line:column), before anything is evaluated.
Result<std::shared_ptr<const rules::RuleSet>> LoadRuleCatalog(bool with_builtin,
                                                               const std::vector<std::string>& paths);

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_BUILTIN_RULES_H_
