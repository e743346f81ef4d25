#include "cli/controls_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include "base/time.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "controls/collect.h"
#include "controls/evaluate.h"
#include "controls/kube_audit.h"
#include "controls/report.h"
#include "findings/encode/table.h"
#include "store/finding_store.h"

namespace vigil::cli {
namespace {

struct CheckOptions {
  std::string snapshot;
  std::string manifest;
  std::string policy;
  std::string cluster = "default";
  std::string format;
  std::string output;
  std::string db;
  std::string fail_on;
  std::string eks_oldest = controls::EksOptions{}.oldest_supported_version;
};

int Fail(std::string_view command, const Error& e) {
  std::cerr << "vigil controls " << command << ": " << e.ToString() << "\n";
  return ExitCodeFor(e);
}

void WriteResults(std::ostream& out,
                  OutputFormat format,
                  std::span<const findings::Finding> list,
                  bool color) {
  if (format == OutputFormat::kTable) {
    findings::TableOptions options;
    options.color = color;
    findings::WriteComplianceTable(out, list, options);
    return;
  }
  WriteFindings(out, format, list, color);
}

int RunCheck(const CheckOptions& o) {
  if (o.snapshot.empty() && o.manifest.empty()) {
    std::cerr << "vigil controls check: give --snapshot SNAP and/or --apiserver-manifest FILE\n";
    return kExitUsage;
  }
  if (!o.policy.empty() && o.manifest.empty()) {
    std::cerr << "vigil controls check: --audit-policy needs --apiserver-manifest\n";
    return kExitUsage;
  }
  if (!controls::ParseKubernetesVersion(o.eks_oldest)) {
    std::cerr << "vigil controls check: --eks-oldest-version: '" << o.eks_oldest
              << "' is not <major>.<minor>\n";
    return kExitUsage;
  }
  std::optional<findings::Severity> fail_on;
  if (!o.fail_on.empty()) {
    fail_on = findings::ParseSeverity(o.fail_on);
    if (!fail_on) {
      std::cerr << "vigil controls check: --fail-on: '" << o.fail_on
                << "' is not a severity (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)\n";
      return kExitUsage;
    }
  }
  const OutputFormat format =
      o.format.empty() ? ((o.output.empty() && IsTerminal(STDOUT_FILENO)) ? OutputFormat::kTable
                                                                          : OutputFormat::kJson)
                       : *ParseOutputFormat(o.format);
  std::unique_ptr<store::FindingStore> store;
  if (!o.db.empty()) {
    auto opened = store::OpenFindingStore(o.db);
    if (!opened) return Fail("check", opened.error());
    store = std::move(*opened);
  }

  const UnixNanos now = NowNanos();
  std::vector<findings::Finding> results;
  if (!o.snapshot.empty()) {
    controls::SnapshotOptions options;
    options.eks.oldest_supported_version = o.eks_oldest;
    auto evaluated = controls::EvaluateSnapshot(o.snapshot, options, now);
    if (!evaluated) return Fail("check", evaluated.error());
    results = std::move(*evaluated);
  }
  if (!o.manifest.empty()) {
    controls::KubeAuditOptions options;
    options.cluster = o.cluster;
    options.policy_file = o.policy;
    auto evaluated = controls::EvaluateApiServerManifest(o.manifest, options, now);
    if (!evaluated) return Fail("check", evaluated.error());
    for (findings::Finding& f : *evaluated) results.push_back(std::move(f));
  }

  if (store) {
    auto stored = store->Upsert(results, now);
    if (!stored) return Fail("check", stored.error());
    // Print what the store now holds: its workflow status and when the status last changed.
    for (findings::Finding& f : results) {
      auto current = store->Get(f.id);
      if (!current) return Fail("check", current.error());
      f = std::move(*current);
    }
  }

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!o.output.empty() && o.output != "-") {
    file.open(o.output, std::ios::out | std::ios::trunc);
    if (!file) {
      std::cerr << "vigil controls check: cannot write output file '" << o.output << "'\n";
      return kExitIo;
    }
    out = &file;
  }
  WriteResults(*out, format, results, out == &std::cout && UseColor(STDOUT_FILENO));
  out->flush();
  if (!*out) {
    std::cerr << "vigil controls check: writing results failed\n";
    return kExitIo;
  }
  if (format != OutputFormat::kTable) {
    std::cerr << "vigil: " << findings::ComplianceSummaryLine(results) << "\n";
  }
  if (fail_on) {
    for (const findings::Finding& f : results) {
      if (f.compliance && f.compliance->status == findings::ComplianceStatus::kFailed &&
          f.severity >= *fail_on) {
        return kExitFindings;
      }
    }
  }
  return kExitOk;
}

void RegisterCheck(CLI::App& parent, std::function<int()>& run) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "check",
      "Evaluate GuardDuty/EKS controls over a snapshot and/or the API server's audit setup");
  cmd->add_option("--snapshot", o->snapshot,
                  "Snapshot folder: SNAP/<account>/<region>/{guardduty,eks}/*.json (vigil "
                  "controls collect writes one)");
  cmd->add_option("--apiserver-manifest", o->manifest,
                  "kube-apiserver static pod manifest or flags file (KubeAudit.1-3)");
  cmd->add_option("--audit-policy", o->policy,
                  "Audit Policy file to read instead of the path in --audit-policy-file");
  cmd->add_option("--cluster", o->cluster, "Cluster name for the API server results")
      ->capture_default_str();
  cmd->add_option("--eks-oldest-version", o->eks_oldest,
                  "Oldest supported Kubernetes version for EKS.2")
      ->capture_default_str();
  cmd->add_option("--format", o->format,
                  "table, json, asff or ocsf (default: table on a terminal, json otherwise)")
      ->check(CLI::IsMember({"table", "json", "asff", "ocsf"}));
  cmd->add_option("-o,--output", o->output, "Write results to this file instead of stdout");
  cmd->add_option("--db", o->db, "Also store results (with history) in this SQLite database");
  cmd->add_option("--fail-on", o->fail_on,
                  "Exit with code 3 when a FAILED result at or above this severity was produced");
  cmd->callback([o, &run] { run = [o] { return RunCheck(*o); }; });
}

