// Pieces several subcommands share: loading the rule catalog, choosing and writing an output
// format, terminal detection. The composition root's helpers; no detection logic lives here.
#ifndef VIGIL_CLI_COMMON_H_
#define VIGIL_CLI_COMMON_H_

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "findings/finding.h"
#include "rules/rule.h"

namespace vigil::cli {

// --rules / --no-builtin-rules.
struct RuleOptions {
  std::vector<std::string> files;  // files or directories, in order
  bool no_builtin = false;

  void Register(CLI::App& app);
};

// Loads the built-in catalog (unless no_builtin) then every --rules path. All errors are
// reported together (kConfig), each with file:line:column.
Result<std::shared_ptr<const rules::RuleSet>> LoadRules(const RuleOptions& options);

enum class OutputFormat { kTable, kJson, kAsff, kOcsf };
std::optional<OutputFormat> ParseOutputFormat(std::string_view name);

// Writes findings in `format` to `out`. `color` applies to the table.
void WriteFindings(std::ostream& out,
                   OutputFormat format,
                   std::span<const findings::Finding> list,
                   bool color);

bool IsTerminal(int fd);
// True when colour should be used on fd (a terminal, and NO_COLOR unset).
bool UseColor(int fd);

// "12.3 MB", "950 B".
std::string HumanBytes(std::uint64_t bytes);
// "1.23M", "950", "12.3k".
std::string HumanCount(double n);

// Ends the process with `code` after flushing standard output and error, without running any
// destructor: a one-shot command that has written everything need not free what it built (a
// scan's findings, rule set and buffers); the kernel takes the memory back at once. The caller
// must have closed its own files. Under AddressSanitizer it returns `code` instead, so that the
// leak check at exit still sees everything; so it does in a profiling build (VIGIL_PGO=generate),
// whose counts are written at exit.
int ExitWithoutTeardown(int code);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_COMMON_H_
