// Scenario tests: hours of generated benign traffic (nodes, controllers, developers, a CI
// identity) with realistic multi-step attacks mixed in, read through the real reader, engine
// (built-in catalog), aggregator and attack-sequence correlator, as `vigil scan` wires them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "base/time.h"
#include "detect/baseline.h"
#include "detect/builtin_rules.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "detect/sequence.h"
#include "detect/threat_intel.h"
#include "findings/aggregator.h"
#include "ingest/reader.h"

namespace vigil::detect {
namespace {

constexpr UnixNanos kSecond = 1'000'000'000LL;
const UnixNanos kStart = *ParseRfc3339("2026-03-02T00:00:00Z");
constexpr std::int64_t kLearning = 6 * 3600;  // of event time; the default is 7 days

struct Call {
  std::string user{};
  std::vector<std::string> groups{};
  std::string ip{};
  std::string verb{};
  std::string resource{};
  std::string ns{};
  std::string name{};
  std::string sub{};
  std::string uri{};
  int code = 200;
  std::string credential{};
  nlohmann::json request_object{};
  std::string user_agent = "kubectl/v1.29.0";
};

// Writes audit events as JSON lines with increasing event time.
class Log {
 public:
  void Add(const Call& c, UnixNanos time) {
    nlohmann::json j;
    j["kind"] = "Event";
    j["apiVersion"] = "audit.k8s.io/v1";
    j["level"] = "RequestResponse";
    j["auditID"] = fmt::format("00000000-0000-4000-8000-{:012d}", ++seq_);
    j["stage"] = "ResponseComplete";
    j["requestURI"] = c.uri.empty() ? fmt::format("/api/v1/namespaces/{}/{}", c.ns, c.resource)
                                    : c.uri;
    j["verb"] = c.verb;
    j["user"]["username"] = c.user;
    j["user"]["groups"] = c.groups;
    if (!c.credential.empty()) {
      j["user"]["extra"]["authentication.kubernetes.io/credential-id"] = {c.credential};
    }
    j["sourceIPs"] = {c.ip};
    j["userAgent"] = c.user_agent;
    if (!c.resource.empty()) {
      j["objectRef"]["resource"] = c.resource;
      if (!c.ns.empty()) j["objectRef"]["namespace"] = c.ns;
      if (!c.name.empty()) j["objectRef"]["name"] = c.name;
      if (!c.sub.empty()) j["objectRef"]["subresource"] = c.sub;
      j["objectRef"]["apiVersion"] = "v1";
    }
    if (!c.request_object.is_null()) j["requestObject"] = c.request_object;
    j["responseStatus"]["code"] = c.code;
    j["requestReceivedTimestamp"] = FormatRfc3339(time);
    j["stageTimestamp"] = FormatRfc3339(time);
    j["annotations"]["authorization.k8s.io/decision"] = c.code == 403 ? "forbid" : "allow";
    j["annotations"]["authorization.k8s.io/reason"] = "RBAC";
    text_ += j.dump();
    text_ += '\n';
    ++events_;
  }
  const std::string& text() const { return text_; }
  std::uint64_t events() const { return events_; }

 private:
  std::string text_;
  std::uint64_t seq_ = 0;
  std::uint64_t events_ = 0;
};

nlohmann::json Pod(const std::string& name, const std::string& image, bool privileged) {
  nlohmann::json c = {{"name", "main"}, {"image", image}};
  if (privileged) c["securityContext"]["privileged"] = true;
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec", {{"containers", {c}}}}};
}

nlohmann::json Deployment(const std::string& name, const std::string& image) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"template", {{"spec", {{"containers", {{{"name", "main"}, {"image", image}}}}}}}}}}};
}

