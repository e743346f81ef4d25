// EncodeFindingJson writes a finding's line directly into a string, without a nlohmann tree. Its
// bytes must stay exactly what the tree-building encoder wrote (users and tests compare outputs),
// so every finding here is encoded both ways and compared byte for byte: every finding that
// scanning the repository's audit files gives (built-in catalog plus Falco's rules, with attack
// sequences and baselines), every control finding of the snapshot and kube-apiserver fixtures,
// and hand-made edge cases.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "controls/evaluate.h"
#include "controls/kube_audit.h"
#include "detect/baseline.h"
#include "detect/builtin_rules.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "detect/sequence.h"
#include "findings/aggregator.h"
#include "findings/encode/json.h"
#include "findings/sample_observations.h"
#include "ingest/reader.h"

namespace vigil::findings {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = fs::path(VIGIL_SOURCE_DIR);
constexpr UnixNanos kNow = 1'764'000'000'000'000'000;

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The encoder as it was before it wrote text directly: the nlohmann tree dumped, except that
// evidence which is one valid JSON value on one line (checked with simdjson) was spliced in as it
// is. The tree with null evidence has `,"evidence":null,"workflow_status":` exactly once (a quote
// inside a string value is always escaped), so the splice is that null replaced by the text.
std::string ReferenceLine(const Finding& f) {
  bool splice = !f.evidence.empty() && f.evidence.find_first_of("\r\n") == std::string::npos;
  if (splice) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    splice = parser.parse(f.evidence).get(root) == simdjson::SUCCESS;
  }
  if (!splice) return Dump(FindingToJson(f));
  Finding without = f;
  without.evidence.clear();
  std::string line = Dump(FindingToJson(without));
  const std::string marker = ",\"evidence\":null,\"workflow_status\":";
  const std::size_t at = line.find(marker);
  EXPECT_NE(at, std::string::npos) << line;
  EXPECT_EQ(line.find(marker, at + 1), std::string::npos) << line;
  if (at == std::string::npos) return {};
  line.replace(at + std::string_view(",\"evidence\":").size(), std::string_view("null").size(),
               f.evidence);
  return line;
}

// Compares the two encoders on `f`, and checks that the line reads back as the same finding.
void ExpectSameLine(const Finding& f, const std::string& what) {
  const std::string line = EncodeFindingJson(f);
  ASSERT_EQ(line, ReferenceLine(f)) << what;
  auto back = ParseFindingJson(line);
  ASSERT_TRUE(back.has_value()) << what << ": " << back.error().ToString();
  // (Strings come back with invalid UTF-8 replaced, times to the microsecond.)
  EXPECT_EQ(back->count, f.count) << what;
  EXPECT_EQ(back->audit_ids.size(), f.audit_ids.size()) << what;
  EXPECT_EQ(back->created_at / 1000, f.created_at / 1000) << what;
  EXPECT_EQ(back->compliance.has_value(), f.compliance.has_value()) << what;
  EXPECT_EQ(back->related_findings.size(), f.related_findings.size()) << what;
}

// Scans `paths` as `vigil scan` does (built-in catalog plus Falco's k8s-audit rules, attack
// sequences, baselines with a short learning period), returning every finding.
std::vector<Finding> ScanFiles(const std::vector<fs::path>& paths, bool baselines) {
  auto rules = detect::LoadRuleCatalog(
      true, {(kSource / "bench" / "rules" / "falco_k8s_audit_rules.yaml").string()});
  EXPECT_TRUE(rules.has_value()) << rules.error().ToString();
  if (!rules) return {};
  detect::EngineOptions eo;
  eo.cluster = "prod-eks";
  eo.account = "111122223333";
  eo.region = "us-east-1";
  detect::Engine engine(*rules, nullptr, eo);
  FindingAggregator aggregator;
  detect::SequenceCorrelator sequences(detect::SequenceOptions{
      .cluster = "prod-eks", .account = "111122223333", .region = "us-east-1"});
  detect::BaselineDetector baseline(
      detect::BaselineOptions{.cluster = "prod-eks", .learning_seconds = 600});
  detect::ScanPipeline pipeline(engine, aggregator, nullptr);
  pipeline.set_sequences(&sequences);
  if (baselines) pipeline.set_baselines(&baseline);
  ingest::Reader reader;
  for (const fs::path& p : paths) {
    EXPECT_TRUE(reader.ReadFile(p.string(), pipeline)) << p;
  }
  std::vector<Finding> all = aggregator.TakeAll();
  for (Finding& f : sequences.TakeFindings(kNow)) all.push_back(std::move(f));
  return all;
}

