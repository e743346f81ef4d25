// GeoIp over real .mmdb files written by tests/mmdb_writer.h and read by libmaxminddb, and the
// engine's use of it: vigil.geo.* fields and the finding context.
#include "detect/geoip.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "detect/engine.h"
#include "mmdb_writer.h"
#include "rules/loader.h"
#include "temp_dir.h"

namespace vigil::detect {
namespace {

using tests::MmdbValue;
using tests::MmdbWriter;

class GeoIpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    country_ = dir_.File("country.mmdb");
    asn_ = dir_.File("asn.mmdb");
    tests::WriteTestGeoDatabases(country_, asn_);
  }
  tests::TempDir dir_;
  std::string country_, asn_;
};

TEST_F(GeoIpTest, LooksUpCountryAndAsnFromSeparateDatabases) {
  auto geo = GeoIp::Open({country_, asn_});
  ASSERT_TRUE(geo) << geo.error().message;
  EXPECT_EQ((*geo)->database_count(), 2u);
  EXPECT_EQ((*geo)->Describe(), "GeoLite2-Country, GeoLite2-ASN");

  GeoInfo de = (*geo)->Lookup("203.0.113.7");
  EXPECT_EQ(de.country, "DE");
  EXPECT_EQ(de.asn, 64500u);
  EXPECT_EQ(de.asn_text, "64500");
  EXPECT_EQ(de.as_org, "Example Hosting GmbH");

  GeoInfo v6 = (*geo)->Lookup("2001:db8:1:ffff::9");
  EXPECT_EQ(v6.country, "FR");
  EXPECT_EQ(v6.asn, 64502u);
  EXPECT_EQ(v6.as_org, "Example IPv6 Networks");

  // An IPv4-mapped IPv6 address is the IPv4 address.
  EXPECT_EQ((*geo)->Lookup("::ffff:198.51.100.20").country, "US");
  EXPECT_EQ((*geo)->Lookup("[2001:db8:1::1]").country, "FR");

  EXPECT_TRUE((*geo)->Lookup("192.0.2.1").empty());     // no record
  EXPECT_TRUE((*geo)->Lookup("2001:db8:2::1").empty());  // no record
  EXPECT_TRUE((*geo)->Lookup("not-an-ip").empty());
  EXPECT_TRUE((*geo)->Lookup("").empty());
}

TEST_F(GeoIpTest, OnlyCountryDatabaseLeavesAsnUnknown) {
  auto geo = GeoIp::Open({country_});
  ASSERT_TRUE(geo) << geo.error().message;
  GeoInfo g = (*geo)->Lookup("203.0.113.7");
  EXPECT_EQ(g.country, "DE");
  EXPECT_EQ(g.asn, 0u);
  EXPECT_EQ(g.asn_text, "");
  EXPECT_EQ(g.as_org, "");
}

