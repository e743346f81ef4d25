#include "server/config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "server/jetstream_front.h"
#include "temp_dir.h"

namespace vigil::server {
namespace {

TEST(ServeConfigTest, EmptyFileGivesDefaults) {
  auto c = ParseServeConfig("", "vigil.yaml");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->listen, "127.0.0.1:8765");
  EXPECT_GE(c->limits.max_body_bytes, std::size_t{12} << 20);
}

TEST(ServeConfigTest, ReadsEveryKey) {
  auto c = ParseServeConfig(R"(
listen: 0.0.0.0:9443
db: /var/lib/vigil/vigil.db
rules: [a.yaml, dir/]
no_builtin_rules: true
tail: /var/log/audit.log
cluster: prod
dead_letter: dl.jsonl
dedup_window: 30m
shutdown_timeout: 5s
tls: {cert: c.pem, key: k.pem, client_ca: ca.pem}
auth: {api_token_file: api, webhook_token_file: hook}
limits: {max_body: 16MiB, max_events_per_batch: 800, read_timeout: 3s, queue_batches: 4,
         queue_bytes: 64MB, http_threads: 2, max_clusters: 3}
geoip_databases: [/geo/GeoLite2-Country.mmdb, /geo/GeoLite2-ASN.mmdb]
)",
                            "vigil.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->listen, "0.0.0.0:9443");
  EXPECT_EQ(c->rules, (std::vector<std::string>{"a.yaml", "dir/"}));
  EXPECT_TRUE(c->no_builtin_rules);
  EXPECT_EQ(c->tail, (std::vector<std::string>{"/var/log/audit.log"}));
  EXPECT_EQ(c->dedup_window_seconds, 1800);
  EXPECT_EQ(c->shutdown_timeout.count(), 5);
  EXPECT_EQ(c->tls.client_ca_file, "ca.pem");
  EXPECT_EQ(c->auth.webhook_token_file, "hook");
  EXPECT_EQ(c->limits.max_body_bytes, std::size_t{16} << 20);
  EXPECT_EQ(c->limits.queue_bytes, 64000000u);
  EXPECT_EQ(c->limits.max_clusters, 3u);
  EXPECT_EQ(c->geoip_databases,
            (std::vector<std::string>{"/geo/GeoLite2-Country.mmdb", "/geo/GeoLite2-ASN.mmdb"}));
}

TEST(ServeConfigTest, GeoipDatabasesMustBeAListOfStrings) {
  auto c = ParseServeConfig("geoip_databases: {a: b}\n", "vigil.yaml");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().ToString().find("geoip_databases"), std::string::npos) << c.error().ToString();
}

TEST(ServeConfigTest, ReportsEveryProblemWithItsPosition) {
  auto c = ParseServeConfig("listen: [a]\nlimts: {}\nlimits:\n  max_body: lots\n", "v.yaml");
  ASSERT_FALSE(c.has_value());
  const std::string m = c.error().message;
  EXPECT_NE(m.find("v.yaml:1:9: listen: expected a string"), std::string::npos) << m;
  EXPECT_NE(m.find("v.yaml:2:1: unknown key 'limts'"), std::string::npos) << m;
  EXPECT_NE(m.find("v.yaml:4:13: limits.max_body"), std::string::npos) << m;
}

TEST(ServeConfigTest, RejectsBadYamlWithPosition) {
  auto c = ParseServeConfig("listen: [unclosed\nkey: 1\n", "v.yaml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kConfig);
  EXPECT_EQ(c.error().pos.file, "v.yaml");
}

TEST(ServeConfigTest, ParsesByteSizes) {
  EXPECT_EQ(ParseByteSize("12MiB"), std::size_t{12} << 20);
  EXPECT_EQ(ParseByteSize("10MB"), 10000000u);
  EXPECT_EQ(ParseByteSize("4096"), 4096u);
  EXPECT_EQ(ParseByteSize("0"), std::nullopt);
  EXPECT_EQ(ParseByteSize("12 parsecs"), std::nullopt);
  EXPECT_EQ(ParseByteSize("99999999999999999GiB"), std::nullopt);
}

TEST(ServeConfigTest, ParsesListenAddresses) {
  auto a = ParseListenAddress("[::1]:8765");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8765);
  EXPECT_FALSE(ParseListenAddress("8765").has_value());
  EXPECT_FALSE(ParseListenAddress("host:99999").has_value());
  EXPECT_FALSE(ParseListenAddress("::1:80").has_value());
}

