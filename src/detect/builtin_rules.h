// The built-in detection catalog: the YAML rule files under rules/ at the repository root,
// embedded into the binary at build time (cmake/EmbedFiles.cmake), loaded before any --rules file.
#ifndef VIGIL_DETECT_BUILTIN_RULES_H_
#define VIGIL_DETECT_BUILTIN_RULES_H_

#include <span>
#include <string_view>

namespace vigil::detect {

struct BuiltinRuleFile {
  std::string_view name;  // "builtin/<file name>", used in error positions
  std::string_view text;  // the YAML text; static storage
};

// The files in name order.
std::span<const BuiltinRuleFile> BuiltinRuleFiles();

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_BUILTIN_RULES_H_
