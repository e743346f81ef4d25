#include "findings/encode/asff.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "base/time.h"
#include "findings/aggregator.h"
#include "findings/encode/text.h"
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

size_t Utf8Length(const std::string& s) { return DisplayWidth(s); }

// Checks one ASFF object against what BatchImportFindings accepts (reference §3a). Returns the
// problems found, empty when valid.
std::vector<std::string> AsffProblems(const ojson& j) {
  std::vector<std::string> problems;
  auto fail = [&](const std::string& what) { problems.push_back(what); };
  auto str = [&](const ojson& parent, const char* key, size_t min, size_t max) -> std::string {
    if (!parent.contains(key) || !parent[key].is_string()) {
      fail(std::string(key) + " missing or not a string");
      return {};
    }
    std::string v = parent[key].get<std::string>();
    if (ValidUtf8(v) != v) fail(std::string(key) + " is not valid UTF-8");
    if (Utf8Length(v) < min || Utf8Length(v) > max) {
      fail(std::string(key) + " length " + std::to_string(Utf8Length(v)) + " outside [" +
           std::to_string(min) + "," + std::to_string(max) + "]");
    }
    if (min > 0 && !HasNonSpace(v)) fail(std::string(key) + " is blank");
    return v;
  };
  auto check_map = [&](const ojson& m, const char* name, size_t pairs, size_t key_max,
                       size_t value_max) {
    if (!m.is_object()) return fail(std::string(name) + " is not an object");
    if (m.size() > pairs) fail(std::string(name) + " has " + std::to_string(m.size()) + " pairs");
    for (const auto& [k, v] : m.items()) {
      if (Utf8Length(k) > key_max || !HasNonSpace(k)) fail(std::string(name) + " key " + k);
      if (!v.is_string()) {
        fail(std::string(name) + " value not a string: " + k);
        continue;
      }
      const std::string s = v.get<std::string>();
      if (Utf8Length(s) > value_max || !HasNonSpace(s) || ValidUtf8(s) != s) {
        fail(std::string(name) + " value of " + k);
      }
    }
  };
  auto time = [&](const ojson& parent, const char* key) -> std::optional<UnixNanos> {
    std::string v = str(parent, key, 1, 64);
    auto t = ParseRfc3339(v);
    if (!t) fail(std::string(key) + " is not RFC 3339: " + v);
    return t;
  };

  if (j.value("SchemaVersion", "") != "2018-10-08") fail("SchemaVersion");
  str(j, "Id", 1, 512);
  const std::string arn = str(j, "ProductArn", 12, 2048);
  static const std::regex kProductArn(
      R"(arn:aws(-cn|-us-gov)?:securityhub:[a-z0-9-]+:(\d{12}):product/(\d{12})/default)");
  std::smatch m;
  if (!std::regex_match(arn, m, kProductArn) || m[2] != m[3]) fail("ProductArn " + arn);
  str(j, "GeneratorId", 1, 512);
  const std::string account = str(j, "AwsAccountId", 12, 12);
  if (!std::all_of(account.begin(), account.end(), ::isdigit)) fail("AwsAccountId digits");
  if (m.size() > 2 && m[2] != account) fail("ProductArn account differs from AwsAccountId");

  static const std::set<std::string> kNamespaces = {"Software and Configuration Checks", "TTPs",
                                                    "Effects", "Unusual Behaviors",
                                                    "Sensitive Data Identifications"};
  auto check_types = [&](const ojson& types) {
    if (!types.is_array() || types.empty() || types.size() > 50) return fail("Types count");
    for (const auto& t : types) {
      const std::string s = t.get<std::string>();
      if (!kNamespaces.count(s.substr(0, s.find('/')))) fail("Types namespace: " + s);
      if (Utf8Length(s) > 256) fail("Types length");
    }
  };
  check_types(j["Types"]);
  if (!j.contains("FindingProviderFields")) {
    fail("FindingProviderFields");
  } else {
    check_types(j["FindingProviderFields"]["Types"]);
    if (j["FindingProviderFields"]["Types"] != j["Types"]) fail("FindingProviderFields.Types");
  }
  auto created = time(j, "CreatedAt");
  auto updated = time(j, "UpdatedAt");
  if (created && updated && *created > *updated) fail("CreatedAt after UpdatedAt");
  if (j.contains("FirstObservedAt")) time(j, "FirstObservedAt");
  if (j.contains("LastObservedAt")) time(j, "LastObservedAt");

  const ojson& severity = j["Severity"];
  const std::string label = str(severity, "Label", 1, 16);
  auto parsed = ParseSeverity(label);
  if (!parsed) {
    fail("Severity.Label " + label);
  } else if (severity["Normalized"] != NormalizedSeverity(*parsed)) {
    fail("Severity.Normalized");
  }
  str(j, "Title", 1, 256);
  str(j, "Description", 1, 1024);

  if (!j["Resources"].is_array() || j["Resources"].empty() || j["Resources"].size() > 32) {
    fail("Resources count");
  } else {
    for (const auto& r : j["Resources"]) {
      str(r, "Type", 1, 256);
      str(r, "Id", 1, 512);
      if (r.contains("Details") && r["Details"].contains("Other")) {
        check_map(r["Details"]["Other"], "Details.Other", 50, 127, 1023);
      }
    }
  }
  if (j.contains("ProductFields")) {
    check_map(j["ProductFields"], "ProductFields", 50, 128, 2048);
    for (const auto& [k, v] : j["ProductFields"].items()) {
      if (k.starts_with("aws/")) fail("ProductFields uses the reserved aws/ prefix");
    }
  }
  if (j.contains("Remediation")) {
    const ojson& rec = j["Remediation"]["Recommendation"];
    if (rec.contains("Text")) str(rec, "Text", 1, 512);
    if (rec.contains("Url")) str(rec, "Url", 1, 2048);
  }
  const std::string workflow = j["Workflow"].value("Status", "");
  if (!ParseWorkflowStatus(workflow)) fail("Workflow.Status " + workflow);
  if (j.value("RecordState", "") != "ACTIVE") fail("RecordState");
  if (j.dump().size() >= 240 * 1024) fail("larger than 240 KB");
  return problems;
}

