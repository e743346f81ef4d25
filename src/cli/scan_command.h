// `vigil scan [options] PATH...`: audit logs in, findings out.
#ifndef VIGIL_CLI_SCAN_COMMAND_H_
#define VIGIL_CLI_SCAN_COMMAND_H_

#include <CLI/CLI.hpp>

#include <functional>

namespace vigil::cli {

// Adds the `scan` subcommand to `app`; `run` is set to the function that executes it and returns
// the process exit code.
void RegisterScanCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_SCAN_COMMAND_H_