TEST(FindingJsonLineTest, SameBytesForEveryFindingOfTheExampleAuditLogs) {
  const std::vector<fs::path> files = {
      kSource / "examples" / "audit" / "example.jsonl.gz",
      kSource / "docs" / "examples" / "anomalies" / "attack-sequence.jsonl",
      kSource / "tests" / "data" / "ingest" / "cloudwatch_export.jsonl",
      kSource / "tests" / "data" / "ingest" / "array_indent0.json",
      kSource / "tests" / "data" / "ingest" / "eventlist_pretty.json",
      kSource / "tests" / "data" / "ingest" / "cloudwatch_filter_pages.json",
  };
  std::size_t compared = 0, with_evidence = 0, sequences = 0, with_aws = 0;
  for (bool baselines : {false, true}) {
    for (const Finding& f : ScanFiles(files, baselines)) {
      ExpectSameLine(f, f.rule + " " + f.id);
      ++compared;
      with_evidence += f.evidence.empty() ? 0 : 1;
      sequences += f.rule == detect::kAttackSequenceRule ? 1 : 0;
      with_aws += f.principal.aws_arn.empty() ? 0 : 1;
    }
  }
  // The files must really exercise the encoder: many findings, evidence, sequences, IAM callers.
  EXPECT_GT(compared, 100u);
  EXPECT_GT(with_evidence, 100u);
  EXPECT_GT(sequences, 0u);
  EXPECT_GT(with_aws, 0u);
}

TEST(FindingJsonLineTest, SameBytesForEachFileScannedAlone) {
  // Each file alone too: different aggregation, so different counts, audit ids and evidence.
  std::size_t compared = 0;
  for (const char* name : {"cloudwatch_export.jsonl", "array_indent0.json", "eventlist_pretty.json",
                           "cloudwatch_filter_pages.json"}) {
    for (const Finding& f : ScanFiles({kSource / "tests" / "data" / "ingest" / name}, false)) {
      ExpectSameLine(f, std::string(name) + ": " + f.rule);
      ++compared;
    }
  }
  EXPECT_GT(compared, 0u);
}

TEST(FindingJsonLineTest, SameBytesForEveryControlFinding) {
  std::size_t compared = 0;
  std::vector<fs::path> roots;
  for (const fs::path& dir : {kSource / "tests" / "data" / "controls" / "snapshots",
                              kSource / "examples" / "snapshots"}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_directory()) roots.push_back(e.path());
    }
  }
  ASSERT_FALSE(roots.empty());
  for (const fs::path& root : roots) {
    auto results = controls::EvaluateSnapshot(root.string(), {}, kNow);
    if (!results) continue;  // fixtures of unreadable snapshots; their errors are tested elsewhere
    for (const Finding& f : *results) {
      ASSERT_TRUE(f.compliance.has_value()) << root;
      ExpectSameLine(f, root.filename().string() + ": " + f.compliance->control_id);
      ++compared;
    }
  }
  for (const fs::path& manifest :
       {kSource / "tests" / "data" / "controls" / "apiserver" / "good-manifest.yaml",
        kSource / "tests" / "data" / "controls" / "apiserver" / "no-audit-manifest.yaml",
        kSource / "examples" / "apiserver" / "kube-apiserver.yaml"}) {
    controls::KubeAuditOptions options;
    options.cluster = "lab";
    auto results = controls::EvaluateApiServerManifest(manifest.string(), options, kNow);
    ASSERT_TRUE(results.has_value()) << manifest << ": " << results.error().ToString();
    for (const Finding& f : *results) {
      ExpectSameLine(f, manifest.filename().string() + ": " + f.compliance->control_id);
      ++compared;
    }
  }
  EXPECT_GT(compared, 50u);
}

