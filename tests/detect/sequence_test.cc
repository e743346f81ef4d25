#include "detect/sequence.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/time.h"

namespace vigil::detect {
namespace {

constexpr UnixNanos kHour = 3600LL * 1'000'000'000LL;
const UnixNanos kT0 = *ParseRfc3339("2026-01-10T08:00:00Z");

struct Ev {
  std::string id{};
  UnixNanos time = 0;
  std::string user{};
  std::string verb{};
  std::string resource{};
  std::string ns = "default";
  std::string name{};
  std::string ip = "10.0.0.1";
  int code = 200;
  std::string sub{};
  std::string credential{};
};

std::string Json(const Ev& e) {
  nlohmann::json j;
  j["kind"] = "Event";
  j["apiVersion"] = "audit.k8s.io/v1";
  j["auditID"] = e.id;
  j["stage"] = "ResponseComplete";
  j["verb"] = e.verb;
  j["user"]["username"] = e.user;
  if (!e.credential.empty()) {
    j["user"]["extra"]["authentication.kubernetes.io/credential-id"] = {e.credential};
  }
  j["sourceIPs"] = {e.ip};
  j["objectRef"] = {{"resource", e.resource}, {"namespace", e.ns}, {"name", e.name}};
  if (!e.sub.empty()) j["objectRef"]["subresource"] = e.sub;
  j["responseStatus"]["code"] = e.code;
  j["stageTimestamp"] = FormatRfc3339(e.time);
  return j.dump();
}

class SequenceTest : public ::testing::Test {
 protected:
  void Feed(const Ev& e) {
    std::string text = Json(e);
    simdjson::dom::element root;
    ASSERT_EQ(parser_.parse(text).get(root), simdjson::SUCCESS);
    auto ev = event::AuditEvent::FromElement(root);
    ASSERT_TRUE(ev.has_value());
    seq_.OnEvent(*ev);
  }
  void Finding(const std::string& type,
               const std::string& tactic,
               UnixNanos time,
               const std::string& user,
               const std::string& ip,
               const std::string& audit_id,
               findings::Severity sev = findings::Severity::kHigh) {
    findings::Observation obs;
    obs.rule = type + " rule";
    obs.type = type;
    obs.severity = sev;
    obs.time = time;
    obs.principal.username = user;
    obs.source_ips = {ip};
    obs.audit_id = audit_id;
    obs.stage = "ResponseComplete";
    obs.cluster = "prod";
    obs.resource.resource = "pods";
    obs.resource.ns = "default";
    obs.resource.name = "p";
    obs.mitre = {{tactic, "T1000", "Something"}};
    seq_.OnObservation(obs);
  }

