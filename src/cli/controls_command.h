// `vigil controls check|collect|report`: posture controls (GuardDuty.5 and its siblings, EKS,
// kube-apiserver audit configuration). The logic is in src/controls; this file parses flags,
// opens the store and prints (docs/controls.md).
#ifndef VIGIL_CLI_CONTROLS_COMMAND_H_
#define VIGIL_CLI_CONTROLS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace vigil::cli {

// Adds the `controls` subcommand to `app`; `run` is set to the function that executes it.
void RegisterControlsCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_CONTROLS_COMMAND_H_
