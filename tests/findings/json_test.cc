#include "findings/encode/json.h"

#include <gtest/gtest.h>

#include <sstream>

#include "findings/aggregator.h"
#include "findings/golden.h"
#include "findings/sample_observations.h"

namespace vigil::findings {
namespace {

using testing::ExpectGolden;
using testing::kSampleNow;
using testing::MakeObservation;
using testing::SampleObservations;

std::vector<Finding> SampleFindings() {
  FindingAggregator agg;
  for (const Observation& o : SampleObservations()) agg.Add(o, kSampleNow);
  return agg.TakeAll();
}

TEST(FindingJsonTest, MatchesGolden) {
  std::ostringstream out;
  WriteFindingJsonLines(out, SampleFindings());
  ExpectGolden("findings.jsonl", out.str());
}

TEST(FindingJsonTest, KeysComeInTheDocumentedOrder) {
  nlohmann::ordered_json j = FindingToJson(SampleFindings().front());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  const std::vector<std::string> expected = {"id",
                                             "rule",
                                             "type",
                                             "severity",
                                             "title",
                                             "description",
                                             "dedup_key",
                                             "count",
                                             "audit_ids",
                                             "audit_ids_truncated",
                                             "first_seen",
                                             "last_seen",
                                             "cluster",
                                             "account",
                                             "region",
                                             "principal",
                                             "source_ips",
                                             "user_agent",
                                             "resource",
                                             "mitre",
                                             "remediation",
                                             "tags",
                                             "priority",
                                             "output_fields",
                                             "context",
                                             "evidence",
                                             "workflow_status",
                                             "created_at",
                                             "updated_at"};
  EXPECT_EQ(keys, expected);
  std::vector<std::string> resource_keys;
  for (const auto& [k, v] : j["resource"].items()) resource_keys.push_back(k);
  EXPECT_EQ(resource_keys, (std::vector<std::string>{"api_group", "resource", "subresource",
                                                     "namespace", "name", "request_uri"}));
}

TEST(FindingJsonTest, EvidenceIsAnObjectInTheEventsKeyOrder) {
  Finding f;
  f.evidence = R"({"kind":"Event","auditID":"a","stage":"ResponseComplete"})";
  nlohmann::ordered_json j = FindingToJson(f);
  ASSERT_TRUE(j["evidence"].is_object());
  EXPECT_EQ(j["evidence"].dump(), f.evidence);

  f.evidence = "not json {";
  j = FindingToJson(f);
  EXPECT_EQ(j["evidence"], (nlohmann::ordered_json{{"unparsed", "not json {"}}));

  f.evidence.clear();
  EXPECT_TRUE(FindingToJson(f)["evidence"].is_null());
}

TEST(FindingJsonTest, AwsPrincipalHasOnlyNonEmptyMembers) {
  Finding f;
  f.principal.username = "alice";
  EXPECT_FALSE(FindingToJson(f)["principal"].contains("aws"));
  f.principal.aws_arn = "arn:aws:iam::111122223333:role/x";
  nlohmann::ordered_json aws = FindingToJson(f)["principal"]["aws"];
  EXPECT_EQ(aws, (nlohmann::ordered_json{{"arn", "arn:aws:iam::111122223333:role/x"}}));
}

TEST(FindingJsonTest, TimesAreRfc3339) {
  Finding f;
  f.first_seen = testing::T("2024-05-01T12:00:01.123456Z");
  nlohmann::ordered_json j = FindingToJson(f);
  EXPECT_EQ(j["first_seen"], "2024-05-01T12:00:01.123456Z");
  EXPECT_EQ(j["last_seen"], "1970-01-01T00:00:00.000000Z");
}

TEST(FindingJsonTest, RoundTrips) {
  for (const Finding& f : SampleFindings()) {
    auto back = ParseFindingJson(EncodeFindingJson(f));
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_TRUE(SameContent(f, *back)) << EncodeFindingJson(f) << "\n" << EncodeFindingJson(*back);
    EXPECT_EQ(back->created_at, f.created_at);
    EXPECT_EQ(back->updated_at, f.updated_at);
  }
}

TEST(FindingJsonTest, UnparsedEvidenceRoundTrips) {
  Finding f;
  f.evidence = "truncated {\"a\":";
  auto back = ParseFindingJson(EncodeFindingJson(f));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->evidence, f.evidence);
}

TEST(FindingJsonTest, DecodingErrorsNameTheMember) {
  struct Case {
    const char* json;
    const char* member;
  };
  const Case cases[] = {
      {R"({"severity":"SEVERE"})", "severity"},
      {R"({"count":-1})", "count"},
      {R"({"count":"3"})", "count"},
      {R"({"first_seen":"yesterday"})", "first_seen"},
      {R"({"audit_ids":[1,2]})", "audit_ids"},
      {R"({"principal":"alice"})", "principal"},
      {R"({"workflow_status":"ARCHIVED"})", "workflow_status"},
      {R"({"output_fields":{"a":1}})", "output_fields"},
      {R"({"mitre":[1]})", "mitre"},
  };
  for (const Case& c : cases) {
    auto r = ParseFindingJson(c.json);
    ASSERT_FALSE(r.has_value()) << c.json;
    EXPECT_EQ(r.error().code, ErrorCode::kParse);
    EXPECT_NE(r.error().message.find(c.member), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(ParseFindingJson("[]").has_value());
  EXPECT_FALSE(ParseFindingJson("{").has_value());
}

TEST(FindingJsonTest, InvalidUtf8NeverThrows) {
  Finding f = SampleFindings().front();
  f.description = "bad \xff\xfe bytes";
  f.output_fields["x"] = "\xc3";
  std::string line;
  EXPECT_NO_THROW(line = EncodeFindingJson(f));
  EXPECT_NE(line.find("bad \xEF\xBF\xBD"), std::string::npos);
}

TEST(FindingJsonTest, OneLinePerFinding) {
  std::ostringstream out;
  std::vector<Finding> findings = SampleFindings();
  WriteFindingJsonLines(out, findings);
  const std::string text = out.str();
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), findings.size());
}

}  // namespace
}  // namespace vigil::findings