  simdjson::dom::parser parser_;
  SequenceCorrelator seq_{SequenceOptions{.cluster = "prod"}};
};

TEST(KillChainStageTest, OrdersTacticsAsTheKillChain) {
  EXPECT_EQ(KillChainStage("InitialAccess"), 0);
  EXPECT_EQ(KillChainStage("Discovery"), 1);
  EXPECT_EQ(KillChainStage("Credential Access"), 1);
  EXPECT_EQ(KillChainStage("PrivilegeEscalation"), 2);
  EXPECT_EQ(KillChainStage("Persistence"), 2);
  EXPECT_EQ(KillChainStage("Execution"), 3);
  EXPECT_EQ(KillChainStage("Impact"), 3);
  EXPECT_EQ(KillChainStage("Policy"), -1);
}

TEST_F(SequenceTest, OneCriticalFindingForAChainByLinkedActorsUpdatedAsItGrows) {
  // Anonymous discovery from 203.0.113.7, then a stolen token used from the same address reads
  // secrets, binds cluster-admin and starts a privileged pod.
  Finding("Discovery:Kubernetes/SuccessfulAnonymousAccess", "Discovery", kT0, "system:anonymous",
          "203.0.113.7", "a1");
  Feed({.id = "a2", .time = kT0 + kHour, .user = "system:serviceaccount:web:app", .verb = "list",
        .resource = "secrets", .ip = "203.0.113.7"});
  // Discovery and credential access are one kill-chain stage: not yet a sequence.
  EXPECT_TRUE(seq_.TakeFindings(1).empty());

  Feed({.id = "a3", .time = kT0 + 2 * kHour, .user = "system:serviceaccount:web:app",
        .verb = "create", .resource = "clusterrolebindings", .ns = "", .name = "pwn",
        .ip = "203.0.113.7"});
  auto first = seq_.TakeFindings(2);
  ASSERT_EQ(first.size(), 1u);
  const findings::Finding f = first[0];
  EXPECT_EQ(f.type, kAttackSequenceType);
  EXPECT_EQ(f.severity, findings::Severity::kCritical);
  EXPECT_EQ(f.count, 3u);
  EXPECT_EQ(f.events.size(), 3u);
  EXPECT_TRUE(f.cumulative);
  EXPECT_EQ(f.cluster, "prod");
  auto seq = nlohmann::json::parse(f.context.at("sequence"));
  EXPECT_EQ(seq["signals"].size(), 3u);
  EXPECT_EQ(seq["actors"].size(), 3u);  // two users and the address they share
  EXPECT_EQ(seq["timeline"][0]["signal"], "Discovery:Kubernetes/SuccessfulAnonymousAccess");
  EXPECT_EQ(seq["timeline"][1]["signal"], "API:SecretsReadByNewPrincipal");
  EXPECT_EQ(seq["timeline"][2]["signal"], "API:RbacChanged");
  EXPECT_EQ(seq["signals"][0]["type"], "FINDING");
  EXPECT_EQ(seq["signals"][1]["type"], "API");
  EXPECT_EQ(seq["signals"][1]["count"], 1);

  // Nothing new: nothing handed out.
  EXPECT_TRUE(seq_.TakeFindings(3).empty());

  Finding("PrivilegeEscalation:Kubernetes/PrivilegedContainer", "Privilege Escalation",
          kT0 + 3 * kHour, "system:serviceaccount:web:app", "203.0.113.7", "a4");
  Feed({.id = "a5", .time = kT0 + 4 * kHour, .user = "system:serviceaccount:web:app",
        .verb = "create", .resource = "pods", .ip = "203.0.113.7", .sub = "exec"});
  auto grown = seq_.TakeFindings(4);
  ASSERT_EQ(grown.size(), 1u);
  EXPECT_EQ(grown[0].id, f.id);  // the same sequence, updated
  EXPECT_EQ(grown[0].count, 5u);
  EXPECT_EQ(grown[0].events.size(), 2u);  // only what is new since the last hand-out
  EXPECT_EQ(grown[0].first_seen, kT0);
  EXPECT_EQ(grown[0].last_seen, kT0 + 4 * kHour);
  auto tactics = nlohmann::json::parse(grown[0].context.at("sequence"))["tactics"];
  EXPECT_EQ(tactics,
            (nlohmann::json{"Discovery", "CredentialAccess", "PrivilegeEscalation", "Execution"}));
  EXPECT_NE(grown[0].description.find(
                "Discovery -> CredentialAccess -> PrivilegeEscalation -> Execution"),
            std::string::npos)
      << grown[0].description;
  EXPECT_FALSE(grown[0].mitre.empty());
}

TEST_F(SequenceTest, SameStageTacticsAreNotAChain) {
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0, "alice", "198.51.100.1", "b1");
  Finding("CredentialAccess:Kubernetes/TorIPCaller", "Credential Access", kT0 + kHour, "alice",
          "198.51.100.1", "b2");
  EXPECT_TRUE(seq_.TakeFindings(1).empty());
}

TEST_F(SequenceTest, LaterStageBeforeEarlierStageIsNotInOrder) {
  Finding("Execution:Kubernetes/ExecInKubeSystemPod", "Execution", kT0, "bob", "10.1.1.1", "c1");
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0 + kHour, "bob", "10.1.1.1", "c2");
  EXPECT_TRUE(seq_.TakeFindings(1).empty());
  // The execution repeats after the discovery: now it is in order.
  Finding("Execution:Kubernetes/ExecInKubeSystemPod", "Execution", kT0 + 2 * kHour, "bob",
          "10.1.1.1", "c3");
  EXPECT_EQ(seq_.TakeFindings(2).size(), 1u);
}

