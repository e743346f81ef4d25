#include "detect/baseline.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "mmdb_writer.h"
#include "temp_dir.h"

namespace vigil::detect {
namespace {

constexpr UnixNanos kHour = 3600LL * 1'000'000'000LL;
constexpr UnixNanos kDay = 24 * kHour;
const UnixNanos kT0 = *ParseRfc3339("2026-01-01T00:00:00Z");

struct Req {
  std::string user = "alice";
  std::string verb = "get";
  std::string resource = "pods";
  std::string ns = "team-a";
  std::string sub{};
  std::string ip = "10.20.0.5";
  std::string ua = "kubectl/v1.29.0 (linux/amd64)";
  nlohmann::json request{};
  nlohmann::json response{};
  int code = 200;
};

class BaselineTest : public ::testing::Test {
 protected:
  std::vector<findings::Observation> Send(const Req& r,
                                          UnixNanos t,
                                          std::optional<findings::Severity> sev = std::nullopt) {
    nlohmann::json j;
    j["kind"] = "Event";
    j["apiVersion"] = "audit.k8s.io/v1";
    j["auditID"] = "id-" + std::to_string(++n_);
    j["stage"] = "ResponseComplete";
    j["verb"] = r.verb;
    j["user"]["username"] = r.user;
    j["sourceIPs"] = {r.ip};
    j["userAgent"] = r.ua;
    j["objectRef"] = {{"resource", r.resource}, {"namespace", r.ns}, {"name", "x"}};
    if (!r.sub.empty()) j["objectRef"]["subresource"] = r.sub;
    if (!r.request.is_null()) j["requestObject"] = r.request;
    if (!r.response.is_null()) j["responseObject"] = r.response;
    j["responseStatus"]["code"] = r.code;
    j["stageTimestamp"] = FormatRfc3339(t);
    std::string text = j.dump();
    simdjson::dom::element root;
    EXPECT_EQ(parser_.parse(text).get(root), simdjson::SUCCESS);
    auto ev = event::AuditEvent::FromElement(root);
    EXPECT_TRUE(ev.has_value());
    std::vector<findings::Observation> out;
    detector_.OnEvent(*ev, sev, out);
    return out;
  }
  // A week of alice reading pods and secrets in team-a from 10.20.0.5 with kubectl.
  void LearnAWeek() {
    for (int day = 0; day < 7; ++day) {
      Send({}, kT0 + day * kDay);
      Send({.verb = "list", .resource = "secrets"}, kT0 + day * kDay + kHour);
    }
  }

