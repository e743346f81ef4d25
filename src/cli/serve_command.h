// `vigil serve`: the long-running service (docs/operations.md).
#ifndef VIGIL_CLI_SERVE_COMMAND_H_
#define VIGIL_CLI_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace vigil::cli {

void RegisterServeCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_SERVE_COMMAND_H_