TEST_F(GeoIpTest, BadFilesAreConfigErrorsNamingFileAndProblem) {
  const std::string missing = dir_.File("missing.mmdb");
  const std::string garbage = dir_.File("garbage.mmdb");
  const std::string empty = dir_.File("empty.mmdb");
  const std::string truncated = dir_.File("truncated.mmdb");
  std::ofstream(garbage) << std::string(4096, 'x');
  std::ofstream(empty) << "";
  {
    std::ifstream in(country_, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  for (const std::string& bad : {missing, garbage, empty, truncated}) {
    auto geo = GeoIp::Open({country_, bad});
    ASSERT_FALSE(geo) << bad;
    EXPECT_EQ(geo.error().code, ErrorCode::kConfig);
    EXPECT_NE(geo.error().message.find("geoip database '" + bad + "'"), std::string::npos)
        << geo.error().message;
  }
  auto missing_err = GeoIp::Open({missing}).error().message;
  EXPECT_NE(missing_err.find("No such file"), std::string::npos) << missing_err;
  auto garbage_err = GeoIp::Open({garbage}).error().message;
  EXPECT_NE(garbage_err.find("not a MaxMind DB"), std::string::npos) << garbage_err;
  // Every bad file is reported at once.
  auto both = GeoIp::Open({missing, garbage});
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find(missing), std::string::npos);
  EXPECT_NE(both.error().message.find(garbage), std::string::npos);
}

TEST_F(GeoIpTest, DamagedRecordsGiveUnknownNotGarbage) {
  MmdbWriter w("Odd-Database");
  // A number where a string belongs, a country code that is no code, control characters in an
  // organisation name, an AS number of the wrong type.
  w.Add("10.0.0.0/8", MmdbValue::Map({{"country", MmdbValue::Map({{"iso_code", MmdbValue::U32(7)}})},
                                      {"autonomous_system_number", MmdbValue::Str("64500")}}));
  w.Add("11.0.0.0/8",
        MmdbValue::Map({{"country", MmdbValue::Map({{"iso_code", MmdbValue::Str("de<x>")}})},
                        {"registered_country", MmdbValue::Map({{"iso_code", MmdbValue::Str("NL")}})},
                        {"autonomous_system_organization", MmdbValue::Str("Evil\n\x1b[31mOrg")}}));
  w.Add("12.0.0.0/8", MmdbValue::Str("not a map"));
  const std::string path = dir_.File("odd.mmdb");
  w.Write(path);
  auto geo = GeoIp::Open({path});
  ASSERT_TRUE(geo) << geo.error().message;
  EXPECT_TRUE((*geo)->Lookup("10.1.2.3").empty());
  GeoInfo g = (*geo)->Lookup("11.1.2.3");
  EXPECT_EQ(g.country, "NL");  // registered_country when country is unusable
  EXPECT_EQ(g.as_org, "Evil  [31mOrg");
  EXPECT_TRUE((*geo)->Lookup("12.1.2.3").empty());
}

TEST_F(GeoIpTest, CacheAnswersLikeTheDatabase) {
  auto geo = GeoIp::Open({country_, asn_});
  ASSERT_TRUE(geo);
  GeoCache cache(*geo, 2);
  for (int round = 0; round < 3; ++round) {
    for (const char* ip : {"203.0.113.7", "198.51.100.1", "2001:db8:1::1", "192.0.2.1", "x"}) {
      EXPECT_EQ(cache.Lookup(ip), (*geo)->Lookup(ip)) << ip;
    }
  }
  GeoCache none(nullptr);
  EXPECT_TRUE(none.Lookup("203.0.113.7").empty());
}

// Observations as "rule|country|asn|as_org" from the context.
class Collect : public ObservationSink {
 public:
  void OnObservation(const findings::Observation& o) override {
    auto get = [&](const std::string& k) {
      auto it = o.context.find(k);
      return it == o.context.end() ? std::string("-") : it->second;
    };
    if (!key.empty()) {
      seen.push_back(o.rule + "|" + get(key) + "|" + o.description);
      return;
    }
    seen.push_back(o.rule + "|" + get("caller_country") + "|" + get("caller_asn") + "|" +
                   get("caller_as_org"));
  }
  std::vector<std::string> seen;
  std::string key;  // when set, record "rule|context[key]|description" instead
};

constexpr const char* kGeoRules = R"(
- rule: Request from Germany
  desc: A request from a German address
  condition: vigil.geo.country = DE
  output: from %vigil.geo.country AS%vigil.geo.asn (%vigil.geo.as_org)
  priority: WARNING
  source: k8s_audit
- rule: Request from a known AS
  desc: Any request whose caller has an AS number
  condition: vigil.geo.asn exists and vigil.geo.asn in (64500, 64501, 64502)
  output: asn %vigil.geo.asn
  priority: NOTICE
  source: k8s_audit
- rule: Request from an unknown place
  desc: Country not available
  condition: not vigil.geo.country exists
  output: unknown
  priority: NOTICE
  source: k8s_audit
)";