// Benign traffic from `start`: `hours` of it, `per_minute` events a minute, from a fixed seed.
void Benign(Log& log, UnixNanos start, int hours, int per_minute, unsigned seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> nodes = {"system:node:ip-10-0-1-11", "system:node:ip-10-0-1-12",
                                          "system:node:ip-10-0-1-13"};
  const std::vector<std::string> team_ns = {"team-a", "team-b", "payments"};
  const UnixNanos step = 60 * kSecond / per_minute;
  const std::int64_t total = static_cast<std::int64_t>(hours) * 60 * per_minute;
  for (std::int64_t i = 0; i < total; ++i) {
    const UnixNanos t = start + i * step;
    const std::string& ns = team_ns[rng() % team_ns.size()];
    switch (rng() % 20) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {  // kubelets renew leases and read their pods
        const std::string& node = nodes[rng() % nodes.size()];
        log.Add({.user = node, .groups = {"system:nodes"}, .ip = "10.0.1.1" + std::to_string(rng() % 3),
                 .verb = rng() % 2 ? "update" : "get", .resource = "leases",
                 .ns = "kube-node-lease", .name = node.substr(12)},
                t);
        break;
      }
      case 5:
      case 6:
      case 7: {  // controllers watch and write
        log.Add({.user = "system:kube-controller-manager", .groups = {"system:authenticated"},
                 .ip = "10.0.0.2", .verb = rng() % 2 ? "list" : "watch",
                 .resource = rng() % 2 ? "pods" : "secrets", .ns = ns},
                t);
        break;
      }
      case 8: {  // the replicaset controller creates pods
        log.Add({.user = "system:serviceaccount:kube-system:replicaset-controller",
                 .groups = {"system:serviceaccounts"}, .ip = "10.0.0.2", .verb = "create",
                 .resource = "pods", .ns = ns, .name = fmt::format("web-{}", rng() % 1000),
                 .request_object = Pod("web", "registry.example.com/web:1.4", false)},
                t);
        break;
      }
      case 9:
      case 10:
      case 11: {  // developers read what runs in their namespaces
        const char* dev = rng() % 2 ? "alice@example.com" : "bob@example.com";
        log.Add({.user = dev, .groups = {"system:authenticated", "devs"},
                 .ip = std::string("10.20.0.") + (dev[0] == 'a' ? "5" : "6"),
                 .verb = rng() % 2 ? "list" : "get",
                 .resource = rng() % 3 == 0 ? "deployments" : "pods", .ns = ns},
                t);
        break;
      }
      case 12: {  // a developer reads a config secret, checks permissions, or execs to debug
        const char* dev = rng() % 2 ? "alice@example.com" : "bob@example.com";
        const std::string ip = std::string("10.20.0.") + (dev[0] == 'a' ? "5" : "6");
        switch (rng() % 3) {
          case 0:
            log.Add({.user = dev, .groups = {"devs"}, .ip = ip, .verb = "get",
                     .resource = "secrets", .ns = ns, .name = "app-config"},
                    t);
            break;
          case 1:
            log.Add({.user = dev, .groups = {"devs"}, .ip = ip, .verb = "create",
                     .resource = "selfsubjectaccessreviews",
                     .uri = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"},
                    t);
            break;
          default:
            log.Add({.user = dev, .groups = {"devs"}, .ip = ip, .verb = "create",
                     .resource = "pods", .ns = ns, .name = "web-1", .sub = "exec"},
                    t);
        }
        break;
      }
      case 13:
      case 14: {  // CI deploys its images and keeps its RBAC in place
        Call c{.user = "system:serviceaccount:ci:deployer",
               .groups = {"system:serviceaccounts", "system:serviceaccounts:ci"},
               .ip = "10.30.0.10", .ns = ns, .credential = "JTI=ci-token",
               .user_agent = "argocd/2.9"};
        switch (rng() % 4) {
          case 0:
            c.verb = "patch";
            c.resource = "deployments";
            c.name = "web";
            c.request_object = Deployment("web", "registry.example.com/web:1.4");
            break;
          case 1:
            c.verb = "create";
            c.resource = "deployments";
            c.name = fmt::format("job-{}", rng() % 100);
            c.request_object = Deployment(c.name, "registry.example.com/worker:2.0");
            break;
          case 2:
            c.verb = "update";
            c.resource = "rolebindings";
            c.name = "web-reader";
            break;
          default:
            c.verb = "create";
            c.resource = "selfsubjectaccessreviews";
            c.uri = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
        }
        log.Add(c, t);
        break;
      }
      default: {  // everyone lists namespaces and reads configmaps
        log.Add({.user = "system:serviceaccount:monitoring:prometheus",
                 .groups = {"system:serviceaccounts"}, .ip = "10.0.5.9", .verb = "list",
                 .resource = rng() % 2 ? "endpoints" : "configmaps", .ns = ns},
                t);
      }
    }
  }
}