struct CollectCliOptions {
  std::string out;
  std::vector<std::string> regions;
  std::string profile;
  std::string aws = "aws";
  bool quiet = false;
};

int RunCollect(const CollectCliOptions& o) {
  controls::CollectOptions options;
  options.out = o.out;
  options.profile = o.profile;
  options.aws = o.aws;
  for (const std::string& spec : o.regions) {
    // --regions us-east-1,eu-west-1 and repeated --regions both work.
    size_t start = 0;
    while (start <= spec.size()) {
      const size_t comma = std::min(spec.find(',', start), spec.size());
      if (comma > start) options.regions.push_back(spec.substr(start, comma - start));
      start = comma + 1;
    }
  }
  if (!o.quiet) {
    options.progress = [](std::string_view call) { std::cerr << "vigil: aws " << call << "\n"; };
  }
  controls::ProcessRunner runner;
  auto summary = controls::Collect(runner, options);
  if (!summary) return Fail("collect", summary.error());
  std::cerr << fmt::format(
      "vigil: snapshot of account {} ({} region{}) written to {}: {} aws "
      "calls, {} files\n",
      summary->account, summary->regions.size(), summary->regions.size() == 1 ? "" : "s", o.out,
      summary->calls, summary->files);
  return kExitOk;
}

void RegisterCollect(CLI::App& parent, std::function<int()>& run) {
  auto o = std::make_shared<CollectCliOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "collect", "Write a snapshot folder by running the AWS CLI (read-only calls)");
  cmd->add_option("--out", o->out, "Snapshot folder to write")->required();
  cmd->add_option("--regions", o->regions,
                  "Regions, comma-separated or repeated (default: every region of the account)");
  cmd->add_option("--profile", o->profile, "AWS CLI profile for every call");
  cmd->add_option("--aws", o->aws, "The AWS CLI program")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Do not list each call on stderr");
  cmd->callback([o, &run] { run = [o] { return RunCollect(*o); }; });
}

struct ReportOptions {
  std::string db;
  std::string format = "md";
  std::string output;
};

int RunReport(const ReportOptions& o) {
  if (o.db != ":memory:" && !store::IsPostgresLocation(o.db) && ::access(o.db.c_str(), F_OK) != 0) {
    std::cerr << "vigil controls report: no findings database at '" << o.db << "'\n";
    return kExitIo;
  }
  auto store = store::OpenFindingStore(o.db);
  if (!store) return Fail("report", store.error());
  auto rows = controls::LoadReport(**store);
  if (!rows) return Fail("report", rows.error());
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!o.output.empty() && o.output != "-") {
    file.open(o.output, std::ios::out | std::ios::trunc);
    if (!file) {
      std::cerr << "vigil controls report: cannot write output file '" << o.output << "'\n";
      return kExitIo;
    }
    out = &file;
  }
  const UnixNanos now = NowNanos();
  if (o.format == "html") {
    controls::WriteReportHtml(*out, *rows, now);
  } else if (o.format == "json") {
    controls::WriteReportJson(*out, *rows, now);
  } else {
    controls::WriteReportMarkdown(*out, *rows, now);
  }
  out->flush();
  if (!*out) {
    std::cerr << "vigil controls report: writing the report failed\n";
    return kExitIo;
  }
  return kExitOk;
}

void RegisterReport(CLI::App& parent, std::function<int()>& run) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "report", "Report every stored control result: status now, since when, evidence, history");
  cmd->add_option("--db", o->db, "The SQLite database that `controls check --db` wrote")
      ->required();
  cmd->add_option("--format", o->format, "md, html or json")
      ->check(CLI::IsMember({"md", "html", "json"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the report to this file instead of stdout");
  cmd->callback([o, &run] { run = [o] { return RunReport(*o); }; });
}

}  // namespace

void RegisterControlsCommand(CLI::App& app, std::function<int()>& run) {
  CLI::App* cmd =
      app.add_subcommand("controls", "Posture controls: is the monitoring actually on?");
  cmd->require_subcommand(1);
  RegisterCheck(*cmd, run);
  RegisterCollect(*cmd, run);
  RegisterReport(*cmd, run);
}

}  // namespace vigil::cli