// A finding with every field as long and as full as it can get.
Finding MaximalFinding() {
  Finding f = SampleFindings()[1];
  const std::string huge(5000, 'x');
  const std::string accents = [] {
    std::string s;
    for (int i = 0; i < 3000; ++i) s += "\xC3\xA9";  // é, two bytes each
    return s;
  }();
  f.cluster = std::string(600, 'c');
  f.rule = std::string(700, 'r');
  f.title = accents;
  f.description = accents;
  f.priority = huge;
  f.type = "Custom:Kubernetes/" + huge;
  f.remediation = {accents, "https://example.com/" + huge};
  f.principal.username = huge;
  f.principal.groups = std::vector<std::string>(100, "group");
  f.resource.name = huge;
  f.resource.request_uri = huge;
  f.user_agent = huge;
  f.audit_ids.clear();
  for (int i = 0; i < 20; ++i) f.audit_ids.push_back(std::string(300, static_cast<char>('a' + i)));
  f.audit_ids_truncated = true;
  for (int i = 0; i < 200; ++i) {
    f.output_fields["field." + std::to_string(i) + std::string(200, 'k')] = huge;
    f.context["ctx." + std::to_string(i)] = huge;
  }
  f.source_ips.assign(16, std::string(200, '1'));
  f.mitre.assign(40, MitreRef{"Credential Access", "T1552.007", huge});
  f.tags.assign(100, "tag");
  return f;
}

TEST(AsffTest, MatchesGolden) {
  std::ostringstream out;
  WriteAsffLines(out, SampleFindings());
  ExpectGolden("findings.asff.jsonl", out.str());
}

TEST(AsffTest, SampleFindingsAreValid) {
  for (const Finding& f : SampleFindings()) {
    EXPECT_EQ(AsffProblems(FindingToAsff(f)), std::vector<std::string>{}) << f.type;
  }
}

TEST(AsffTest, EmptyFindingIsStillValid) {
  EXPECT_EQ(AsffProblems(FindingToAsff(Finding{})), std::vector<std::string>{});
  Finding blank;
  blank.title = "   ";
  blank.description = "\n";
  blank.rule = " ";
  ojson j = FindingToAsff(blank);
  EXPECT_EQ(AsffProblems(j), std::vector<std::string>{});
  EXPECT_EQ(j["Title"], "vigil finding");
  EXPECT_EQ(j["GeneratorId"], "vigil");
}