TEST_F(SequenceTest, WeakSignalsAloneMakeNoSequence) {
  // A CI identity checks permissions, binds a role and deploys: what automation does every day.
  Feed({.id = "d1", .time = kT0, .user = "ci", .verb = "create",
        .resource = "selfsubjectaccessreviews"});
  Feed({.id = "d2", .time = kT0 + 1, .user = "ci", .verb = "create", .resource = "rolebindings"});
  Feed({.id = "d3", .time = kT0 + 2, .user = "ci", .verb = "create", .resource = "deployments"});
  EXPECT_EQ(seq_.signal_count(), 3u);
  EXPECT_TRUE(seq_.TakeFindings(1).empty());
}

TEST_F(SequenceTest, UnrelatedActorsAreNotLinked) {
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0, "eve", "198.51.100.2", "e1");
  Finding("Execution:Kubernetes/ExecInKubeSystemPod", "Execution", kT0 + kHour, "ops",
          "10.9.9.9", "e2");
  EXPECT_TRUE(seq_.TakeFindings(1).empty());
}

TEST_F(SequenceTest, ACredentialUsedFromAnotherAddressLinksTheActors) {
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0, "system:anonymous",
          "198.51.100.3", "f1");
  // The token is read from the first address by one identity, then used from a second address
  // under another name: the credential id links them.
  Feed({.id = "f2", .time = kT0 + 1, .user = "system:serviceaccount:ci:deployer", .verb = "create",
        .resource = "selfsubjectrulesreviews", .ip = "198.51.100.3", .credential = "JTI=abc"});
  Feed({.id = "f3", .time = kT0 + kHour, .user = "mallory", .verb = "create", .resource = "pods",
        .ip = "192.0.2.99", .credential = "JTI=abc"});
  auto out = seq_.TakeFindings(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].source_ips, (std::vector<std::string>{"192.0.2.99", "198.51.100.3"}));
}

TEST_F(SequenceTest, LoopbackAddressesDoNotLink) {
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0, "x", "127.0.0.1", "g1");
  Finding("Execution:Kubernetes/ExecInKubeSystemPod", "Execution", kT0 + 1, "y", "127.0.0.1", "g2");
  EXPECT_TRUE(seq_.TakeFindings(1).empty());
}

TEST_F(SequenceTest, SuppressedFindingsDoNotCount) {
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0, "z", "198.51.100.4", "h1");
  Finding("Impact:Kubernetes/TorIPCaller", "Impact", kT0 + 1, "z", "198.51.100.4", "h2");
  std::string suppressed_id;
  auto suppressed = [&](std::string_view id) { return id == suppressed_id; };
  // Find the discovery finding's id by suppressing everything once.
  int asked = 0;
  EXPECT_TRUE(seq_.TakeFindings(1, [&](std::string_view) {
                    ++asked;
                    return true;
                  }).empty());
  EXPECT_EQ(asked, 2);
  suppressed_id = findings::FindingId("Discovery:Kubernetes/TorIPCaller rule",
                                      findings::DefaultDedupKey([] {
                                        findings::Observation o;
                                        o.cluster = "prod";
                                        o.principal.username = "z";
                                        o.resource.resource = "pods";
                                        o.resource.ns = "default";
                                        o.resource.name = "p";
                                        return o;
                                      }()));
  EXPECT_TRUE(seq_.TakeFindings(2, suppressed).empty());
  EXPECT_EQ(seq_.TakeFindings(3).size(), 1u);  // unsuppressed, the chain counts
}

TEST_F(SequenceTest, SignalsOlderThanTheWindowAgeOut) {
  Finding("Discovery:Kubernetes/TorIPCaller", "Discovery", kT0, "w", "198.51.100.5", "i1");
  Feed({.id = "i2", .time = kT0 + 25 * kHour, .user = "nobody", .verb = "get",
        .resource = "configmaps"});  // not a signal; moves event time on
  Finding("Execution:Kubernetes/ExecInKubeSystemPod", "Execution", kT0 + 25 * kHour, "w",
          "198.51.100.5", "i3");
  EXPECT_TRUE(seq_.TakeFindings(1).empty());
  EXPECT_EQ(seq_.signal_count(), 1u);
}