// Anonymous discovery → secrets read with a stolen token → cluster-admin binding → privileged pod,
// all from one outside address, starting `at`.
void AnonymousToPrivilegedPod(Log& log, UnixNanos at) {
  const std::string ip = "203.0.113.50";
  log.Add({.user = "system:anonymous", .groups = {"system:unauthenticated"}, .ip = ip,
           .verb = "list", .resource = "namespaces", .uri = "/api/v1/namespaces",
           .user_agent = "curl/8.0"},
          at);
  const Call stolen{.user = "system:serviceaccount:payments:web",
                    .groups = {"system:serviceaccounts"}, .ip = ip, .credential = "JTI=web-token",
                    .user_agent = "kubectl/v1.29.0"};
  Call c = stolen;
  c.verb = "list";
  c.resource = "secrets";
  c.ns = "payments";
  log.Add(c, at + 120 * kSecond);
  c = stolen;
  c.verb = "create";
  c.resource = "clusterrolebindings";
  c.name = "ops-admin";
  c.uri = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
  c.request_object = {{"roleRef", {{"kind", "ClusterRole"}, {"name", "cluster-admin"}}},
                      {"subjects", {{{"kind", "ServiceAccount"}, {"name", "web"},
                                     {"namespace", "payments"}}}}};
  log.Add(c, at + 300 * kSecond);
  c = stolen;
  c.verb = "create";
  c.resource = "pods";
  c.ns = "kube-system";
  c.name = "node-shell";
  c.request_object = Pod("node-shell", "alpine:3.19", true);
  log.Add(c, at + 420 * kSecond);
}

// A service-account token stolen from a pod used from a network on a threat list: it checks its
// permissions, reads secrets, then execs into a pod.
void StolenTokenFromListedNetwork(Log& log, UnixNanos at) {
  const Call stolen{.user = "system:serviceaccount:team-b:api",
                    .groups = {"system:serviceaccounts"}, .ip = "198.51.100.77",
                    .credential = "JTI=api-token", .user_agent = "python-requests/2.31"};
  Call c = stolen;
  c.verb = "create";
  c.resource = "selfsubjectaccessreviews";
  c.uri = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
  log.Add(c, at);
  c = stolen;
  c.verb = "get";
  c.resource = "secrets";
  c.ns = "team-b";
  c.name = "db-password";
  log.Add(c, at + 60 * kSecond);
  c = stolen;
  c.verb = "create";
  c.resource = "pods";
  c.ns = "team-b";
  c.name = "api-7f9";
  c.sub = "exec";
  log.Add(c, at + 200 * kSecond);
}

// The CI identity's token, stolen: used from a new network to read the CI namespace's secrets and
// deploy a cryptominer the CI identity never deployed.
void CryptominerByCi(Log& log, UnixNanos at) {
  const Call ci{.user = "system:serviceaccount:ci:deployer",
                .groups = {"system:serviceaccounts", "system:serviceaccounts:ci"},
                .ip = "192.0.2.10", .credential = "JTI=ci-token", .user_agent = "argocd/2.9"};
  Call c = ci;
  c.verb = "list";
  c.resource = "secrets";
  c.ns = "team-a";
  log.Add(c, at);
  c = ci;
  c.verb = "create";
  c.resource = "deployments";
  c.ns = "team-a";
  c.name = "metrics-helper";
  c.request_object = Deployment("metrics-helper", "docker.io/xmrig/xmrig:6.21");
  log.Add(c, at + 90 * kSecond);
}