TEST(AsffTest, MaximalFindingIsTruncatedToEveryLimit) {
  const Finding f = MaximalFinding();
  const ojson j = FindingToAsff(f);
  EXPECT_EQ(AsffProblems(j), std::vector<std::string>{});
  // Truncated text says so.
  EXPECT_TRUE(j["Title"].get<std::string>().ends_with(kEllipsis));
  EXPECT_TRUE(j["Description"].get<std::string>().ends_with(kEllipsis));
  EXPECT_TRUE(j["Remediation"]["Recommendation"]["Text"].get<std::string>().ends_with(kEllipsis));
  // An over-long URL is dropped rather than cut into a wrong link.
  EXPECT_FALSE(j["Remediation"]["Recommendation"].contains("Url"));
  // The Id keeps the whole finding id; the cluster part gives way.
  EXPECT_TRUE(j["Id"].get<std::string>().ends_with("/" + f.id));
  EXPECT_EQ(j["Id"].get<std::string>().size(), asff::kMaxId);
  EXPECT_EQ(j["GeneratorId"].get<std::string>().size(), asff::kMaxGeneratorId);
  // The pair budget is used up, and the last pair says how many were left out.
  EXPECT_EQ(j["ProductFields"].size(), asff::kMaxProductFields);
  EXPECT_TRUE(j["ProductFields"].contains("vigil/FieldsOmitted"));
  EXPECT_TRUE(j["ProductFields"].contains("vigil/FindingType"));
  EXPECT_TRUE(j["ProductFields"].contains("vigil/AuditIDs"));
}

TEST(AsffTest, TitleAndDescriptionLimitsAreExact) {
  Finding f = SampleFindings()[0];
  f.title = std::string(asff::kMaxTitle, 't');
  f.description = std::string(asff::kMaxDescription, 'd');
  ojson j = FindingToAsff(f);
  EXPECT_EQ(j["Title"], f.title);  // exactly at the limit: untouched
  EXPECT_EQ(j["Description"], f.description);
  f.title += "t";
  f.description += "d";
  j = FindingToAsff(f);
  EXPECT_EQ(j["Title"].get<std::string>().size(), asff::kMaxTitle);
  EXPECT_EQ(j["Description"].get<std::string>().size(), asff::kMaxDescription);
  EXPECT_TRUE(j["Description"].get<std::string>().ends_with(kEllipsis));
}

TEST(AsffTest, EmptyDescriptionFallsBackToTitle) {
  Finding f = SampleFindings()[0];
  f.description.clear();
  EXPECT_EQ(FindingToAsff(f)["Description"], f.title);
}

TEST(AsffTest, AuditIdsAreCommaSeparatedAndTruncatedWithAnIndication) {
  Finding f = SampleFindings()[0];
  ojson j = FindingToAsff(f);
  EXPECT_EQ(j["ProductFields"]["vigil/AuditIDs"],
            "5f0c1d2e-0001-4000-8000-000000000001,5f0c1d2e-0002-4000-8000-000000000002,"
            "5f0c1d2e-0009-4000-8000-000000000009");
  EXPECT_EQ(j["ProductFields"]["vigil/AuditIDsTruncated"], "false");

  f.audit_ids_truncated = true;  // more events than audit_ids holds
  j = FindingToAsff(f);
  EXPECT_TRUE(j["ProductFields"]["vigil/AuditIDs"].get<std::string>().ends_with(",\xE2\x80\xA6"));

  f.audit_ids.assign(20, std::string(150, 'a'));  // 20 × 151 bytes > 2048
  for (size_t i = 0; i < f.audit_ids.size(); ++i) f.audit_ids[i][0] = static_cast<char>('a' + i);
  j = FindingToAsff(f);
  const std::string ids = j["ProductFields"]["vigil/AuditIDs"];
  EXPECT_LE(ids.size(), asff::kMaxProductFieldValue);
  EXPECT_NE(ids.find("more)"), std::string::npos) << ids;
  EXPECT_EQ(ids.find(f.audit_ids[0]), 0u);  // whole ids, earliest first
}

TEST(AsffTest, RequiredProductFields) {
  for (const Finding& f : SampleFindings()) {
    const ojson fields = FindingToAsff(f)["ProductFields"];
    for (const char* key : {"vigil/FindingType", "vigil/AuditIDs", "vigil/Count", "vigil/Rule",
                            "vigil/Principal", "vigil/SourceIPs"}) {
      EXPECT_TRUE(fields.contains(key)) << key;
    }
    EXPECT_EQ(fields["vigil/FindingType"], f.type);
    EXPECT_EQ(fields["vigil/Count"], std::to_string(f.count));
  }
}