TEST_F(SequenceTest, FailedAndClusterComponentRequestsAreNotSignals) {
  Feed({.id = "j1", .time = kT0, .user = "alice", .verb = "list", .resource = "secrets",
        .code = 403});
  Feed({.id = "j2", .time = kT0, .user = "system:serviceaccount:kube-system:replicaset-controller",
        .verb = "create", .resource = "pods"});
  Feed({.id = "j3", .time = kT0, .user = "system:node:ip-10-0-0-1", .verb = "get",
        .resource = "secrets"});
  EXPECT_EQ(seq_.signal_count(), 0u);
  // A principal's first secret read is a signal, the second is not.
  Feed({.id = "j4", .time = kT0, .user = "alice", .verb = "get", .resource = "secrets"});
  Feed({.id = "j5", .time = kT0 + 1, .user = "alice", .verb = "get", .resource = "secrets"});
  EXPECT_EQ(seq_.signal_count(), 1u);
}

// Applies changes to a state the way SequenceWindowStore documents it (the SQLite store is tested
// against the same contract in tests/store/sequence_windows_test.cc).
void Apply(const SequenceWindowChanges& c, SequenceWindowState& state) {
  state.cluster = c.cluster;
  state.latest = c.latest;
  if (c.readers_reset) state.secret_readers.clear();
  auto drop_refs = [&](const std::string& key) {
    std::erase_if(state.refs, [&](const auto& r) { return r.first == key; });
  };
  for (const auto& key : c.removed) {
    std::erase_if(state.signals, [&](const auto& s) { return s.first == key; });
    drop_refs(key);
  }
  for (const auto& key : c.refs_cleared) drop_refs(key);
  for (const auto& [key, doc] : c.signals) {
    std::erase_if(state.signals, [&, &key = key](const auto& s) { return s.first == key; });
    state.signals.emplace_back(key, doc);
  }
  for (const auto& r : c.refs) {
    if (std::find(state.refs.begin(), state.refs.end(), r) == state.refs.end()) {
      state.refs.push_back(r);
    }
  }
  for (const auto& reader : c.readers) state.secret_readers.push_back(reader);
}

// A restart between any two steps of a chain changes nothing: the restored window makes the same
// sequence (id, count, events) as one correlator that never stopped.
TEST(SequenceRestoreTest, ARestoredWindowGoesOnAsIfNothingHadStopped) {
  simdjson::dom::parser parser;
  auto feed = [&](SequenceCorrelator& c, const Ev& e) {
    std::string text = Json(e);
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS);
    auto ev = event::AuditEvent::FromElement(root);
    ASSERT_TRUE(ev.has_value());
    c.OnEvent(*ev);
  };
  const std::string sa = "system:serviceaccount:web:app";
  const std::vector<Ev> steps = {
      {.id = "r1", .time = kT0, .user = sa, .verb = "create", .resource = "selfsubjectrulesreviews",
       .ip = "203.0.113.9"},
      {.id = "r2", .time = kT0 + kHour, .user = sa, .verb = "list", .resource = "secrets",
       .ip = "203.0.113.9"},
      {.id = "r3", .time = kT0 + 2 * kHour, .user = sa, .verb = "create",
       .resource = "clusterrolebindings", .ns = "", .name = "pwn", .ip = "203.0.113.9"},
      {.id = "r4", .time = kT0 + 3 * kHour, .user = sa, .verb = "create", .resource = "pods",
       .ip = "203.0.113.9", .sub = "exec"},
  };
  auto finding = [](SequenceCorrelator& c) {
    findings::Observation obs;
    obs.rule = "anon";
    obs.type = "Discovery:Kubernetes/SuccessfulAnonymousAccess";
    obs.severity = findings::Severity::kMedium;
    obs.time = kT0 + 30 * 60 * 1'000'000'000LL;
    obs.principal.username = "system:anonymous";
    obs.source_ips = {"203.0.113.9"};
    obs.audit_id = "r0";
    obs.stage = "ResponseComplete";
    c.OnObservation(obs);
  };
  // The reference: one correlator, a hand-out after every step.
  SequenceCorrelator whole{SequenceOptions{.cluster = "prod"}};
  std::vector<findings::Finding> want;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    feed(whole, steps[i]);
    if (i == 0) finding(whole);
    for (auto& f : whole.TakeFindings(1)) want.push_back(std::move(f));
  }
  ASSERT_FALSE(want.empty());

  // The same, with a fresh correlator restored from the saved window after every step.
  SequenceWindowState saved;
  std::vector<findings::Finding> got;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SequenceCorrelator c{SequenceOptions{.cluster = "prod"}};
    if (i > 0) {
      ASSERT_TRUE(c.Restore(saved).has_value());
    }
    feed(c, steps[i]);
    if (i == 0) finding(c);
    for (auto& f : c.TakeFindings(1)) got.push_back(std::move(f));
    Apply(c.TakeChanges(), saved);
    EXPECT_TRUE(c.TakeChanges().empty()) << "everything was handed over";
  }
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id);
    EXPECT_EQ(got[i].count, want[i].count);
    EXPECT_EQ(got[i].events, want[i].events);
    EXPECT_EQ(got[i].context.at("tactics"), want[i].context.at("tactics"));
  }
  // The secret reader is remembered: the same principal reading again is no new signal.
  SequenceCorrelator again{SequenceOptions{.cluster = "prod"}};
  ASSERT_TRUE(again.Restore(saved).has_value());
  const std::size_t before = again.signal_count();
  feed(again, {.id = "r5", .time = kT0 + 4 * kHour, .user = sa, .verb = "get",
               .resource = "secrets", .ip = "203.0.113.9"});
  EXPECT_EQ(again.signal_count(), before);
  EXPECT_TRUE(again.TakeChanges().signals.empty());
}