struct Outcome {
  std::map<std::string, int> types;  // finding type → number of findings
  std::map<std::string, findings::Severity> severity;  // finding type → highest severity
  std::vector<findings::Finding> sequences;
  std::uint64_t events = 0;
  std::uint64_t anomalies_above_low = 0;
};

struct ScanOptions {
  bool intel = false;
  bool baselines = true;
};

Outcome Scan(const std::string& text, ScanOptions options) {
  auto rules = LoadRuleCatalog(true, {});
  EXPECT_TRUE(rules.has_value());
  std::shared_ptr<ThreatIntel> intel;
  if (options.intel) {
    intel = std::make_shared<ThreatIntel>();
    EXPECT_TRUE(intel->AddEntry("scanners", "198.51.100.0/24"));
  }
  EngineOptions eo;
  eo.cluster = "prod";
  Engine engine(*rules, intel, eo);
  findings::FindingAggregator aggregator;
  SequenceCorrelator sequences(SequenceOptions{.cluster = "prod"});
  BaselineDetector baselines(BaselineOptions{.cluster = "prod", .learning_seconds = kLearning});
  ScanPipeline pipeline(engine, aggregator, nullptr);
  pipeline.set_sequences(&sequences);
  if (options.baselines) pipeline.set_baselines(&baselines);
  ingest::Reader reader;
  EXPECT_TRUE(reader.ReadBuffer(text, "scenario", pipeline));
  Outcome out;
  out.events = reader.stats().events;
  for (const auto& f : aggregator.TakeAll()) {
    ++out.types[f.type];
    out.severity[f.type] = std::max(out.severity[f.type], f.severity);
    if (f.type.find("AnomalousBehavior") != std::string::npos &&
        f.severity > findings::Severity::kLow) {
      out.anomalies_above_low += f.count;
    }
  }
  out.sequences = sequences.TakeFindings(NowNanos());
  for (const auto& f : out.sequences) ++out.types[f.type];
  return out;
}

constexpr UnixNanos kHour = 3600 * kSecond;

TEST(ScenarioTest, BenignTrafficAloneMakesNoAnomalyAboveLowAndNoAttackSequence) {
  Log log;
  Benign(log, kStart, 12, 300, 1);
  Outcome out = Scan(log.text(), {.intel = true});
  ASSERT_EQ(out.events, log.events());
  EXPECT_EQ(out.anomalies_above_low, 0u);
  EXPECT_TRUE(out.sequences.empty());
  // Stated in the report: false positives per 100,000 benign events after learning (half the log).
  const double after_learning = static_cast<double>(out.events) / 2;
  std::uint64_t anomalies = 0;
  for (const auto& [type, n] : out.types) {
    if (type.find("AnomalousBehavior") != std::string::npos) anomalies += static_cast<std::uint64_t>(n);
  }
  std::cout << "[ scenario ] benign events: " << out.events << " (" << after_learning
            << " after learning); anomaly findings: " << anomalies << " ("
            << static_cast<double>(anomalies) * 100000.0 / after_learning
            << " per 100,000), above LOW: " << out.anomalies_above_low
            << "; attack sequences: " << out.sequences.size() << "\n";
  for (const auto& [type, n] : out.types) std::cout << "[ scenario ]   " << type << ": " << n << "\n";
}