TEST(AsffTest, AccountDefaultsToZerosWhenUnknownOrInvalid) {
  Finding f = SampleFindings()[0];
  for (const char* bad : {"", "12345", "1111222233334", "11112222333a"}) {
    f.account = bad;
    ojson j = FindingToAsff(f);
    EXPECT_EQ(j["AwsAccountId"], "000000000000") << bad;
    EXPECT_EQ(j["ProductArn"],
              "arn:aws:securityhub:us-east-2:000000000000:product/000000000000/default");
    EXPECT_EQ(j["Resources"][0]["Type"], "Other");
    if (*bad != '\0') {
      EXPECT_EQ(j["ProductFields"]["vigil/Account"], bad);
    }
  }
}

TEST(AsffTest, ProductArnPartitionFollowsTheRegion) {
  Finding f = SampleFindings()[0];
  f.region = "cn-north-1";
  EXPECT_EQ(FindingToAsff(f)["ProductArn"],
            "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default");
  f.region = "us-gov-west-1";
  EXPECT_EQ(FindingToAsff(f)["Resources"][0]["Id"],
            "arn:aws-us-gov:eks:us-gov-west-1:111122223333:cluster/prod-eks");
  f.region = "";
  EXPECT_EQ(FindingToAsff(f)["ProductArn"],
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default");
  f.region = "Not A Region";
  EXPECT_EQ(AsffProblems(FindingToAsff(f)), std::vector<std::string>{});
  AsffOptions options;
  options.default_region = "eu-west-1";
  f.region = "";
  EXPECT_EQ(FindingToAsff(f, options)["Resources"][0]["Region"], "eu-west-1");
}

TEST(AsffTest, ResourceIsTheEksClusterWhenAccountAndRegionAreKnown) {
  Finding f = SampleFindings()[0];
  ojson r = FindingToAsff(f)["Resources"][0];
  EXPECT_EQ(r["Type"], "AwsEksCluster");
  EXPECT_EQ(r["Id"], "arn:aws:eks:us-east-2:111122223333:cluster/prod-eks");
  EXPECT_EQ(r["Details"]["AwsEksCluster"]["Name"], "prod-eks");
  EXPECT_EQ(r["Details"]["Other"]["Username"], "system:anonymous");

  f.region.clear();
  r = FindingToAsff(f)["Resources"][0];
  EXPECT_EQ(r["Type"], "Other");
  EXPECT_EQ(r["Id"], "prod-eks");
  EXPECT_FALSE(r["Details"].contains("AwsEksCluster"));

  f.cluster.clear();
  EXPECT_EQ(FindingToAsff(f)["Resources"][0]["Id"], "unknown");
  EXPECT_EQ(FindingToAsff(f)["Id"], "vigil/unknown/" + f.id);
}

TEST(AsffTest, IdAndTimestamps) {
  Finding f = SampleFindings()[0];
  ojson j = FindingToAsff(f);
  EXPECT_EQ(j["Id"], "vigil/prod-eks/" + f.id);
  EXPECT_EQ(j["GeneratorId"], f.rule);
  EXPECT_EQ(j["CreatedAt"], "2024-05-01T12:20:00.000Z");
  EXPECT_EQ(j["UpdatedAt"], j["CreatedAt"]);  // equal on creation
  EXPECT_EQ(j["FirstObservedAt"], "2024-05-01T12:00:01.123Z");
  EXPECT_EQ(j["LastObservedAt"], "2024-05-01T12:10:00.000Z");
  f.updated_at = f.created_at + 5'000'000'000;
  EXPECT_EQ(FindingToAsff(f)["UpdatedAt"], "2024-05-01T12:20:05.000Z");
  f.updated_at = f.created_at - 1;  // never earlier than CreatedAt
  EXPECT_EQ(FindingToAsff(f)["UpdatedAt"], "2024-05-01T12:20:00.000Z");
}

TEST(AsffTest, SeverityCarriesLabelNormalizedAndOriginal) {
  Finding f = SampleFindings()[0];
  ojson s = FindingToAsff(f)["Severity"];
  EXPECT_EQ(s, (ojson{{"Label", "MEDIUM"}, {"Normalized", 40}, {"Original", "WARNING"}}));
  f.priority.clear();
  f.severity = Severity::kCritical;
  s = FindingToAsff(f)["Severity"];
  EXPECT_EQ(s, (ojson{{"Label", "CRITICAL"}, {"Normalized", 90}, {"Original", "CRITICAL"}}));
  EXPECT_EQ(FindingToAsff(f)["FindingProviderFields"]["Severity"]["Label"], "CRITICAL");
}

TEST(AsffTest, WorkflowAndRecordState) {
  Finding f = SampleFindings()[0];
  f.workflow = WorkflowStatus::kSuppressed;
  ojson j = FindingToAsff(f);
  EXPECT_EQ(j["Workflow"]["Status"], "SUPPRESSED");
  EXPECT_EQ(j["RecordState"], "ACTIVE");
}

TEST(AsffTest, TypesFollowGuardDutysMapping) {
  struct Case {
    const char* type;
    const char* tactic;  // first MITRE tactic, if any
    const char* expected;
  };
  const Case cases[] = {
      {"CredentialAccess:Kubernetes/MaliciousIPCaller", "",
       "TTPs/CredentialAccess/CredentialAccess:Kubernetes-MaliciousIPCaller"},
      {"Discovery:Kubernetes/MaliciousIPCaller.Custom", "",
       "TTPs/Discovery/Discovery:Kubernetes-MaliciousIPCaller.Custom"},
      {"Persistence:Kubernetes/SuccessfulAnonymousAccess", "",
       "TTPs/Persistence/Persistence:Kubernetes-SuccessfulAnonymousAccess"},
      {"Impact:Kubernetes/TorIPCaller", "", "TTPs/Impact/Impact:Kubernetes-TorIPCaller"},
      {"DefenseEvasion:Kubernetes/TorIPCaller", "",
       "TTPs/DefenseEvasion/DefenseEvasion:Kubernetes-TorIPCaller"},
      {"CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed", "",
       "TTPs/AnomalousBehavior/CredentialAccess:Kubernetes-SecretsAccessed"},
      {"PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated", "",
       "TTPs/AnomalousBehavior/PrivilegeEscalation:Kubernetes-RoleBindingCreated"},
      {"PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer", "",
       "TTPs/AnomalousBehavior/PrivilegeEscalation:Kubernetes-WorkloadDeployed!"
       "PrivilegedContainer"},
      {"Discovery:Kubernetes/AnomalousBehavior.PermissionChecked", "",
       "TTPs/AnomalousBehavior/Discovery:Kubernetes-PermissionChecked"},
      {"Policy:Kubernetes/AdminAccessToDefaultServiceAccount", "",
       "Software and Configuration Checks/AWS Security Best Practices/"
       "Policy:Kubernetes-AdminAccessToDefaultServiceAccount"},
      {"Policy:Kubernetes/ExposedDashboard", "",
       "Software and Configuration Checks/AWS Security Best Practices/"
       "Policy:Kubernetes-ExposedDashboard"},
      {"PrivilegeEscalation:Kubernetes/PrivilegedContainer", "",
       "TTPs/PrivilegeEscalation/PrivilegeEscalation:Kubernetes-PrivilegedContainer"},
      {"Execution:Kubernetes/ExecInKubeSystemPod", "Execution",
       "TTPs/Execution/Execution:Kubernetes-ExecInKubeSystemPod"},
      {"AttackSequence:EKS/CompromisedCluster", "", "TTPs/AttackSequence:EKS/CompromisedCluster"},
      {"Custom:Kubernetes/MyRule", "privilege_escalation", "TTPs/Privilege Escalation"},
      {"Custom:Kubernetes/MyRule", "TA0006", "TTPs/Credential Access"},
      {"Custom:Kubernetes/MyRule", "Sneaky/Stuff", "TTPs/Sneaky-Stuff"},
      {"Custom:Kubernetes/MyRule", "", "Unusual Behaviors/Application/Kubernetes Audit"},
      {"", "", "Unusual Behaviors/Application/Kubernetes Audit"},
      {"Backdoor:EC2/Whatever", "", "Unusual Behaviors/Application/Kubernetes Audit"},
  };
  for (const Case& c : cases) {
    Finding f;
    f.type = c.type;
    if (*c.tactic != '\0') f.mitre = {{c.tactic, "T0000", "x"}};
    EXPECT_EQ(AsffTypes(f), std::vector<std::string>{c.expected}) << c.type << " / " << c.tactic;
  }
}

TEST(AsffTest, ProductFieldKeysAreCappedAndNeverCollide) {
  Finding f = SampleFindings()[0];
  f.output_fields.clear();
  f.output_fields[std::string(300, 'k') + "1"] = "one";
  f.output_fields[std::string(300, 'k') + "2"] = "two";  // same first 128 bytes as the first
  ojson fields = FindingToAsff(f)["ProductFields"];
  size_t long_keys = 0;
  for (const auto& [k, v] : fields.items()) {
    EXPECT_LE(k.size(), asff::kMaxProductFieldKey);
    if (k.starts_with("vigil/output/kkk")) ++long_keys;
  }
  EXPECT_EQ(long_keys, 1u);
  EXPECT_EQ(fields["vigil/FieldsOmitted"], "1");
}

TEST(AsffTest, EmptyValuesAreLeftOut) {
  Finding f = SampleFindings()[0];
  f.output_fields = {{"empty", ""}, {"spaces", "  "}, {"ok", "v"}};
  ojson fields = FindingToAsff(f)["ProductFields"];
  EXPECT_FALSE(fields.contains("vigil/output/empty"));
  EXPECT_FALSE(fields.contains("vigil/output/spaces"));
  EXPECT_EQ(fields["vigil/output/ok"], "v");
  EXPECT_EQ(AsffProblems(FindingToAsff(f)), std::vector<std::string>{});
}

TEST(AsffTest, DetailsOtherLimits) {
  Finding f = SampleFindings()[0];
  f.resource.name = std::string(2000, 'n');
  f.principal.groups.assign(500, "system:authenticated");
  ojson other = FindingToAsff(f)["Resources"][0]["Details"]["Other"];
  EXPECT_EQ(other["Name"].get<std::string>().size(), asff::kMaxOtherDetailValue);
  EXPECT_LE(other["Groups"].get<std::string>().size(), asff::kMaxOtherDetailValue);
  EXPECT_LE(other.size(), asff::kMaxOtherDetails);
}

TEST(AsffTest, InvalidUtf8IsRepairedBeforeMeasuring) {
  Finding f = SampleFindings()[0];
  f.title = std::string(300, '\xff');  // each bad byte becomes a 3-byte U+FFFD
  f.description = std::string(2000, '\xfe');
  ojson j;
  ASSERT_NO_THROW(j = FindingToAsff(f));
  EXPECT_EQ(AsffProblems(j), std::vector<std::string>{});
  EXPECT_NO_THROW(EncodeAsff(f));
}

TEST(AsffTest, OneObjectPerLine) {
  std::ostringstream out;
  std::vector<Finding> findings = SampleFindings();
  WriteAsffLines(out, findings);
  std::istringstream in(out.str());
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ojson j = ojson::parse(line);
    EXPECT_EQ(AsffProblems(j), std::vector<std::string>{});
    ++n;
  }
  EXPECT_EQ(n, findings.size());
}

