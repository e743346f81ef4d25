// `vigil findings list|show --db PATH`: query the findings store.
#ifndef VIGIL_CLI_FINDINGS_COMMAND_H_
#define VIGIL_CLI_FINDINGS_COMMAND_H_

#include <CLI/CLI.hpp>

#include <functional>

namespace vigil::cli {

void RegisterFindingsCommand(CLI::App& app, std::function<int()>& run);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_FINDINGS_COMMAND_H_
