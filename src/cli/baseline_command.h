// `vigil baseline show|reset|export|import --db PATH`: the learned baselines in a store
// (detect/baseline.h).
#ifndef VIGIL_CLI_BASELINE_COMMAND_H_
#define VIGIL_CLI_BASELINE_COMMAND_H_

#include <CLI/CLI.hpp>

#include <functional>

namespace vigil::cli {

void RegisterBaselineCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_BASELINE_COMMAND_H_