TEST(ServeConfigTest, NonLoopbackNeedsTlsAndAuthOrAnExplicitOptOut) {
  ServeConfig c;
  c.listen = "0.0.0.0:8765";
  Status st = ValidateServeConfig(c);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("TLS"), std::string::npos);
  EXPECT_NE(st.error().message.find("webhook authentication"), std::string::npos);
  EXPECT_NE(st.error().message.find("--insecure-listen"), std::string::npos);
  c.tls = {"c.pem", "k.pem", "ca.pem"};
  c.auth.api_token_file = "api";
  EXPECT_TRUE(ValidateServeConfig(c).has_value()) << "client CA authenticates the webhook";
  ServeConfig open;
  open.listen = "10.0.0.1:80";
  open.insecure_listen = true;
  EXPECT_TRUE(ValidateServeConfig(open).has_value());
  ServeConfig local;
  local.listen = "127.0.0.1:0";
  EXPECT_TRUE(ValidateServeConfig(local).has_value());
}

TEST(ServeConfigTest, TlsSettingsComeInPairs) {
  ServeConfig c;
  c.tls.cert_file = "c.pem";
  EXPECT_FALSE(ValidateServeConfig(c).has_value());
  ServeConfig ca;
  ca.tls.client_ca_file = "ca.pem";
  EXPECT_FALSE(ValidateServeConfig(ca).has_value());
}

}  // namespace
}  // namespace vigil::server

#include <yaml-cpp/yaml.h>

