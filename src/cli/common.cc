#include "cli/common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "detect/builtin_rules.h"
#include "findings/encode/asff.h"
#include "findings/encode/json.h"
#include "findings/encode/ocsf.h"
#include "findings/encode/table.h"

namespace vigil::cli {

void RuleOptions::Register(CLI::App& app) {
  app.add_option("--rules", files,
                 "Falco-format rule file or directory of *.yaml files, loaded after the built-in "
                 "catalog (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--no-builtin-rules", no_builtin, "Do not load the built-in catalog");
}

Result<std::shared_ptr<const rules::RuleSet>> LoadRules(const RuleOptions& options) {
  return detect::LoadRuleCatalog(!options.no_builtin, options.files);
}

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "asff") return OutputFormat::kAsff;
  if (name == "ocsf") return OutputFormat::kOcsf;
  return std::nullopt;
}

void WriteFindings(std::ostream& out,
                   OutputFormat format,
                   std::span<const findings::Finding> list,
                   bool color) {
  switch (format) {
    case OutputFormat::kTable: {
      findings::TableOptions opts;
      opts.color = color;
      findings::WriteTable(out, list, opts);
      break;
    }
    case OutputFormat::kJson:
      findings::WriteFindingJsonLines(out, list);
      break;
    case OutputFormat::kAsff:
      findings::WriteAsffLines(out, list);
      break;
    case OutputFormat::kOcsf:
      findings::WriteOcsfLines(out, list);
      break;
  }
  out.flush();
}

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

bool UseColor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  return IsTerminal(fd) && (no_color == nullptr || *no_color == '\0');
}

std::string HumanBytes(std::uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  if (bytes < 1000 * 1000) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
  if (bytes < 1000ULL * 1000 * 1000) return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
  return fmt::format("{:.2f} GB", static_cast<double>(bytes) / 1e9);
}

std::string HumanCount(double n) {
  if (n < 1000) return fmt::format("{:.0f}", n);
  if (n < 1e6) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{:.2f}M", n / 1e6);
}

int ExitWithoutTeardown(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
#if defined(__SANITIZE_ADDRESS__) || defined(VIGIL_PGO_GENERATE)
  return code;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return code;
#else
  std::_Exit(code);
#endif
#else
  std::_Exit(code);
#endif
}

}  // namespace vigil::cli