TEST(FindingJsonLineTest, SameBytesForTheSampleFindings) {
  FindingAggregator agg;
  for (const Observation& o : testing::SampleObservations()) agg.Add(o, testing::kSampleNow);
  for (const Finding& f : agg.TakeAll()) ExpectSameLine(f, f.rule);
}

Finding Filled() {
  FindingAggregator agg;
  for (const Observation& o : testing::SampleObservations()) agg.Add(o, testing::kSampleNow);
  return agg.TakeAll().front();
}

TEST(FindingJsonLineTest, SameBytesForAnEmptyFinding) {
  ExpectSameLine(Finding{}, "empty");
  Finding f;
  f.workflow = WorkflowStatus::kSuppressed;
  f.severity = Severity::kCritical;
  ExpectSameLine(f, "suppressed");
}

TEST(FindingJsonLineTest, SameBytesForEachPartOfAnAwsPrincipal) {
  for (int mask = 0; mask < 16; ++mask) {
    Finding f = Filled();
    f.principal.aws_arn = (mask & 1) ? "arn:aws:sts::111122223333:assumed-role/dev/alice" : "";
    f.principal.aws_session_name = (mask & 2) ? "alice" : "";
    f.principal.aws_access_key_id = (mask & 4) ? "ASIAEXAMPLE" : "";
    f.principal.aws_principal_id = (mask & 8) ? "AROAEXAMPLE:alice" : "";
    ExpectSameLine(f, "aws mask " + std::to_string(mask));
  }
}

TEST(FindingJsonLineTest, SameBytesForAwkwardStrings) {
  const std::vector<std::string> texts = {
      "",
      "plain",
      std::string("nul \0 inside", 12),
      "\x01\x02\x1f\x7f controls \b\f\n\r\t",
      "quote \" backslash \\ slash /",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",  // valid UTF-8
      "bad \xff\xfe bytes",
      "truncated \xc3",
      "overlong \xc0\xaf and surrogate \xed\xa0\x80",
      "\xf4\x90\x80\x80 above U+10FFFF",
      "<script>alert('x')</script> \u2028\u2029",
  };
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string& s = texts[i];
    Finding f = Filled();
    f.id = f.rule = f.type = f.title = f.description = f.dedup_key = s;
    f.cluster = f.account = f.region = f.user_agent = f.priority = s;
    f.audit_ids = {s, s};
    f.principal.username = f.principal.uid = f.principal.impersonated_user = s;
    f.principal.groups = {s};
    f.principal.aws_arn = f.principal.aws_session_name = s;
    f.principal.aws_access_key_id = f.principal.aws_principal_id = s;
    f.source_ips = {s};
    f.resource = TargetResource{s, s, s, s, s, s};
    f.mitre = {MitreRef{s, s, s}, MitreRef{}};
    f.remediation = Remediation{s, s};
    f.tags = {s, "", s};
    f.output_fields = {{s, s}, {"k", s}};
    f.context = {{s, "v"}, {"z" + s, s}};
    f.related_findings = {s};
    Compliance c;
    c.control_id = c.standard = c.resource_type = c.resource_id = s;
    c.reasons = {s, s};
    c.evidence = {ControlEvidence{s, s}, ControlEvidence{}};
    f.compliance = c;
    ExpectSameLine(f, "text " + std::to_string(i));
  }
}

