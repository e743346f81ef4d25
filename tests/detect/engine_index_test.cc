// The engine's rule index (the stage/verb/resource table and the per-rule gates) may only skip
// rules that cannot match: with it and without it the engine emits the same observations.
#include <gtest/gtest.h>

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

// Records each observation as "rule|auditID|stage|dedup key".
class Recorder : public ingest::EventSink, public ObservationSink {
 public:
  explicit Recorder(Engine& engine) : engine_(engine) {}
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
};

struct ScanResult {
  std::vector<std::string> observations;
  EngineStats stats;
};

ScanResult Scan(const std::shared_ptr<const rules::RuleSet>& rules,
         const std::shared_ptr<const ThreatIntel>& intel,
         bool use_index) {
  EngineOptions options;
  options.use_index = use_index;
  Engine engine(rules, intel, options);
  Recorder recorder(engine);
  ingest::Reader reader;
  auto st = reader.ReadFile(kSource + "/examples/audit/example.jsonl.gz", recorder);
  EXPECT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(recorder.rejected, 0);
  return {recorder.seen, engine.stats()};
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

  // Threat rules fired, so their gate let the attacker's events through.
  bool tor = false;
  for (const auto& o : indexed.observations) tor = tor || o.find("TorIPCaller") != std::string::npos;
  EXPECT_TRUE(tor);
}

}  // namespace
}  // namespace vigil::detect
