// vigil: Kubernetes audit-log threat detection. The composition root: parses the command line,
// runs one subcommand, and maps its outcome to an exit code (README "Exit codes").
#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <iostream>

#include "cli/baseline_command.h"
#include "cli/controls_command.h"
#include "cli/exit_codes.h"
#include "cli/findings_command.h"
#include "cli/remediate_command.h"
#include "cli/rules_command.h"
#include "cli/scan_command.h"
#include "cli/serve_command.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"vigil: finds attacks in Kubernetes audit logs"};
  app.set_version_flag("--version", std::string("vigil ") + VIGIL_VERSION);
  app.require_subcommand(1);
  std::function<int()> run;
  vigil::cli::RegisterScanCommand(app, run);
  vigil::cli::RegisterRulesCommand(app, run);
  vigil::cli::RegisterFindingsCommand(app, run);
  vigil::cli::RegisterControlsCommand(app, run);
  vigil::cli::RegisterServeCommand(app, run);
  vigil::cli::RegisterBaselineCommand(app, run);
  vigil::cli::RegisterRemediateCommand(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return vigil::cli::kExitUsage;
  }
  try {
    return run ? run() : vigil::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "vigil: internal error: " << e.what() << "\n";
    return vigil::cli::kExitIo;
  }
}