TEST(FindingJsonLineTest, SameBytesForEveryEnumValue) {
  for (int s = 0; s <= static_cast<int>(Severity::kCritical); ++s) {
    for (int w = 0; w <= static_cast<int>(WorkflowStatus::kSuppressed); ++w) {
      for (int cs = 0; cs <= static_cast<int>(ComplianceStatus::kNotAvailable); ++cs) {
        Finding f = Filled();
        f.severity = static_cast<Severity>(s);
        f.workflow = static_cast<WorkflowStatus>(w);
        Compliance c;
        c.control_id = "GuardDuty.5";
        c.status = static_cast<ComplianceStatus>(cs);
        c.control_severity = static_cast<Severity>(s);
        c.auto_remediation = (cs % 2) == 0;
        c.status_since = kNow + cs;
        f.compliance = c;
        ExpectSameLine(f, "enums " + std::to_string(s) + std::to_string(w) + std::to_string(cs));
      }
    }
  }
}

TEST(FindingJsonLineTest, SameBytesForCountsTimesAndTruncatedAuditIds) {
  for (std::uint64_t count : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4294967296},
                              std::numeric_limits<std::uint64_t>::max()}) {
    Finding f = Filled();
    f.count = count;
    f.audit_ids_truncated = (count % 2) == 1;
    f.first_seen = -1'500'000'000;  // before 1970
    f.last_seen = std::numeric_limits<UnixNanos>::max() / 4;
    f.created_at = 1;
    f.updated_at = kNow + 999;
    ExpectSameLine(f, "count " + std::to_string(count));
  }
  Finding f = Filled();
  f.audit_ids.assign(100, "00000000-0000-4000-8000-000000000000");
  f.audit_ids_truncated = true;
  ExpectSameLine(f, "100 audit ids");
}

TEST(FindingJsonLineTest, SameBytesForEveryKindOfEvidence) {
  const std::vector<std::string> evidence = {
      "",
      R"({"kind":"Event","auditID":"a","stage":"ResponseComplete"})",
      R"({"b":1,"a":2,"b":3})",                              // duplicate keys: kept as written
      R"({"n":1.0,"e":1E5,"big":12345678901234567890123})",  // numbers nlohmann would reprint
      R"({"u":"\u00e9\u0000\ud83d\udd11","s":"a\/b"})",      // escapes nlohmann would reprint
      R"(  {"padded": true}  )",
      R"("just a string")",
      "42",
      "null",
      "[]",
      "{\"a\":\n1}",      // valid JSON over two lines: reprinted by nlohmann
      "{\"a\":1}\r",      // a carriage return
      "{\"a\":\"x\"}\n",  // a trailing newline
      "not json {",
      "truncated {\"a\":",
      "{\"a\":1} {\"b\":2}",     // two values
      "{\"bad\":\"\xff\xfe\"}",  // invalid UTF-8 inside a JSON string
      "\xc3 not json and not UTF-8",
      std::string(2000, '[') + std::string(2000, ']'),  // deeper than simdjson's limit
  };
  for (std::size_t i = 0; i < evidence.size(); ++i) {
    Finding f = Filled();
    f.evidence = evidence[i];
    ExpectSameLine(f, "evidence " + std::to_string(i));
    f.related_findings = {"a", "b"};
    ExpectSameLine(f, "evidence with related " + std::to_string(i));
  }
}

TEST(FindingJsonLineTest, WriteFindingJsonLinesIsOneEncodedLinePerFinding) {
  std::vector<Finding> list = {Filled(), Finding{}, Filled()};
  list[2].evidence = "not json {";
  std::ostringstream out;
  WriteFindingJsonLines(out, list);
  std::string expected;
  for (const Finding& f : list) expected += ReferenceLine(f) + "\n";
  EXPECT_EQ(out.str(), expected);
}

}  // namespace
}  // namespace vigil::findings