TEST(SequenceRestoreTest, ABadStoredDocumentIsAParseErrorAndAnEmptyWindow) {
  SequenceCorrelator c{SequenceOptions{.cluster = "prod"}};
  SequenceWindowState state{.cluster = "prod", .latest = kT0};
  state.signals = {{"k1", R"({"name":"API:ExecInPod"})"}};
  auto st = c.Restore(state);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kParse);
  EXPECT_NE(st.error().message.find("cluster 'prod', signal 1"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(c.signal_count(), 0u);
  state.signals = {{"k1", "not json"}};
  EXPECT_FALSE(c.Restore(state).has_value());
}

TEST(SequencePrefilterTest, WantsOnlyPossibleWeakSignals) {
  ingest::EventKeys k;
  k.stage = "ResponseComplete";
  k.verb = "create";
  k.resource = "selfsubjectaccessreviews";
  EXPECT_TRUE(SequenceCorrelator::MayBeWeakSignal(k));
  k.resource = "deployments";
  EXPECT_TRUE(SequenceCorrelator::MayBeWeakSignal(k));
  k.verb = "get";
  EXPECT_FALSE(SequenceCorrelator::MayBeWeakSignal(k));
  k.resource = "secrets";
  EXPECT_TRUE(SequenceCorrelator::MayBeWeakSignal(k));
  k.resource = "leases";
  k.verb = "update";
  EXPECT_FALSE(SequenceCorrelator::MayBeWeakSignal(k));
  k.resource = "pods";
  k.subresource = "exec";
  k.verb = "get";
  EXPECT_TRUE(SequenceCorrelator::MayBeWeakSignal(k));
  // Only the final stage counts, as in OnEvent().
  k.stage = "ResponseStarted";
  EXPECT_FALSE(SequenceCorrelator::MayBeWeakSignal(k));
  k.stage = "Panic";
  EXPECT_TRUE(SequenceCorrelator::MayBeWeakSignal(k));
  // The cluster's own components reading secrets or creating workloads are no signal.
  k.stage = "ResponseComplete";
  k.subresource = "";
  k.resource = "secrets";
  k.verb = "watch";
  k.user_name = "system:node:ip-10-0-1-2.ec2.internal";
  EXPECT_FALSE(SequenceCorrelator::MayBeWeakSignal(k));
  k.user_name = "system:serviceaccount:argocd:argocd-application-controller";
  EXPECT_TRUE(SequenceCorrelator::MayBeWeakSignal(k));
  k.resource = "replicasets";
  k.verb = "create";
  k.user_name = "system:kube-controller-manager";
  EXPECT_FALSE(SequenceCorrelator::MayBeWeakSignal(k));
}

}  // namespace
}  // namespace vigil::detect
