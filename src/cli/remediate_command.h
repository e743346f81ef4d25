// `vigil remediate plan|run|approve|reject|rollback|journal|status`: findings become tickets and
// safe, verified fixes (docs/remediation.md). The logic is in src/remediate; this file parses
// flags, opens the stores, evaluates a snapshot when given one and prints.
#ifndef VIGIL_CLI_REMEDIATE_COMMAND_H_
#define VIGIL_CLI_REMEDIATE_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace vigil::cli {

// Adds the `remediate` subcommand to `app`; `run` is set to the function that executes it.
void RegisterRemediateCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_REMEDIATE_COMMAND_H_
