// CommandRunner: runs an external program as an argument vector (never through a shell) and
// captures its output. The seam between `vigil controls collect` and the `aws` CLI, so tests can
// put a fake `aws` on PATH (a real process) or pass their own runner.
#ifndef VIGIL_CONTROLS_COMMAND_RUNNER_H_
#define VIGIL_CONTROLS_COMMAND_RUNNER_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::controls {

struct CommandResult {
  int exit_code = 0;  // the exit status, or 128 + signal when it was killed
  std::string out;    // standard output
  std::string err;    // standard error
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv[0] (looked up on PATH when it has no '/') with argv. kNotFound when the program
  // does not exist or is not executable; kIo when it could not be started or its output not read.
  // A program that runs and fails is not an error: see exit_code.
  virtual Result<CommandResult> Run(const std::vector<std::string>& argv) = 0;
  // As Run, with `input` written to the program's standard input (then closed). The default says
  // kUnsupported; ProcessRunner implements it.
  virtual Result<CommandResult> RunWithInput(const std::vector<std::string>& argv,
                                             std::string_view input);
};

// Runs programs with posix_spawnp; stdout and stderr are read through pipes (each capped at
// kMaxOutputBytes; more is a kIo error). Stateless; safe to use from one thread at a time.
class ProcessRunner final : public CommandRunner {
 public:
  static constexpr size_t kMaxOutputBytes = 256u << 20;
  Result<CommandResult> Run(const std::vector<std::string>& argv) override;
  Result<CommandResult> RunWithInput(const std::vector<std::string>& argv,
                                     std::string_view input) override;

 private:
  Result<CommandResult> Spawn(const std::vector<std::string>& argv, const std::string_view* input);
};

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_COMMAND_RUNNER_H_
