#include "findings/encode/ocsf.h"

#include <gtest/gtest.h>

#include <sstream>

#include "findings/aggregator.h"
#include "findings/golden.h"
#include "findings/sample_observations.h"

namespace vigil::findings {
namespace {

using ojson = nlohmann::ordered_json;
using testing::ExpectGolden;
using testing::kSampleNow;
using testing::SampleObservations;

std::vector<Finding> SampleFindings() {
  FindingAggregator agg;
  for (const Observation& o : SampleObservations()) agg.Add(o, kSampleNow);
  return agg.TakeAll();
}

OcsfOptions TestOptions() {
  OcsfOptions options;
  options.product_version = "0.0.0-test";  // keeps the golden independent of releases
  return options;
}

// The attributes OCSF marks required for a Detection Finding (reference §3c): base event
// (activity_id, category_uid, class_uid, metadata.product, metadata.version, severity_id, time,
// type_uid), finding (finding_info with uid; title required up to 1.3), plus the objects' own
// required members that vigil fills (analytic.type_id, remediation.desc, cloud.provider).
void ExpectRequiredAttributes(const ojson& j) {
  for (const char* key : {"activity_id", "category_uid", "class_uid", "severity_id", "time",
                          "type_uid", "metadata", "finding_info"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["class_uid"], 2004);
  EXPECT_EQ(j["category_uid"], 2);
  EXPECT_EQ(j["type_uid"], 200400 + j["activity_id"].get<int>());
  EXPECT_TRUE(j["time"].is_number_integer());
  EXPECT_GE(j["severity_id"].get<int>(), 1);
  EXPECT_LE(j["severity_id"].get<int>(), 5);
  EXPECT_EQ(j["metadata"]["version"], kOcsfVersion);
  EXPECT_TRUE(j["metadata"]["product"]["name"].is_string());
  EXPECT_TRUE(j["metadata"]["product"]["vendor_name"].is_string());
  EXPECT_TRUE(j["finding_info"]["uid"].is_string());
  EXPECT_TRUE(j["finding_info"]["title"].is_string());
  EXPECT_EQ(j["finding_info"]["analytic"]["type_id"], 1);
  if (j.contains("remediation")) {
    EXPECT_TRUE(j["remediation"]["desc"].is_string());
  }
  if (j.contains("cloud")) {
    EXPECT_TRUE(j["cloud"]["provider"].is_string());
  }
  // evidences: at least one of its attributes.
  ASSERT_TRUE(j["evidences"].is_array());
  for (const auto& e : j["evidences"]) EXPECT_FALSE(e.empty());
  EXPECT_EQ(j["is_alert"], true);
}

TEST(OcsfTest, MatchesGolden) {
  std::ostringstream out;
  WriteOcsfLines(out, SampleFindings(), TestOptions());
  ExpectGolden("findings.ocsf.jsonl", out.str());
}

TEST(OcsfTest, RequiredAttributesArePresent) {
  for (const Finding& f : SampleFindings()) ExpectRequiredAttributes(FindingToOcsf(f));
  ExpectRequiredAttributes(FindingToOcsf(Finding{}));
}

TEST(OcsfTest, ProductVersionDefaultsToThisBuild) {
  ojson j = FindingToOcsf(Finding{});
  EXPECT_FALSE(j["metadata"]["product"]["version"].get<std::string>().empty());
  EXPECT_EQ(j["metadata"]["product"]["name"], "vigil");
}

TEST(OcsfTest, CreateUntilUpdated) {
  Finding f = SampleFindings()[0];
  ojson j = FindingToOcsf(f);
  EXPECT_EQ(j["activity_id"], 1);
  EXPECT_EQ(j["type_uid"], 200401);
  f.updated_at = f.created_at + 1'000'000;
  j = FindingToOcsf(f);
  EXPECT_EQ(j["activity_id"], 2);
  EXPECT_EQ(j["type_uid"], 200402);
  EXPECT_EQ(j["activity_name"], "Update");
  EXPECT_EQ(j["finding_info"]["modified_time"], f.updated_at / 1'000'000);
  EXPECT_EQ(j["time"], f.updated_at / 1'000'000);
}

TEST(OcsfTest, SeverityAndStatusIds) {
  EXPECT_EQ(OcsfSeverityId(Severity::kInformational), 1);
  EXPECT_EQ(OcsfSeverityId(Severity::kLow), 2);
  EXPECT_EQ(OcsfSeverityId(Severity::kMedium), 3);
  EXPECT_EQ(OcsfSeverityId(Severity::kHigh), 4);
  EXPECT_EQ(OcsfSeverityId(Severity::kCritical), 5);
  EXPECT_EQ(OcsfStatusId(WorkflowStatus::kNew), 1);
  EXPECT_EQ(OcsfStatusId(WorkflowStatus::kNotified), 2);
  EXPECT_EQ(OcsfStatusId(WorkflowStatus::kSuppressed), 3);
  EXPECT_EQ(OcsfStatusId(WorkflowStatus::kResolved), 4);
  Finding f;
  f.workflow = WorkflowStatus::kResolved;
  f.severity = Severity::kHigh;
  ojson j = FindingToOcsf(f);
  EXPECT_EQ(j["status_id"], 4);
  EXPECT_EQ(j["status"], "Resolved");
  EXPECT_EQ(j["severity"], "High");
}

TEST(OcsfTest, FindingInfoCarriesTimesTypesAndAnalytic) {
  Finding f = SampleFindings()[0];
  ojson info = FindingToOcsf(f)["finding_info"];
  EXPECT_EQ(info["uid"], f.id);
  EXPECT_EQ(info["types"], ojson::array({f.type}));
  EXPECT_EQ(info["first_seen_time"], f.first_seen / 1'000'000);
  EXPECT_EQ(info["last_seen_time"], f.last_seen / 1'000'000);
  EXPECT_EQ(info["created_time"], f.created_at / 1'000'000);
  EXPECT_EQ(info["analytic"]["name"], f.rule);
}

TEST(OcsfTest, AttacksNormaliseTacticsAndSplitSubTechniques) {
  Finding f;
  f.mitre = {{"credential_access", "T1552.007", "Container API"},
             {"Execution", "T1610", "Deploy Container"},
             {"Made Up", "", ""}};
  ojson attacks = FindingToOcsf(f)["finding_info"]["attacks"];
  ASSERT_EQ(attacks.size(), 3u);
  EXPECT_EQ(attacks[0]["tactic"], (ojson{{"name", "Credential Access"}, {"uid", "TA0006"}}));
  EXPECT_EQ(attacks[0]["technique"], (ojson{{"uid", "T1552"}}));
  EXPECT_EQ(attacks[0]["sub_technique"], (ojson{{"uid", "T1552.007"}, {"name", "Container API"}}));
  EXPECT_EQ(attacks[1]["technique"], (ojson{{"uid", "T1610"}, {"name", "Deploy Container"}}));
  EXPECT_EQ(attacks[2], (ojson{{"tactic", {{"name", "Made Up"}}}}));
}

TEST(OcsfTest, ActorEvidenceAndResources) {
  Finding f = SampleFindings()[1];  // the privileged pod by an IAM role session
  ojson j = FindingToOcsf(f);
  const ojson& user = j["actor"]["user"];
  EXPECT_EQ(user["name"], f.principal.username);
  EXPECT_EQ(user["uid"], f.principal.uid);
  EXPECT_EQ(user["credential_uid"], f.principal.aws_access_key_id);
  EXPECT_EQ(user["groups"], (ojson::array({ojson{{"name", "system:authenticated"}}})));
  const ojson& evidence = j["evidences"][0];
  EXPECT_EQ(evidence["src_endpoint"]["ip"], "192.0.2.10");
  EXPECT_TRUE(evidence["data"].is_object());
  EXPECT_EQ(evidence["data"]["auditID"], f.audit_ids.front());
  EXPECT_EQ(evidence["api"]["operation"], "create");
  EXPECT_EQ(evidence["api"]["request"]["uid"], f.audit_ids.front());
  ASSERT_EQ(j["resources"].size(), 2u);
  EXPECT_EQ(j["resources"][0]["name"], "prod-eks");
  EXPECT_EQ(j["resources"][1], (ojson{{"type", "pods"},
                                      {"name", "miner"},
                                      {"namespace", "default"},
                                      {"data", {{"request_uri", f.resource.request_uri}}}}));
  EXPECT_EQ(j["remediation"]["references"], ojson::array({f.remediation.url}));
  EXPECT_EQ(j["unmapped"]["vigil"]["principal"]["aws_arn"], f.principal.aws_arn);
}

TEST(OcsfTest, CloudOnlyWhenKnown) {
  std::vector<Finding> findings = SampleFindings();
  const Finding& eks = findings[0];
  ojson j = FindingToOcsf(eks);
  EXPECT_EQ(j["cloud"], (ojson{{"provider", "AWS"},
                               {"account", {{"uid", "111122223333"}}},
                               {"region", "us-east-2"}}));
  EXPECT_EQ(j["metadata"]["profiles"], (ojson::array({"host", "cloud"})));
  Finding kind = eks;
  kind.account.clear();
  kind.region.clear();
  j = FindingToOcsf(kind);
  EXPECT_FALSE(j.contains("cloud"));
  EXPECT_EQ(j["metadata"]["profiles"], (ojson::array({"host"})));
}

TEST(OcsfTest, CallerGeoGoesToSrcEndpoint) {
  Finding f = SampleFindings()[1];
  f.context["caller_ip"] = "203.0.113.7";
  f.context["caller_country"] = "DE";
  f.context["caller_asn"] = "64500";
  f.context["caller_as_org"] = "Example Hosting GmbH";
  ojson j = FindingToOcsf(f);
  ExpectRequiredAttributes(j);
  EXPECT_EQ(j["evidences"][0]["src_endpoint"],
            (ojson{{"ip", "203.0.113.7"},
                   {"location", {{"country", "DE"}}},
                   {"autonomous_system", {{"number", 64500}, {"name", "Example Hosting GmbH"}}}}));
}

}  // namespace
}  // namespace vigil::findings