TEST(ScenarioTest, AnonymousDiscoveryToPrivilegedPodIsOneSequence) {
  Log log;
  Benign(log, kStart, 8, 300, 2);
  AnonymousToPrivilegedPod(log, kStart + 8 * kHour);
  Benign(log, kStart + 8 * kHour + 600 * kSecond, 1, 300, 3);
  Outcome out = Scan(log.text(), {});
  EXPECT_GE(out.types["Discovery:Kubernetes/SuccessfulAnonymousAccess"], 1);
  EXPECT_GE(out.types["PrivilegeEscalation:Kubernetes/PrivilegedContainer"], 1);
  EXPECT_EQ(out.types["CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed"], 1);
  EXPECT_EQ(out.severity["PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated"],
            findings::Severity::kHigh);
  EXPECT_EQ(out.types["PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer"], 1);
  ASSERT_EQ(out.sequences.size(), 1u);
  const findings::Finding& f = out.sequences[0];
  EXPECT_EQ(f.severity, findings::Severity::kCritical);
  EXPECT_EQ(f.type, "AttackSequence:EKS/CompromisedCluster");
  auto seq = nlohmann::json::parse(f.context.at("sequence"));
  EXPECT_EQ(seq["tactics"].front(), "Discovery") << seq.dump(2);
  EXPECT_EQ(f.source_ips, (std::vector<std::string>{"203.0.113.50"}));  // no benign actor joined
}

TEST(ScenarioTest, StolenTokenFromANewNetworkIsOneSequence) {
  Log log;
  Benign(log, kStart, 8, 300, 4);
  StolenTokenFromListedNetwork(log, kStart + 8 * kHour);
  Outcome out = Scan(log.text(), {});  // no threat list: the baseline alone sees it
  EXPECT_EQ(out.types["CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed"], 1);
  EXPECT_EQ(out.types["Execution:Kubernetes/AnomalousBehavior.ExecInPod"], 1);
  ASSERT_EQ(out.sequences.size(), 1u);
  EXPECT_EQ(out.sequences[0].principal.username, "system:serviceaccount:team-b:api");
}

TEST(ScenarioTest, StolenTokenFromAListedNetworkIsOneSequenceWithoutBaselines) {
  Log log;
  Benign(log, kStart, 2, 300, 4);
  StolenTokenFromListedNetwork(log, kStart + 2 * kHour);
  Outcome out = Scan(log.text(), {.intel = true, .baselines = false});
  EXPECT_GE(out.types["Discovery:Kubernetes/MaliciousIPCaller.Custom"], 1);
  EXPECT_GE(out.types["CredentialAccess:Kubernetes/MaliciousIPCaller.Custom"], 1);
  ASSERT_EQ(out.sequences.size(), 1u);
  auto seq = nlohmann::json::parse(out.sequences[0].context.at("sequence"));
  // vigil's tactic map files the exec under Impact; the request made a finding, so it is no weak
  // ExecInPod signal of its own.
  EXPECT_EQ(seq["tactics"], (nlohmann::json{"Discovery", "CredentialAccess", "Impact"})) << seq.dump(2);
}

TEST(ScenarioTest, CryptominerDeployedByTheCiIdentityIsOneSequence) {
  Log log;
  Benign(log, kStart, 8, 300, 6);
  CryptominerByCi(log, kStart + 8 * kHour);
  Benign(log, kStart + 8 * kHour + 600 * kSecond, 1, 300, 7);
  Outcome out = Scan(log.text(), {});
  EXPECT_EQ(out.types["CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed"], 1);
  EXPECT_EQ(out.types["Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed"], 1);
  EXPECT_EQ(out.severity["Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed"],
            findings::Severity::kMedium);  // a miner image
  ASSERT_EQ(out.sequences.size(), 1u);
  EXPECT_EQ(out.sequences[0].principal.username, "system:serviceaccount:ci:deployer");
}

TEST(ScenarioTest, TwoAttacksByUnrelatedActorsAreTwoSequences) {
  Log log;
  Benign(log, kStart, 1, 300, 5);
  AnonymousToPrivilegedPod(log, kStart + 3600 * kSecond);
  StolenTokenFromListedNetwork(log, kStart + 3700 * kSecond);
  Outcome out = Scan(log.text(), {.intel = true, .baselines = false});
  EXPECT_EQ(out.sequences.size(), 2u);
}

}  // namespace
}  // namespace vigil::detect
