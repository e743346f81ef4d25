#include "cli/scan_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <unordered_set>

#include "base/time.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "detect/baseline.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "detect/sequence.h"
#include "detect/threat_intel.h"
#include "findings/aggregator.h"
#include "findings/encode/table.h"
#include "ingest/reader.h"
#include "store/finding_store.h"
#include "store/postgres/detect_stores.h"

namespace vigil::cli {
namespace {

struct ScanOptions {
  std::vector<std::string> paths;
  std::string format;
  std::string output;
  RuleOptions rules;
  std::string cluster = "default";
  std::string account;
  std::string region;
  std::vector<std::string> threat_lists;
  std::vector<std::string> trusted_proxies;
  std::vector<std::string> geoip_dbs;
  std::string db;
  std::string dead_letter;
  std::string dedup_window = "15m";
  size_t dedup_max_entries = 1 << 18;
  std::string fail_on;
  bool quiet = false;
  bool stats = false;
  bool progress = false;
  bool no_progress = false;
  bool validate_all = false;
  bool sequences = false;
  bool no_sequences = false;
  bool baselines = false;
  std::string learning_period = "7d";
};

// The rules that cost the most condition evaluations, with how often they matched: where to look
// when a rule file makes a scan slow or noisy.
void PrintBusiestRules(const detect::Engine& engine, std::ostream& err) {
  const auto& counters = engine.rule_counters();
  std::vector<std::uint32_t> order;
  for (std::uint32_t i = 0; i < counters.size(); ++i) {
    if (counters[i].evaluations > 0) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return counters[a].evaluations > counters[b].evaluations;
  });
  if (order.size() > 10) order.resize(10);
  for (std::uint32_t i : order) {
    err << fmt::format("vigil: rule: {} evaluations, {} matches: {}\n", counters[i].evaluations,
                       counters[i].matches, engine.rules().rules()[i].name);
  }
}

std::string SummaryLine(const ingest::Stats& in,
                        const detect::EngineStats& eng,
                        double seconds,
                        std::span<const findings::Finding> list,
                        std::uint64_t stored) {
  std::string s = fmt::format("vigil: {} events from {} input{} ({}) in {:.2f}s ({} events/s)",
                              in.events, in.inputs, in.inputs == 1 ? "" : "s",
                              HumanBytes(in.bytes_decoded), seconds,
                              HumanCount(seconds > 0 ? static_cast<double>(in.events) / seconds : 0));
  if (eng.duplicates > 0) s += fmt::format("; {} duplicate (auditID, stage) skipped", eng.duplicates);
  std::uint64_t rejected = in.rejected_total();
  if (rejected > 0) {
    std::string parts;
    for (size_t k = 0; k < ingest::kRejectKindCount; ++k) {
      if (in.rejected[k] == 0) continue;
      if (!parts.empty()) parts += ", ";
      parts += fmt::format("{} {}", in.rejected[k],
                           ingest::RejectKindName(static_cast<ingest::RejectKind>(k)));
    }
    s += fmt::format("; {} rejected ({})", rejected, parts);
  }
  if (in.control_messages > 0) s += fmt::format("; {} CloudWatch control messages", in.control_messages);
  s += "; " + findings::SummaryLine(list);
  if (stored > 0) s += fmt::format(" ({} stored)", stored);
  return s;
}

int RunScan(ScanOptions& o) {
  // Everything that can be wrong with the configuration is found before any event is read.
  std::optional<OutputFormat> format;
  if (o.format.empty()) {
    format = (o.output.empty() && IsTerminal(STDOUT_FILENO)) ? OutputFormat::kTable
                                                             : OutputFormat::kJson;
  } else {
    format = ParseOutputFormat(o.format);
  }
  std::optional<findings::Severity> fail_on;
  if (!o.fail_on.empty()) {
    fail_on = findings::ParseSeverity(o.fail_on);
    if (!fail_on) {
      std::cerr << "vigil scan: --fail-on: '" << o.fail_on
                << "' is not a severity (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)\n";
      return kExitUsage;
    }
  }
  auto window = ParseDurationSeconds(o.dedup_window);
  if (!window) {
    std::cerr << "vigil scan: --dedup-window: '" << o.dedup_window
              << "' is not a duration (e.g. 90s, 15m, 1h)\n";
    return kExitUsage;
  }
  auto rules = LoadRules(o.rules);
  if (!rules) {
    std::cerr << "vigil scan: " << rules.error().ToString() << "\n";
    return ExitCodeFor(rules.error());
  }
  auto intel = detect::LoadThreatIntel(o.threat_lists, o.trusted_proxies);
  if (!intel) {
    std::cerr << "vigil scan: " << intel.error().ToString() << "\n";
    return ExitCodeFor(intel.error());
  }
  std::shared_ptr<const detect::GeoIp> geoip;
  if (!o.geoip_dbs.empty()) {
    auto opened = detect::GeoIp::Open(o.geoip_dbs);
    if (!opened) {
      std::cerr << "vigil scan: " << opened.error().ToString() << "\n";
      return ExitCodeFor(opened.error());
    }
    geoip = std::move(*opened);
  }
  std::unique_ptr<store::FindingStore> store;
  if (!o.db.empty()) {
    auto opened = store::OpenFindingStore(o.db);
    if (!opened) {
      std::cerr << "vigil scan: " << opened.error().ToString() << "\n";
      return ExitCodeFor(opened.error());
    }
    store = std::move(*opened);
  }
  // Baselines: learned from this scan, and with --db loaded from and saved to the store.
  std::optional<detect::BaselineDetector> baseline;
  std::unique_ptr<detect::BaselineStore> baseline_store;
  std::int64_t learning_seconds = 0;
  if (o.baselines) {
    auto lp = ParseDurationSeconds(o.learning_period);
    if (!lp || *lp < 0) {
      std::cerr << "vigil scan: --learning-period: '" << o.learning_period
                << "' is not a duration (e.g. 12h, 7d)\n";
      return kExitUsage;
    }
    learning_seconds = *lp;
    detect::BaselineState state;
    if (!o.db.empty()) {
      auto opened = store::OpenBaselineStore(o.db);
      if (!opened) {
        std::cerr << "vigil scan: " << opened.error().ToString() << "\n";
        return ExitCodeFor(opened.error());
      }
      baseline_store = std::move(*opened);
      auto loaded = baseline_store->LoadBaseline(o.cluster);
      if (!loaded) {
        std::cerr << "vigil scan: " << loaded.error().ToString() << "\n";
        return ExitCodeFor(loaded.error());
      }
      if (*loaded) state = std::move(**loaded);
    }
    baseline.emplace(detect::BaselineOptions{.cluster = o.cluster,
                                             .account = o.account,
                                             .region = o.region,
                                             .learning_seconds = learning_seconds,
                                             .geoip = geoip},
                     std::move(state));
  }
  std::ofstream dead_letter;
  if (!o.dead_letter.empty()) {
    dead_letter.open(o.dead_letter, std::ios::out | std::ios::app);
    if (!dead_letter) {
      std::cerr << "vigil scan: cannot write dead-letter file '" << o.dead_letter << "'\n";
      return kExitIo;
    }
  }
  std::ofstream output_file;
  std::ostream* out = &std::cout;
  if (!o.output.empty() && o.output != "-") {
    output_file.open(o.output, std::ios::out | std::ios::trunc);
    if (!output_file) {
      std::cerr << "vigil scan: cannot write output file '" << o.output << "'\n";
      return kExitIo;
    }
    out = &output_file;
  }

  detect::EngineOptions eo;
  eo.cluster = o.cluster;
  eo.account = o.account;
  eo.region = o.region;
  eo.dedup_window_seconds = *window;
  eo.dedup_max_entries = o.dedup_max_entries;
  eo.geoip = geoip;
  detect::Engine engine(*rules, (*intel)->has_lists() || !o.trusted_proxies.empty() ? *intel : nullptr,
                        eo);

  findings::FindingAggregator::Options ao;
  if (store) {
    ao.track_events = true;
    ao.max_findings = 10000;
    ao.max_pending_events = 200000;
  }
  findings::FindingAggregator aggregator(ao);
  std::optional<detect::SequenceCorrelator> sequences;
  if (!o.no_sequences) {
    sequences.emplace(detect::SequenceOptions{
        .cluster = o.cluster, .account = o.account, .region = o.region});
  }
  // A finding the store holds as SUPPRESSED does not count towards an attack sequence.
  std::unordered_set<std::string> suppressed_ids;  // asked once per flush, for every signal
  auto suppressed = [&](std::string_view id) {
    return suppressed_ids.contains(std::string(id));
  };
  std::optional<findings::Severity> sequence_severity;
  std::uint64_t stored = 0;
  Status store_status;
  std::vector<std::string> touched;  // ids this scan stored, to print them as the store has them
  std::unordered_set<std::string> touched_set;
  auto flush = [&] {
    if (!store || !store_status) return;
    auto batch = aggregator.TakeAll();
    // Findings first, so that suppression rules have archived what they match before the
    // attack-sequence correlator asks.
    for (int round = 0; round < 2; ++round) {
      if (round == 1) {
        if (!sequences) break;
        auto found = store->SuppressedAmong(sequences->FindingIds());
        if (!found) {
          store_status = std::move(found).error();
          return;
        }
        suppressed_ids = std::unordered_set<std::string>(found->begin(), found->end());
        batch = sequences->TakeFindings(NowNanos(), suppressed);
        if (!batch.empty()) sequence_severity = findings::Severity::kCritical;
      }
      if (batch.empty()) continue;
      auto result = store->Upsert(batch, NowNanos());
      if (!result) {
        store_status = std::move(result).error();
        return;
      }
      for (const auto& outcome : result->outcomes) {
        if (touched_set.insert(outcome.id).second) touched.push_back(outcome.id);
      }
    }
    stored = touched.size();
  };
  detect::ScanPipeline pipeline(engine, aggregator, dead_letter.is_open() ? &dead_letter : nullptr,
                                flush);
  if (sequences) pipeline.set_sequences(&*sequences);
  if (baseline) pipeline.set_baselines(&*baseline);

  ingest::ReaderOptions ro;
  ro.validate_all = o.validate_all;
  bool show_progress = !o.no_progress && (o.progress || IsTerminal(STDERR_FILENO));
  auto started = std::chrono::steady_clock::now();
  if (show_progress) {
    ro.progress = [&](const ingest::Progress& p) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      double rate = secs > 0 ? static_cast<double>(engine.stats().events) / secs : 0;
      if (p.bytes_total > 0) {
        std::cerr << fmt::format("\r\033[K{}: {} / {} ({:.0f}%), {} events/s", p.input,
                                 HumanBytes(p.bytes_done), HumanBytes(p.bytes_total),
                                 100.0 * static_cast<double>(p.bytes_done) /
                                     static_cast<double>(p.bytes_total),
                                 HumanCount(rate));
      } else {
        std::cerr << fmt::format("\r\033[K{}: {}, {} events/s", p.input, HumanBytes(p.bytes_done),
                                 HumanCount(rate));
      }
    };
  }
  ingest::Reader reader(ro);
  int code = kExitOk;
  for (const auto& path : o.paths) {
    Status st = reader.ReadFile(path, pipeline);
    if (!st) {
      if (show_progress) std::cerr << "\r\033[K";
      std::cerr << "vigil scan: " << st.error().ToString() << "\n";
      code = kExitIo;
    }
  }
  if (show_progress) std::cerr << "\r\033[K";
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (baseline_store && baseline->dirty()) {
    Status saved = baseline_store->SaveBaseline(baseline->state(), learning_seconds);
    if (!saved) {
      std::cerr << "vigil scan: saving the baseline: " << saved.error().ToString() << "\n";
      code = kExitIo;
    }
  }
  std::vector<findings::Finding> list;
  if (store) {
    flush();
    if (!store_status) {
      std::cerr << "vigil scan: storing findings: " << store_status.error().ToString() << "\n";
      return kExitIo;
    }
    // Print what this scan touched, as the store now holds it (merged with earlier scans).
    for (const auto& id : touched) {
      auto f = store->Get(id);
      if (f) list.push_back(std::move(*f));
    }
  } else {
    // Sequence findings first, so that the list is allocated once with room for them: growing
    // it would hold two copies of every finding at the scan's peak of memory.
    std::vector<findings::Finding> sequence_findings;
    if (sequences) sequence_findings = sequences->TakeFindings(NowNanos());
    list = aggregator.TakeAll(sequence_findings.size());
    for (auto& f : sequence_findings) {
      sequence_severity = findings::Severity::kCritical;
      list.push_back(std::move(f));
    }
  }
  WriteFindings(*out, *format, list, out == &std::cout && UseColor(STDOUT_FILENO));
  if (!*out) {
    std::cerr << "vigil scan: writing findings failed\n";
    code = kExitIo;
  }
  if (!o.quiet) {
    std::cerr << SummaryLine(reader.stats(), engine.stats(), seconds, list, stored) << "\n";
  }
  if (o.stats) {
    const auto& es = engine.stats();
    std::cerr << fmt::format(
        "vigil: engine: {} rules active; {} events evaluated ({} needed no rule), {} duplicates "
        "skipped; {} condition evaluations ({:.2f} per event); {} matches ({} with evidence "
        "built), {} repeat-stage matches held back\n",
        engine.active_rules(), es.evaluated, es.no_candidates, es.duplicates, es.rule_evaluations,
        es.evaluated ? static_cast<double>(es.rule_evaluations) / static_cast<double>(es.evaluated) : 0.0,
        es.matches, es.detailed, es.repeat_stage_matches);
    std::cerr << fmt::format("vigil: reader: {} of {} events read by their keys alone (no rule "
                             "could match them)\n",
                             reader.stats().prefiltered, reader.stats().events);
    PrintBusiestRules(engine, std::cerr);
  }
  std::optional<findings::Severity> max_severity = pipeline.max_severity();
  if (sequence_severity && (!max_severity || *sequence_severity > *max_severity)) {
    max_severity = sequence_severity;
  }
  if (code == kExitOk && fail_on && max_severity && *max_severity >= *fail_on) {
    code = kExitFindings;
  }
  if (store || baseline_store) return code;  // databases are closed by their destructors
  // Everything is written: close the files and leave without freeing (for a large scan, the
  // findings, rule set and buffers take milliseconds to tear down).
  for (std::ofstream* file : {&output_file, &dead_letter}) {
    if (!file->is_open()) continue;
    const bool failed_before = file->fail();  // said above
    file->close();
    if (file->fail() && !failed_before) {
      std::cerr << "vigil scan: writing " << (file == &output_file ? o.output : o.dead_letter)
                << " failed\n";
      code = kExitIo;
    }
  }
  return ExitWithoutTeardown(code);
}

}  // namespace

void RegisterScanCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand("scan", "Scan audit logs and report findings");
  cmd->add_option("paths", o->paths,
                  "Audit log files: JSON lines, EventList, CloudWatch exports or subscription "
                  "payloads, optionally gzip-compressed; '-' reads standard input")
      ->required();
  cmd->add_option("--format", o->format,
                  "table, json, asff or ocsf (default: table on a terminal, json otherwise)")
      ->check(CLI::IsMember({"table", "json", "asff", "ocsf"}));
  cmd->add_option("-o,--output", o->output, "Write findings to this file instead of stdout");
  o->rules.Register(*cmd);
  cmd->add_option("--cluster", o->cluster, "Cluster name used in finding ids and ARNs")
      ->capture_default_str();
  cmd->add_option("--account", o->account, "AWS account id (12 digits) for ASFF/OCSF");
  cmd->add_option("--region", o->region, "AWS region for ASFF/OCSF");
  cmd->add_option("--threat-list", o->threat_lists,
                  "NAME=FILE: IPs/CIDRs, one per line; NAME 'tor' gives TorIPCaller findings, any "
                  "other name MaliciousIPCaller.Custom (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--trusted-proxy", o->trusted_proxies,
                  "IP or CIDR of a proxy in front of the API server; its entries in sourceIPs are "
                  "not the caller (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--geoip-db", o->geoip_dbs,
                  "MaxMind-format database (.mmdb: GeoLite2/GeoIP2 Country, City or ASN) giving "
                  "the caller's country and AS to rules (vigil.geo.*), findings and baselines "
                  "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--db", o->db, "Also store findings in this SQLite database");
  cmd->add_option("--dead-letter", o->dead_letter,
                  "Append every rejected record (where, why, redacted excerpt) to this file as JSON "
                  "lines");
  cmd->add_option("--dedup-window", o->dedup_window,
                  "A repeated (auditID, stage) pair within this much event time makes no second observation")
      ->capture_default_str();
  cmd->add_option("--dedup-max-entries", o->dedup_max_entries,
                  "At most this many (auditID, stage) pairs of matching events are remembered")
      ->capture_default_str();
  cmd->add_option("--fail-on", o->fail_on,
                  "Exit with code 3 when a finding at or above this severity was produced");
  cmd->add_flag("-q,--quiet", o->quiet, "Do not print the summary line on stderr");
  cmd->add_flag("--stats", o->stats, "Also print the engine's counters on stderr");
  cmd->add_flag("--validate-all", o->validate_all,
                "Parse every event in full, so malformed JSON anywhere in it is rejected, even in "
                "events no rule can match (slower)");
  cmd->add_flag("--baselines", o->baselines,
                "Learn what is normal per principal and report AnomalousBehavior findings after the "
                "learning period; with --db the baseline is loaded from and saved to the store");
  cmd->add_option("--learning-period", o->learning_period,
                  "Event time a baseline learns before anomalies are reported")
      ->capture_default_str();
  cmd->add_flag("--sequences", o->sequences,
                "Correlate findings and weak signals into AttackSequence:EKS/CompromisedCluster "
                "findings (the default; kept for scripts that say so)");
  cmd->add_flag("--no-sequences", o->no_sequences, "Do not correlate attack sequences");
  cmd->add_flag("--progress", o->progress, "Show progress on stderr even when it is not a terminal");
  cmd->add_flag("--no-progress", o->no_progress, "Never show progress");
  cmd->callback([o, &run] { run = [o] { return RunScan(*o); }; });
}

}  // namespace vigil::cli