std::vector<std::string> RunRules(const std::shared_ptr<const GeoIp>& geo,
                                  const std::shared_ptr<const ThreatIntel>& intel,
                                  const std::vector<std::string>& source_ips,
                                  const char* rule_text = kGeoRules,
                                  const char* context_key = nullptr) {
  rules::RuleLoader loader;
  EXPECT_TRUE(loader.AddText("geo.yaml", rule_text));
  auto set = loader.Finish();
  EXPECT_TRUE(set) << set.error().message;
  auto rules = std::make_shared<const rules::RuleSet>(std::move(*set));
  EngineOptions options;
  options.geoip = geo;
  Engine engine(rules, intel, options);
  Collect sink;
  if (context_key != nullptr) sink.key = context_key;
  simdjson::dom::parser parser;
  std::string ips;
  for (const auto& ip : source_ips) ips += (ips.empty() ? "\"" : ",\"") + ip + "\"";
  const std::string json =
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1",)"
      R"("stage":"ResponseComplete","requestURI":"/api/v1/namespaces","verb":"list",)"
      R"("user":{"username":"alice"},"sourceIPs":[)" + ips + R"(],)"
      R"("objectRef":{"resource":"namespaces","apiVersion":"v1"},"responseStatus":{"code":200},)"
      R"("stageTimestamp":"2024-05-01T10:00:00.000000Z"})";
  simdjson::dom::element root = parser.parse(json).value();
  auto ev = event::AuditEvent::FromElement(root);
  EXPECT_TRUE(ev) << ev.error().message;
  engine.Process(*ev, sink);
  return sink.seen;
}

TEST_F(GeoIpTest, EngineFillsGeoFieldsAndFindingContext) {
  auto geo = GeoIp::Open({country_, asn_});
  ASSERT_TRUE(geo);
  EXPECT_EQ(RunRules(*geo, nullptr, {"203.0.113.7"}),
            (std::vector<std::string>{
                "Request from Germany|DE|64500|Example Hosting GmbH",
                "Request from a known AS|DE|64500|Example Hosting GmbH"}));
  EXPECT_EQ(RunRules(*geo, nullptr, {"2001:db8:1::7"}),
            (std::vector<std::string>{"Request from a known AS|FR|64502|Example IPv6 Networks"}));
  // No record: the fields are not available and the context has no geo keys.
  EXPECT_EQ(RunRules(*geo, nullptr, {"192.0.2.1"}),
            (std::vector<std::string>{"Request from an unknown place|-|-|-"}));
  // No database at all: the same.
  EXPECT_EQ(RunRules(nullptr, nullptr, {"203.0.113.7"}),
            (std::vector<std::string>{"Request from an unknown place|-|-|-"}));
}

TEST_F(GeoIpTest, CallerIsTheAddressAfterTrustedProxies) {
  auto geo = GeoIp::Open({country_, asn_});
  ASSERT_TRUE(geo);
  // The forwarded address is German, the connection comes from a US proxy.
  EXPECT_EQ(RunRules(*geo, nullptr, {"203.0.113.7", "198.51.100.9"}),
            (std::vector<std::string>{"Request from a known AS|US|64501|Example Cloud Inc"}));
  auto intel = std::make_shared<ThreatIntel>();
  ASSERT_TRUE(intel->AddTrustedProxy("198.51.100.0/24"));
  EXPECT_EQ(RunRules(*geo, intel, {"203.0.113.7", "198.51.100.9"}),
            (std::vector<std::string>{
                "Request from Germany|DE|64500|Example Hosting GmbH",
                "Request from a known AS|DE|64500|Example Hosting GmbH"}));
}

// CSV labels reach rules (vigil.threat.label) and the finding context (threat_labels).
TEST(ThreatLabelTest, LabelsReachRulesAndContext) {
  auto intel = std::make_shared<ThreatIntel>();
  ASSERT_TRUE(intel->AddEntry("feeds", "203.0.113.0/24", "hosting"));
  ASSERT_TRUE(intel->AddEntry("feeds", "198.51.100.9", ""));
  const char* rules = R"(
- rule: Labelled caller
  desc: a caller on a list with a label
  condition: vigil.threat.label exists
  output: labels=%vigil.threat.label
  priority: WARNING
  source: k8s_audit
)";
  EXPECT_EQ(RunRules(nullptr, intel, {"203.0.113.7", "198.51.100.9"}, rules, "threat_labels"),
            (std::vector<std::string>{"Labelled caller|feeds:203.0.113.7=hosting|labels=(hosting)"}));
  // Listed without a label: the field is not available, the rule does not fire.
  EXPECT_TRUE(RunRules(nullptr, intel, {"198.51.100.9"}, rules, "threat_labels").empty());
}

}  // namespace
}  // namespace vigil::detect