namespace vigil::server {
namespace {

const std::string kExamples = std::string(VIGIL_SOURCE_DIR) + "/examples/serve/";

// The configs under examples/serve load and pass validation, so what the docs show runs.
TEST(ServeConfigTest, ExampleConfigsLoadAndValidate) {
  for (const char* name : {"vigil.minimal.yaml", "vigil.yaml"}) {
    SCOPED_TRACE(name);
    auto c = LoadServeConfig(kExamples + name);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_TRUE(ValidateServeConfig(*c).has_value());
  }
  auto complete = LoadServeConfig(kExamples + "vigil.yaml");
  ASSERT_TRUE(complete.has_value());
  EXPECT_TRUE(complete->tls.enabled());
  EXPECT_FALSE(complete->auth.api_token_file.empty());
}

TEST(ServeConfigTest, ExampleKubeconfigAndPolicyHaveTheShapeTheApiServerReads) {
  YAML::Node kubeconfig = YAML::LoadFile(kExamples + "webhook-kubeconfig.yaml");
  const std::string server = kubeconfig["clusters"][0]["cluster"]["server"].as<std::string>();
  EXPECT_NE(server.find("/k8s-audit"), std::string::npos);
  EXPECT_EQ(kubeconfig["current-context"].as<std::string>(), "default");
  YAML::Node policy = YAML::LoadFile(kExamples + "audit-policy.yaml");
  EXPECT_EQ(policy["kind"].as<std::string>(), "Policy");
  EXPECT_EQ(policy["apiVersion"].as<std::string>(), "audit.k8s.io/v1");
  bool secrets_metadata = false;
  for (const auto& rule : policy["rules"]) {
    const std::string level = rule["level"].as<std::string>();
    EXPECT_TRUE(level == "None" || level == "Metadata" || level == "Request" ||
                level == "RequestResponse")
        << level;
    if (level != "Metadata" || !rule["resources"]) continue;
    for (const auto& group : rule["resources"]) {
      for (const auto& r : group["resources"]) secrets_metadata |= r.as<std::string>() == "secrets";
    }
  }
  EXPECT_TRUE(secrets_metadata) << "secrets must be logged at Metadata, never with their data";
  EXPECT_EQ(policy["rules"][policy["rules"].size() - 1]["level"].as<std::string>(), "Metadata");
}

TEST(ServeConfigTest, JetStreamExamplesLoadAndValidate) {
  for (const char* name : {"front.yaml", "worker.yaml"}) {
    auto c = LoadServeConfig(std::string(VIGIL_SOURCE_DIR) + "/examples/jetstream/" + name);
    ASSERT_TRUE(c.has_value()) << name << ": " << c.error().ToString();
    EXPECT_TRUE(c->jetstream.enabled());
    EXPECT_EQ(c->jetstream.urls.size(), 3u);
    EXPECT_EQ(c->jetstream.replicas, 3u);
    EXPECT_EQ(c->jetstream.stream, "AUDIT");
    Status st = ValidateServeConfig(*c);
    EXPECT_TRUE(st) << name << ": " << st.error().ToString();
  }
  auto w = LoadServeConfig(std::string(VIGIL_SOURCE_DIR) + "/examples/jetstream/worker.yaml");
  ASSERT_TRUE(w.has_value());
  EXPECT_TRUE(w->jetstream.worker());
  EXPECT_EQ(w->jetstream.lease_ttl, std::chrono::seconds(6));
  EXPECT_EQ(w->jetstream.ack_wait, std::chrono::seconds(60));
  EXPECT_EQ(w->jetstream.fetch_batch, 400u);
}

TEST(ServeConfigTest, JetStreamMistakesAreNamedWithTheirPlace) {
  auto c = ParseServeConfig(R"(jetstream:
  role: leader
  stream: "A.B"
  subject_prefix: "audit.>"
  replicas: 7
  lease_ttl: soon
  colour: blue
)",
                            "v.yaml");
  ASSERT_FALSE(c.has_value());
  const std::string e = c.error().ToString();
  EXPECT_NE(e.find("v.yaml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream.role: expected front or worker"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream.stream"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream.subject_prefix"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream.replicas: at most 5"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream.lease_ttl"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'jetstream.colour'"), std::string::npos) << e;
}

TEST(ServeConfigTest, JetStreamCombinationsAreChecked) {
  auto no_urls = ParseServeConfig("jetstream: {role: front}\n", "v.yaml");
  ASSERT_TRUE(no_urls.has_value());
  Status st = ValidateServeConfig(*no_urls);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("jetstream.urls"), std::string::npos);
  auto bad_url = ParseServeConfig("jetstream: {role: front, urls: http://x:4222}\n", "v.yaml");
  ASSERT_TRUE(bad_url.has_value());
  EXPECT_FALSE(ValidateServeConfig(*bad_url));
  auto short_ack = ParseServeConfig(
      "jetstream: {role: worker, urls: nats://x:4222, lease_ttl: 10s, ack_wait: 5s}\n", "v.yaml");
  ASSERT_TRUE(short_ack.has_value());
  st = ValidateServeConfig(*short_ack);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("ack_wait"), std::string::npos);
}

TEST(ServeConfigTest, NatsCredentialsNeverGoInAUrl) {
  for (const char* url : {"nats://vigil:hunter2@nats-0:4222", "tls://s3cr3t-token@nats-0:4222"}) {
    auto c = ParseServeConfig(fmt::format("jetstream: {{role: worker, urls: ['{}']}}\n", url),
                              "v.yaml");
    ASSERT_TRUE(c.has_value());
    Status st = ValidateServeConfig(*c);
    ASSERT_FALSE(st) << url;
    EXPECT_NE(st.error().message.find("token_file"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find("hunter2"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find("s3cr3t"), std::string::npos) << st.error().message;
  }
  // '@' after the authority (a path) is not a credential.
  auto ok = ParseServeConfig("jetstream: {role: worker, urls: ['nats://nats-0:4222/x@y']}\n",
                             "v.yaml");
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ValidateServeConfig(*ok));
  auto both = ParseServeConfig(
      "jetstream: {role: worker, urls: [nats://n:4222], token_file: /t, credentials_file: /c}\n",
      "v.yaml");
  ASSERT_TRUE(both.has_value());
  EXPECT_FALSE(ValidateServeConfig(*both));
  auto half_tls = ParseServeConfig(
      "jetstream: {role: worker, urls: [tls://n:4222], tls_ca: /ca.pem, tls_cert: /c.pem}\n",
      "v.yaml");
  ASSERT_TRUE(half_tls.has_value());
  EXPECT_FALSE(ValidateServeConfig(*half_tls));
}

TEST(ServeConfigTest, NatsTokenComesFromItsFileAndErrorsNameOnlyTheFile) {
  tests::TempDir dir;
  const std::string token = dir.File("nats.token");
  {
    std::ofstream(token) << "tok-7f3a9c\r\nsecond line ignored\n";
  }
  JetStreamConfig j{.urls = {"nats://127.0.0.1:4222"}, .role = "worker"};
  j.token_file = token;
  j.tls_ca = "/etc/vigil/nats-ca.pem";
  auto o = NatsConnectOptions(j, "vigil-test");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->token, "tok-7f3a9c");
  EXPECT_EQ(o->ca_file, "/etc/vigil/nats-ca.pem");
  EXPECT_EQ(o->name, "vigil-test");

  j.token_file = dir.File("missing.token");
  auto missing = NatsConnectOptions(j, "vigil-test");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kConfig);
  EXPECT_NE(missing.error().message.find("missing.token"), std::string::npos);

