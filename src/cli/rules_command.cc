#include "cli/rules_command.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "detect/threat_intel.h"
#include "ingest/reader.h"
#include "rules/explain.h"
#include "rules/rule.h"

namespace vigil::cli {
namespace {

struct ListOptions {
  RuleOptions rules;
  bool all = false;
  std::string format = "table";
};

int RunList(const ListOptions& o) {
  auto set = LoadRules(o.rules);
  if (!set) {
    std::cerr << "vigil rules list: " << set.error().ToString() << "\n";
    return ExitCodeFor(set.error());
  }
  const auto& rules = (*set)->rules();
  if (o.format == "json") {
    for (const auto& r : rules) {
      if (!r.enabled && !o.all) continue;
      std::cout << fmt::format(
          R"({{"name":{:?},"enabled":{},"priority":{:?},"severity":{:?},"finding_type":{:?},"source":{:?}}})",
          r.name, r.enabled, rules::PriorityName(r.priority), r.severity, r.finding_type,
          r.pos.ToString())
                << "\n";
    }
    return kExitOk;
  }
  size_t width = 4;
  for (const auto& r : rules) width = std::max(width, r.name.size());
  width = std::min<size_t>(width, 72);
  std::cout << fmt::format("{:<{}}  {:<13}  {:<8}  {}\n", "RULE", width, "SEVERITY", "ENABLED",
                           "DEFINED AT");
  size_t shown = 0;
  for (const auto& r : rules) {
    if (!r.enabled && !o.all) continue;
    ++shown;
    std::cout << fmt::format("{:<{}}  {:<13}  {:<8}  {}\n", r.name, width, r.severity,
                             r.enabled ? "yes" : "no", r.pos.ToString());
  }
  std::cout << fmt::format("{} rules shown; {} enabled of {} loaded", shown, (*set)->enabled_count(),
                           rules.size());
  if ((*set)->skipped_other_source() > 0) {
    std::cout << fmt::format("; {} rules of other sources skipped", (*set)->skipped_other_source());
  }
  std::cout << "\n";
  return kExitOk;
}

struct TestOptions {
  RuleOptions rules;
  std::string rule;
  std::string event_file;
  std::vector<std::string> threat_lists;
  std::string cluster = "default";
};

// Explains the rule for every event in the file.
class ExplainSink : public ingest::EventSink {
 public:
  ExplainSink(const rules::RuleSet& set, const rules::Rule& rule, const detect::ThreatIntel& intel,
              std::string cluster)
      : set_(set), rule_(rule), intel_(intel), cluster_(std::move(cluster)) {}

  void OnEvent(const event::AuditEvent& ev, const ingest::Origin& origin) override {
    rules::EventContext ctx;
    ctx.cluster = cluster_;
    if (auto ips = ev.Get(event::Member::kSourceIps)) {
      ctx.caller_ip = intel_.CallerIp(*ips);
      intel_.Match(*ips, matches_);
      ctx.threat_matches = matches_;
    }
    auto e = rules::ExplainRule(set_, rule_, ev, &ctx);
    ++events_;
    if (e.matched) ++matched_;
    std::cout << fmt::format("event {} (auditID {}, stage {}, {}:{}):\n", events_, ev.audit_id(),
                             ev.stage_name(), origin.input, origin.line)
              << rules::FormatExplanation(e) << "\n";
  }
  void OnRejected(const ingest::Rejection& r) override {
    ++rejected_;
    std::cerr << fmt::format("{}:{}: not evaluated: {}\n", r.input, r.line, r.reason);
  }
  int events_ = 0, matched_ = 0, rejected_ = 0;

 private:
  const rules::RuleSet& set_;
  const rules::Rule& rule_;
  const detect::ThreatIntel& intel_;
  std::string cluster_;
  std::vector<rules::ThreatMatch> matches_;
};

int RunTest(const TestOptions& o) {
  auto set = LoadRules(o.rules);
  if (!set) {
    std::cerr << "vigil rules test: " << set.error().ToString() << "\n";
    return ExitCodeFor(set.error());
  }
  const rules::Rule* rule = (*set)->FindRule(o.rule);
  if (rule == nullptr) {
    std::cerr << fmt::format("vigil rules test: no rule named '{}' is loaded (see 'vigil rules list')\n",
                             o.rule);
    return kExitUsage;
  }
  detect::ThreatIntel intel;
  for (const auto& spec : o.threat_lists) {
    auto eq = spec.find('=');
    Status st = eq == std::string::npos
                    ? Status(MakeError(ErrorCode::kConfig, "--threat-list: expected NAME=FILE"))
                    : intel.LoadList(spec.substr(0, eq), spec.substr(eq + 1));
    if (!st) {
      std::cerr << "vigil rules test: " << st.error().ToString() << "\n";
      return ExitCodeFor(st.error());
    }
  }
  ExplainSink sink(**set, *rule, intel, o.cluster);
  ingest::Reader reader;
  if (auto st = reader.ReadFile(o.event_file, sink); !st) {
    std::cerr << "vigil rules test: " << st.error().ToString() << "\n";
    return kExitIo;
  }
  if (sink.events_ == 0) {
    std::cerr << fmt::format("vigil rules test: '{}' holds no audit event\n", o.event_file);
    return kExitUsage;
  }
  std::cout << fmt::format("{}: matched {} of {} event(s)\n", rule->name, sink.matched_, sink.events_);
  return kExitOk;
}

}  // namespace

void RegisterRulesCommand(CLI::App& app, std::function<int()>& run) {
  CLI::App* cmd = app.add_subcommand("rules", "Inspect and test detection rules");
  cmd->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* list = cmd->add_subcommand("list", "List the loaded rules (built-in catalog and --rules)");
  lo->rules.Register(*list);
  list->add_flag("--all", lo->all, "Also list disabled rules");
  list->add_option("--format", lo->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  list->callback([lo, &run] { run = [lo] { return RunList(*lo); }; });

  auto to = std::make_shared<TestOptions>();
  CLI::App* test = cmd->add_subcommand(
      "test", "Show whether and why a rule matches the events in a file (each field it reads)");
  test->add_option("rule", to->rule, "The rule's name")->required();
  test->add_option("event", to->event_file, "A file holding one or more audit events")->required();
  to->rules.Register(*test);
  test->add_option("--threat-list", to->threat_lists, "NAME=FILE, as for scan (repeatable)")
      ->allow_extra_args(false);
  test->add_option("--cluster", to->cluster, "Cluster name (the vigil.cluster field)");
  test->callback([to, &run] { run = [to] { return RunTest(*to); }; });
}

}  // namespace vigil::cli