  simdjson::dom::parser parser_;
  int n_ = 0;
  BaselineDetector detector_{BaselineOptions{.cluster = "prod"}};
};

nlohmann::json PodWith(const std::string& image, bool privileged, const std::string& host_path = "") {
  nlohmann::json c = {{"name", "c"}, {"image", image}};
  if (privileged) c["securityContext"]["privileged"] = true;
  nlohmann::json spec = {{"containers", {c}}};
  if (!host_path.empty()) spec["volumes"] = {{{"name", "h"}, {"hostPath", {{"path", host_path}}}}};
  return {{"kind", "Pod"}, {"spec", spec}};
}

TEST_F(BaselineTest, NothingFiresWhileLearningAndKnownBehaviourStaysQuiet) {
  // During learning even a never-seen principal reading secrets is only learned.
  EXPECT_TRUE(Send({.user = "mallory", .verb = "list", .resource = "secrets"}, kT0).empty());
  LearnAWeek();
  EXPECT_FALSE(detector_.learned());  // the last event was on day 6
  EXPECT_TRUE(Send({.verb = "list", .resource = "secrets"}, kT0 + 8 * kDay).empty());
  EXPECT_TRUE(detector_.learned());
  // A new kubectl version is the same product.
  EXPECT_TRUE(Send({.verb = "list", .resource = "secrets", .ua = "kubectl/v1.30.1"},
                   kT0 + 8 * kDay + 1)
                  .empty());
}

TEST_F(BaselineTest, SecretsReadFromANewNetworkSaysWhatWasUnusualAndAgainstWhat) {
  LearnAWeek();
  auto out = Send({.verb = "list", .resource = "secrets", .ip = "203.0.113.9"}, kT0 + 8 * kDay);
  ASSERT_EQ(out.size(), 1u);
  const auto& o = out[0];
  EXPECT_EQ(o.type, "CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed");
  EXPECT_EQ(o.severity, findings::Severity::kMedium);
  EXPECT_EQ(o.principal.username, "alice");
  auto anomaly = nlohmann::json::parse(o.context.at("anomaly"));
  ASSERT_EQ(anomaly["unusual"].size(), 1u) << anomaly.dump();
  EXPECT_EQ(anomaly["unusual"][0]["dimension"], "network");
  EXPECT_EQ(anomaly["unusual"][0]["value"], "203.0.113.0/24");
  EXPECT_EQ(anomaly["unusual"][0]["known"], (nlohmann::json{"10.20.0.0/24"}));
  EXPECT_EQ(anomaly["unusual"][0]["known_since"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(anomaly["training_period"]["end"], "2026-01-08T00:00:00Z");
  EXPECT_NE(o.description.find("network 203.0.113.0/24"), std::string::npos) << o.description;
}

TEST_F(BaselineTest, RoleBindingToClusterAdminIsHigh) {
  LearnAWeek();
  auto out = Send({.verb = "create", .resource = "clusterrolebindings", .ns = "",
                   .request = {{"roleRef", {{"kind", "ClusterRole"}, {"name", "cluster-admin"}}}}},
                  kT0 + 8 * kDay);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated");
  EXPECT_EQ(out[0].severity, findings::Severity::kHigh);
  auto low = Send({.verb = "create", .resource = "rolebindings", .ns = "team-b",
                   .request = {{"roleRef", {{"kind", "Role"}, {"name", "reader"}}}}},
                  kT0 + 8 * kDay + 1);
  ASSERT_EQ(low.size(), 1u);
  EXPECT_EQ(low[0].severity, findings::Severity::kMedium);
}

TEST_F(BaselineTest, WorkloadTypesAndEscalations) {
  LearnAWeek();
  auto priv = Send({.verb = "create", .resource = "pods", .request = PodWith("busybox", true)},
                   kT0 + 8 * kDay);
  ASSERT_EQ(priv.size(), 1u);
  EXPECT_EQ(priv[0].type,
            "PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer");
  EXPECT_EQ(priv[0].severity, findings::Severity::kHigh);
  auto mount = Send({.verb = "create", .resource = "pods",
                     .request = PodWith("busybox", false, "/var/run/docker.sock")},
                    kT0 + 8 * kDay + 1);
  ASSERT_EQ(mount.size(), 1u);
  EXPECT_EQ(mount[0].type,
            "Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount");
  auto miner = Send({.verb = "create", .resource = "pods", .request = PodWith("xmrig/xmrig:6", false)},
                    kT0 + 8 * kDay + 2);
  ASSERT_EQ(miner.size(), 1u);
  EXPECT_EQ(miner[0].type, "Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed");
  EXPECT_EQ(miner[0].severity, findings::Severity::kMedium);
  auto plain = Send({.verb = "create", .resource = "pods", .request = PodWith("nginx:1.25", false)},
                    kT0 + 8 * kDay + 3);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].severity, findings::Severity::kLow);
  // Learned (LOW and MEDIUM are learned): the same deployment again is normal.
  EXPECT_TRUE(Send({.verb = "create", .resource = "pods", .request = PodWith("nginx:1.25", false)},
                   kT0 + 8 * kDay + 4)
                  .empty());
}

TEST_F(BaselineTest, NeverLearnsFromEventsWithHighFindings) {
  LearnAWeek();
  // The privileged pod is HIGH: its image is not learned, so the same image stays unusual.
  auto first = Send({.verb = "create", .resource = "pods", .request = PodWith("evil:1", true)},
                    kT0 + 8 * kDay);
  ASSERT_EQ(first.size(), 1u);
  auto again = Send({.verb = "create", .resource = "pods", .request = PodWith("evil:1", false)},
                    kT0 + 8 * kDay + 1);
  ASSERT_EQ(again.size(), 1u);
  // A rule's HIGH finding on an event keeps it out of the baseline as well.
  EXPECT_TRUE(Send({.ip = "198.51.100.1"}, kT0 + 8 * kDay + 2, findings::Severity::kHigh).empty());
  EXPECT_EQ(Send({.verb = "get", .resource = "secrets", .ip = "198.51.100.1"}, kT0 + 8 * kDay + 3)
                .size(),
            1u);
}

TEST_F(BaselineTest, ExecRoleAndPermissionChecks) {
  LearnAWeek();
  EXPECT_EQ(Send({.verb = "create", .resource = "pods", .ns = "kube-system", .sub = "exec"},
                 kT0 + 8 * kDay)[0]
                .type,
            "Execution:Kubernetes/AnomalousBehavior.ExecInPod");
  // A harmless role is no finding; a wildcard one is.
  EXPECT_TRUE(Send({.verb = "create", .resource = "roles",
                    .request = {{"rules", {{{"verbs", {"get"}}, {"resources", {"pods"}}}}}}},
                   kT0 + 8 * kDay + 1)
                  .empty());
  auto role = Send({.verb = "create", .resource = "clusterroles", .ns = "",
                    .request = {{"rules", {{{"verbs", {"*"}}, {"resources", {"*"}}}}}}},
                   kT0 + 8 * kDay + 2);
  ASSERT_EQ(role.size(), 1u);
  EXPECT_EQ(role[0].severity, findings::Severity::kLow);
  // A permission check: only a successful one about a powerful action.
  auto ask = [&](const std::string& verb, const std::string& resource, bool allowed, UnixNanos t) {
    return Send({.verb = "create", .resource = "selfsubjectaccessreviews", .ns = "",
                 .request = {{"spec", {{"resourceAttributes", {{"verb", verb}, {"resource", resource}}}}}},
                 .response = {{"status", {{"allowed", allowed}}}}},
                t);
  };
  EXPECT_TRUE(ask("get", "pods", true, kT0 + 8 * kDay + 3).empty());
  EXPECT_TRUE(ask("*", "*", false, kT0 + 8 * kDay + 4).empty());
  auto check = ask("create", "clusterrolebindings", true, kT0 + 8 * kDay + 5);
  ASSERT_EQ(check.size(), 1u);
  EXPECT_EQ(check[0].type, "Discovery:Kubernetes/AnomalousBehavior.PermissionChecked");
}

TEST_F(BaselineTest, OldValuesAgeOut) {
  BaselineDetector d(BaselineOptions{.cluster = "prod", .max_age_seconds = 3 * 24 * 3600});
  std::swap(detector_, d);
  LearnAWeek();  // day 0..6
  // 10.20.0.0/24 was last seen on day 6; on day 10 it is still known, on day 10 after a sweep of
  // a principal unseen since day 6 + 3 it is gone.
  Send({.user = "bob"}, kT0 + 10 * kDay);
  EXPECT_EQ(detector_.state().principals.count("alice"), 0u);
}

TEST(BaselineJsonTest, RoundTripsAndRejectsBadDocumentsWithWhere) {
  BaselineState s;
  s.cluster = "prod";
  s.started = kT0;
  PrincipalBaseline p;
  p.first_seen = kT0;
  p.last_seen = kT0 + kHour;
  p.values[static_cast<std::size_t>(BaselineDimension::kNetwork)]["10.0.0.0/24"] = {kT0, kT0 + kHour};
  p.values[static_cast<std::size_t>(BaselineDimension::kImage)]["nginx:1"] = {kT0, kT0};
  s.principals["alice"] = p;
  auto back = BaselineFromJson(BaselineToJson(s, 604800));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(*back, s);

  struct Case {
    std::string text;
    std::string where;
  };
  for (const Case& c : std::vector<Case>{
           {"{", "(document)"},
           {"[]", "(document)"},
           {R"({"version":2,"cluster":"x","principals":{}})", "version"},
           {R"({"version":1,"principals":{}})", "cluster"},
           {R"({"version":1,"cluster":"x","started":"yesterday","principals":{}})", "started"},
           {R"({"version":1,"cluster":"x","principals":{"a":{"first_seen":"2026-01-01T00:00:00Z"}}})",
            "principals.a.last_seen"},
           {R"({"version":1,"cluster":"x","principals":{"a":{"first_seen":"2026-01-01T00:00:00Z","last_seen":"2026-01-01T00:00:00Z","colour":{}}}})",
            "principals.a.colour"},
           {R"({"version":1,"cluster":"x","principals":{"a":{"first_seen":"2026-01-01T00:00:00Z","last_seen":"2026-01-01T00:00:00Z","network":{"n":[1]}}}})",
            "principals.a.network.n"},
       }) {
    auto r = BaselineFromJson(c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kParse);
    EXPECT_NE(r.error().message.find(c.where + ":"), std::string::npos)
        << c.text << " -> " << r.error().message;
  }
}


// With GeoIP/ASN databases the caller's AS is learned: a principal's new AS is the deviation
// GuardDuty reports, next to the new network.
class BaselineGeoTest : public BaselineTest {
 protected:
  void SetUp() override {
    tests::WriteTestGeoDatabases(dir_.File("c.mmdb"), dir_.File("a.mmdb"));
    auto geo = GeoIp::Open({dir_.File("c.mmdb"), dir_.File("a.mmdb")});
    ASSERT_TRUE(geo) << geo.error().message;
    geo_ = *geo;
  }
  tests::TempDir dir_;
  std::shared_ptr<const GeoIp> geo_;
};

TEST_F(BaselineGeoTest, NewAsnIsUnusualAndKnownAsnIsNot) {
  detector_ = BaselineDetector(BaselineOptions{.cluster = "prod", .geoip = geo_});
  for (int day = 0; day < 7; ++day) {
    Send({.ip = "203.0.113.5"}, kT0 + day * kDay);
    Send({.verb = "list", .resource = "secrets", .ip = "203.0.113.5"}, kT0 + day * kDay + kHour);
  }
  const UnixNanos after = kT0 + 8 * kDay;
  EXPECT_TRUE(Send({.verb = "list", .resource = "secrets", .ip = "203.0.113.77"}, after).empty());
  auto out = Send({.verb = "list", .resource = "secrets", .ip = "198.51.100.5"}, after + kHour);
  ASSERT_EQ(out.size(), 1u);
  auto anomaly = nlohmann::json::parse(out[0].context.at("anomaly"));
  ASSERT_EQ(anomaly["unusual"].size(), 2u) << anomaly.dump();
  EXPECT_EQ(anomaly["unusual"][0]["dimension"], "network");
  EXPECT_EQ(anomaly["unusual"][1]["dimension"], "asn");
  EXPECT_EQ(anomaly["unusual"][1]["value"], "AS64501");
  EXPECT_EQ(anomaly["unusual"][1]["known"], (nlohmann::json{"AS64500"}));
  EXPECT_NE(out[0].context.at("unusual").find("asn AS64501 (new; 1 known)"), std::string::npos);

  // The learned ASNs survive export and import.
  const std::string json = BaselineToJson(detector_.state(), 604800);
  EXPECT_NE(json.find(R"("asn":{"AS64500")"), std::string::npos) << json;
  auto back = BaselineFromJson(json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, detector_.state());
}

TEST_F(BaselineGeoTest, BaselineLearnedWithoutDatabaseFlagsNoAsn) {
  LearnAWeek();  // no database: no ASN learned
  const std::string json = BaselineToJson(detector_.state(), 604800);
  EXPECT_EQ(json.find("\"asn\""), std::string::npos) << "older versions reject unknown keys";
  // The same state, now with a database: a known network from an address with an AS is quiet.
  auto state = BaselineFromJson(json);
  ASSERT_TRUE(state) << state.error().message;
  // 10.20.0.5 has no AS in the test database; use a baseline learned on 203.0.113.0/24 instead.
  detector_ = BaselineDetector(BaselineOptions{.cluster = "prod"});
  for (int day = 0; day < 7; ++day) {
    Send({.verb = "list", .resource = "secrets", .ip = "203.0.113.5"}, kT0 + day * kDay);
  }
  BaselineDetector with_geo(BaselineOptions{.cluster = "prod", .geoip = geo_},
                            detector_.state());
  detector_ = std::move(with_geo);
  EXPECT_TRUE(Send({.verb = "list", .resource = "secrets", .ip = "203.0.113.9"}, kT0 + 8 * kDay)
                  .empty());
}

}  // namespace
}  // namespace vigil::detect