  const std::string empty = dir.File("empty.token");
  { std::ofstream(empty) << "\n"; }
  j.token_file = empty;
  auto none = NatsConnectOptions(j, "vigil-test");
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message.find("no token"), std::string::npos);
}

// deploy/kubernetes/: every vigil configuration embedded in a ConfigMap is one vigil accepts, and
// every listener that is not loopback has TLS and tokens (the manifests are otherwise not applied
// to a cluster in CI; deploy/README.md says so).
TEST(DeployManifestTest, EveryEmbeddedConfigLoadsAndNonLoopbackListenersAreAuthenticated) {
  const std::filesystem::path dir = std::filesystem::path(VIGIL_SOURCE_DIR) / "deploy/kubernetes";
  std::size_t configs = 0;
  std::set<std::string> roles;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const std::vector<YAML::Node> docs = YAML::LoadAllFromFile(entry.path().string());
    ASSERT_FALSE(docs.empty()) << entry.path();
    for (const YAML::Node& doc : docs) {
      ASSERT_TRUE(doc["kind"]) << entry.path() << ": a document without kind";
      if (doc["kind"].as<std::string>() != "ConfigMap" || !doc["data"]["vigil.yaml"]) continue;
      const std::string name = entry.path().filename().string() + ":" +
                               doc["metadata"]["name"].as<std::string>();
      auto c = ParseServeConfig(doc["data"]["vigil.yaml"].as<std::string>(), name);
      ASSERT_TRUE(c.has_value()) << c.error().ToString();
      Status st = ValidateServeConfig(*c);
      EXPECT_TRUE(st) << name << ": " << (st ? "" : st.error().ToString());
      EXPECT_FALSE(c->insecure_listen) << name;
      EXPECT_TRUE(c->tls.enabled()) << name << ": a pod's listener is not loopback";
      EXPECT_FALSE(c->auth.api_token_file.empty()) << name;
      EXPECT_TRUE(c->db.starts_with("postgres://")) << name << ": pods share one store";
      EXPECT_EQ(c->db.find(':', std::string_view("postgres://").size()),
                c->db.find(":5432")) << name << ": no password in the URL";
      if (c->jetstream.enabled()) {
        EXPECT_FALSE(c->jetstream.token_file.empty()) << name << ": NATS is not loopback either";
      }
      roles.insert(c->jetstream.role);
      ++configs;
    }
  }
  EXPECT_EQ(configs, 3u);
  EXPECT_EQ(roles, (std::set<std::string>{"", "front", "worker"}));
}

}  // namespace
}  // namespace vigil::server