TEST(AsffTest, IsAwsAccountId) {
  EXPECT_TRUE(IsAwsAccountId("111122223333"));
  EXPECT_FALSE(IsAwsAccountId("11112222333"));
  EXPECT_FALSE(IsAwsAccountId("11112222333x"));
  EXPECT_FALSE(IsAwsAccountId(""));
}

TEST(AsffTest, CallerGeoGoesToRemoteIpDetailsAndNetwork) {
  Finding f = SampleFindings()[1];
  EXPECT_FALSE(FindingToAsff(f).contains("Action"));  // no GeoIP data: no Action, no Network
  f.context["caller_ip"] = "203.0.113.7";
  f.context["caller_country"] = "DE";
  f.context["caller_asn"] = "64500";
  f.context["caller_as_org"] = "Example Hosting GmbH";
  ojson j = FindingToAsff(f);
  EXPECT_EQ(AsffProblems(j), std::vector<std::string>{});
  EXPECT_EQ(j["Action"]["ActionType"], "AWS_API_CALL");
  EXPECT_EQ(j["Action"]["AwsApiCallAction"]["RemoteIpDetails"],
            (ojson{{"IpAddressV4", "203.0.113.7"},
                   {"Country", {{"CountryCode", "DE"}}},
                   {"Organization", {{"Asn", 64500}, {"AsnOrg", "Example Hosting GmbH"}}}}));
  EXPECT_EQ(j["Network"], (ojson{{"Direction", "IN"}, {"SourceIpV4", "203.0.113.7"}}));
  // IPv6 caller, country only: no IpAddressV4 (ASFF has none for v6), SourceIpV6.
  f.context = {{"caller_ip", "2001:db8:1::7"}, {"caller_country", "FR"}, {"caller_asn", "x"}};
  j = FindingToAsff(f);
  EXPECT_EQ(j["Action"]["AwsApiCallAction"]["RemoteIpDetails"],
            (ojson{{"Country", {{"CountryCode", "FR"}}}}));
  EXPECT_EQ(j["Network"]["SourceIpV6"], "2001:db8:1::7");
}

}  // namespace
}  // namespace vigil::findings
