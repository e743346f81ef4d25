// The engine's rule index (the stage/verb/resource table and the per-rule gates) may only skip
// rules that cannot match: with it and without it the engine emits the same observations.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "detect/builtin_rules.h"
#include "detect/engine.h"
#include "detect/threat_intel.h"
#include "ingest/reader.h"

namespace vigil::detect {
namespace {

const std::string kSource = VIGIL_SOURCE_DIR;

// Records each observation as "rule|auditID|stage|dedup key". With `prefilter`, the reader asks
// the engine whether an event's keys can match before building its tree.
class Recorder : public ingest::EventSink, public ingest::EventPrefilter, public ObservationSink {
 public:
  Recorder(Engine& engine, bool prefilter) : engine_(engine), prefilter_(prefilter) {}
  ingest::EventPrefilter* prefilter() override { return prefilter_ ? this : nullptr; }
  bool MayMatch(const ingest::EventKeys& keys) override { return engine_.MayMatch(keys); }
  ingest::KeyNeeds key_needs() const override { return engine_.key_needs(); }
  void OnEvent(const event::AuditEvent& ev, const ingest::Origin&) override {
    engine_.Process(ev, *this);
  }
  void OnRejected(const ingest::Rejection&) override { ++rejected; }
  void OnObservation(const findings::Observation& o) override {
    seen.push_back(o.rule + "|" + o.audit_id + "|" + o.stage + "|" + o.dedup_key);
  }
  std::vector<std::string> seen;
  int rejected = 0;

 private:
  Engine& engine_;
  bool prefilter_;
};

struct ScanResult {
  std::vector<std::string> observations;
  EngineStats stats;
  ingest::Stats reader;
};

// Scans the example log, or `data` when given.
ScanResult Scan(const std::shared_ptr<const rules::RuleSet>& rules,
         const std::shared_ptr<const ThreatIntel>& intel,
         bool use_index,
         bool prefilter = false,
         const std::string* data = nullptr) {
  EngineOptions options;
  options.use_index = use_index;
  Engine engine(rules, intel, options);
  Recorder recorder(engine, prefilter);
  ingest::Reader reader;
  auto st = data != nullptr
                ? reader.ReadBuffer(*data, "test", recorder)
                : reader.ReadFile(kSource + "/examples/audit/example.jsonl.gz", recorder);
  EXPECT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(recorder.rejected, 0);
  return {recorder.seen, engine.stats(), reader.stats()};
}

TEST(EngineIndexTest, IndexSkipsOnlyRulesThatCannotMatch) {
  // The built-in catalog and Falco's whole k8s-audit ruleset: rules gated on users, groups,
  // subresources, threat lists, "no timestamp" (Falco's never-true idiom) and "user not system:*".
  auto rules = LoadRuleCatalog(true, {kSource + "/bench/rules/falco_k8s_audit_rules.yaml"});
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  auto intel = std::make_shared<ThreatIntel>();
  // The example's attacker address on a custom list and the Tor list, so threat-gated rules fire.
  ASSERT_TRUE(intel->AddEntry("tor", "203.0.113.66").has_value());
  ASSERT_TRUE(intel->AddEntry("scanners", "203.0.113.0/24").has_value());

  ScanResult indexed = Scan(*rules, intel, true);
  ScanResult every = Scan(*rules, intel, false);
  EXPECT_EQ(indexed.observations, every.observations);
  EXPECT_GT(indexed.observations.size(), 100u);
  // The point of the index: far fewer conditions evaluated.
  EXPECT_LT(indexed.stats.rule_evaluations * 10, every.stats.rule_evaluations);
  EXPECT_GT(indexed.stats.no_candidates, indexed.stats.events / 2);

  // Reading only the keys of the events no rule can match changes nothing either.
  if (ingest::KeyReader::Available()) {
    ScanResult keyed = Scan(*rules, intel, true, /*prefilter=*/true);
    EXPECT_EQ(keyed.observations, every.observations);
    EXPECT_EQ(keyed.reader.events, every.reader.events);
    EXPECT_GT(keyed.reader.prefiltered, keyed.reader.events / 2);
    EXPECT_EQ(keyed.stats.events + keyed.reader.prefiltered, keyed.reader.events);
  } else {
    std::cerr << "note: On-Demand runs on simdjson's fallback kernel here; prefilter not tested\n";
  }

  // Without threat lists the prefilter does not read source IPs; still nothing changes.
  if (ingest::KeyReader::Available()) {
    const auto no_lists = std::make_shared<ThreatIntel>();
    Engine probe(*rules, no_lists, {});
    EXPECT_FALSE(probe.key_needs().source_ips);
    EXPECT_TRUE(probe.key_needs().times);  // Falco's never-true rules
    EXPECT_EQ(Scan(*rules, no_lists, true, true).observations,
              Scan(*rules, no_lists, false).observations);
  }

  // Threat rules fired, so their gate let the attacker's events through.
  bool tor = false;
  for (const auto& o : indexed.observations) tor = tor || o.find("TorIPCaller") != std::string::npos;
  EXPECT_TRUE(tor);
}

// Falco's never-true idiom, `jevt.rawtime = 0`, is true of an event whose time reads as 0: one
// with no parseable timestamp, and one stamped with the epoch itself. The prefilter must not
// skip the second because its timestamp parses.
TEST(EngineIndexTest, TheEpochIsNoTimeFromTheKeysToo) {
  const std::string path = ::testing::TempDir() + "/never_true.yaml";
  {
    std::ofstream out(path);
    out << "- rule: No Time\n  desc: d\n  condition: jevt.rawtime = 0\n"
           "  output: no time\n  priority: WARNING\n  source: k8s_audit\n";
  }
  auto rules = LoadRuleCatalog(false, {path});
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  auto event = [](const std::string& id, const std::string& time) {
    return R"({"kind":"Event","auditID":")" + id +
           R"(","stage":"ResponseComplete","verb":"get","user":{"username":"u"},)"
           R"("stageTimestamp":")" + time + "\"}\n";
  };
  const std::string data = event("now", "2025-06-02T09:00:00.000001Z") +
                           event("same-second", "2025-06-02T09:00:00.5Z") +
                           event("epoch", "1970-01-01T00:00:00Z") +
                           event("epoch-offset", "1970-01-01T01:00:00+01:00") +
                           event("leap", "1969-12-31T23:59:60Z") +
                           event("garbage", "soon") +
                           event("later", "2025-06-02T09:00:01Z");
  const ScanResult every = Scan(*rules, nullptr, false, false, &data);
  ASSERT_EQ(every.observations.size(), 4u);  // epoch, epoch-offset, leap, garbage
  if (ingest::KeyReader::Available()) {
    const ScanResult keyed = Scan(*rules, nullptr, true, true, &data);
    EXPECT_EQ(keyed.observations, every.observations);
    EXPECT_EQ(keyed.reader.prefiltered, 3u);  // now, same-second, later
  }
}

}  // namespace
}  // namespace vigil::detect
