#include "cli/findings_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "base/time.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "controls/blinding.h"
#include "store/finding_store.h"

namespace vigil::cli {
namespace {

struct ListOptions {
  std::string db;
  std::string format;
  std::string min_severity;
  std::string type;
  std::string cluster;
  std::string principal;
  std::string ns;
  std::string since;
  std::string until;
  std::vector<std::string> status;
  size_t limit = 100;
  size_t offset = 0;
};

struct ShowOptions {
  std::string db;
  std::string id;
  std::string format = "json";
};

// A time bound: RFC 3339, or a duration before now ("24h", "7d").
Result<UnixNanos> ParseTimeBound(const std::string& flag, const std::string& text) {
  if (auto t = ParseRfc3339(text)) return *t;
  if (auto d = ParseDurationSeconds(text)) return NowNanos() - *d * 1000000000LL;
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("{}: '{}' is neither an RFC 3339 time nor a duration like 24h", flag,
                               text));
}

Result<std::unique_ptr<store::FindingStore>> OpenExisting(const std::string& db) {
  if (db != ":memory:" && !store::IsPostgresLocation(db) && ::access(db.c_str(), F_OK) != 0) {
    return MakeError(ErrorCode::kIo, fmt::format("no findings database at '{}'", db));
  }
  return store::OpenFindingStore(db);
}

int RunList(const ListOptions& o) {
  store::FindingQuery q;
  if (!o.min_severity.empty()) {
    q.min_severity = findings::ParseSeverity(o.min_severity);
    if (!q.min_severity) {
      std::cerr << "vigil findings list: --severity: '" << o.min_severity << "' is not a severity\n";
      return kExitUsage;
    }
  }
  if (!o.type.empty() && o.type.back() == '*') {
    q.type_prefix = o.type.substr(0, o.type.size() - 1);
  } else {
    q.type = o.type;
  }
  q.cluster = o.cluster;
  q.principal = o.principal;
  q.ns = o.ns;
  for (const auto& [flag, text, target] :
       {std::tuple{"--since", &o.since, &q.since}, std::tuple{"--until", &o.until, &q.until}}) {
    if (text->empty()) continue;
    auto t = ParseTimeBound(flag, *text);
    if (!t) {
      std::cerr << "vigil findings list: " << t.error().message << "\n";
      return kExitUsage;
    }
    *target = *t;
  }
  for (const auto& s : o.status) {
    auto w = findings::ParseWorkflowStatus(s);
    if (!w) {
      std::cerr << "vigil findings list: --status: '" << s
                << "' is not one of NEW, NOTIFIED, RESOLVED, SUPPRESSED\n";
      return kExitUsage;
    }
    q.workflow.push_back(*w);
  }
  q.limit = o.limit;
  q.offset = o.offset;
  auto format = o.format.empty() ? (IsTerminal(STDOUT_FILENO) ? OutputFormat::kTable : OutputFormat::kJson)
                                 : *ParseOutputFormat(o.format);
  q.with_evidence = format != OutputFormat::kTable;
  auto db = OpenExisting(o.db);
  if (!db) {
    std::cerr << "vigil findings list: " << db.error().ToString() << "\n";
    return ExitCodeFor(db.error());
  }
  auto page = (*db)->List(q);
  if (!page) {
    std::cerr << "vigil findings list: " << page.error().ToString() << "\n";
    return ExitCodeFor(page.error());
  }
  // Detections name the failing controls that would blind them (controls/blinding.h).
  if (auto linked = controls::LinkBlindingControls(**db, page->findings); !linked) {
    std::cerr << "vigil findings list: " << linked.error().ToString() << "\n";
    return ExitCodeFor(linked.error());
  }
  WriteFindings(std::cout, format, page->findings, UseColor(STDOUT_FILENO));
  if (page->total > page->findings.size() + o.offset) {
    std::cerr << fmt::format("showing {}–{} of {} (use --offset/--limit for more)\n", o.offset + 1,
                             o.offset + page->findings.size(), page->total);
  }
  return kExitOk;
}

int RunShow(const ShowOptions& o) {
  auto db = OpenExisting(o.db);
  if (!db) {
    std::cerr << "vigil findings show: " << db.error().ToString() << "\n";
    return ExitCodeFor(db.error());
  }
  auto f = (*db)->Get(o.id);
  if (!f) {
    std::cerr << "vigil findings show: " << f.error().ToString() << "\n";
    return f.error().code == ErrorCode::kNotFound ? kExitUsage : ExitCodeFor(f.error());
  }
  std::vector<findings::Finding> one{std::move(*f)};
  if (auto linked = controls::LinkBlindingControls(**db, one); !linked) {
    std::cerr << "vigil findings show: " << linked.error().ToString() << "\n";
    return ExitCodeFor(linked.error());
  }
  WriteFindings(std::cout, *ParseOutputFormat(o.format), one, UseColor(STDOUT_FILENO));
  return kExitOk;
}

}  // namespace

void RegisterFindingsCommand(CLI::App& app, std::function<int()>& run) {
  CLI::App* cmd = app.add_subcommand("findings", "Query the findings store");
  cmd->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* list = cmd->add_subcommand("list", "List stored findings, newest activity first");
  list->add_option("--db", lo->db, "The store written by 'vigil scan --db' (a SQLite file or a postgres:// URL)")->required();
  list->add_option("--format", lo->format, "table, json, asff or ocsf")
      ->check(CLI::IsMember({"table", "json", "asff", "ocsf"}));
  list->add_option("--severity", lo->min_severity, "Only findings at or above this severity");
  list->add_option("--type", lo->type, "Finding type; a trailing * matches a prefix");
  list->add_option("--cluster", lo->cluster, "Only this cluster");
  list->add_option("--principal", lo->principal, "Only this principal (username)");
  list->add_option("--namespace", lo->ns, "Only this target namespace");
  list->add_option("--since", lo->since, "Last seen at or after: RFC 3339 time or a duration ago (24h)");
  list->add_option("--until", lo->until, "First seen at or before: RFC 3339 time or a duration ago");
  list->add_option("--status", lo->status, "Workflow status NEW|NOTIFIED|RESOLVED|SUPPRESSED (repeatable)")
      ->allow_extra_args(false);
  list->add_option("--limit", lo->limit, "At most this many (0: all)")->capture_default_str();
  list->add_option("--offset", lo->offset, "Skip this many")->capture_default_str();
  list->callback([lo, &run] { run = [lo] { return RunList(*lo); }; });

  auto so = std::make_shared<ShowOptions>();
  CLI::App* show = cmd->add_subcommand("show", "Show one finding with its redacted evidence");
  show->add_option("id", so->id, "The finding id")->required();
  show->add_option("--db", so->db, "The store (a SQLite file or a postgres:// URL)")->required();
  show->add_option("--format", so->format, "json, asff, ocsf or table")
      ->check(CLI::IsMember({"table", "json", "asff", "ocsf"}))
      ->capture_default_str();
  show->callback([so, &run] { run = [so] { return RunShow(*so); }; });
}

}  // namespace vigil::cli
