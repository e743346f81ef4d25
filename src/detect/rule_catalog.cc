#include <sys/stat.h>

#include "detect/builtin_rules.h"
#include "rules/loader.h"

namespace vigil::detect {

Result<std::shared_ptr<const rules::RuleSet>> LoadRuleCatalog(bool with_builtin,
                                                               const std::vector<std::string>& paths) {
  rules::RuleLoader loader;
  if (with_builtin) {
    for (const auto& file : BuiltinRuleFiles()) {
      (void)loader.AddText(std::string(file.name), std::string(file.text));
    }
  }
  for (const auto& path : paths) {
    // Errors are collected by the loader and reported together by Finish().
    struct stat st {};
    bool is_dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    (void)(is_dir ? loader.AddDirectory(path) : loader.AddFile(path));
  }
  VIGIL_TRY(rules::RuleSet set, loader.Finish());
  return std::make_shared<const rules::RuleSet>(std::move(set));
}

}  // namespace vigil::detect
