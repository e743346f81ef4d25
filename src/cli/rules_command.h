// `vigil rules list` and `vigil rules test RULE EVENT.json`.
#ifndef VIGIL_CLI_RULES_COMMAND_H_
#define VIGIL_CLI_RULES_COMMAND_H_

#include <CLI/CLI.hpp>

#include <functional>

namespace vigil::cli {

void RegisterRulesCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_RULES_COMMAND_H_
