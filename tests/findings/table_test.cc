#include "findings/encode/table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "findings/aggregator.h"
#include "findings/encode/text.h"
#include "findings/golden.h"
#include "findings/sample_observations.h"

namespace vigil::findings {
namespace {

using testing::ExpectGolden;
using testing::kSampleNow;
using testing::SampleObservations;

std::vector<Finding> SampleFindings() {
  FindingAggregator agg;
  for (const Observation& o : SampleObservations()) agg.Add(o, kSampleNow);
  return agg.TakeAll();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Render(const std::vector<Finding>& findings, TableOptions options = {}) {
  std::ostringstream out;
  WriteTable(out, findings, options);
  return out.str();
}

TEST(TableTest, MatchesGolden) { ExpectGolden("findings.table.txt", Render(SampleFindings())); }

TEST(TableTest, MatchesColorGolden) {
  ExpectGolden("findings.table.color.txt", Render(SampleFindings(), {.color = true}));
}

TEST(TableTest, SortedBySeverityThenCount) {
  std::vector<std::string> lines = Lines(Render(SampleFindings()));
  ASSERT_EQ(lines.size(), 8u);  // header, 6 rows, total
  EXPECT_TRUE(lines[0].starts_with("SEVERITY"));
  EXPECT_TRUE(lines[1].starts_with("HIGH "));
  EXPECT_NE(lines[1].find("WorkloadDeployed"), std::string::npos);           // HIGH, count 2
  EXPECT_NE(lines[2].find("AnonymousAccessGranted"), std::string::npos);     // HIGH, count 1
  EXPECT_NE(lines[3].find("SecretsReadByUnusualAgent"), std::string::npos);  // MEDIUM, 4
  EXPECT_NE(lines[4].find("SuccessfulAnonymousAccess"), std::string::npos);  // MEDIUM, 3
  EXPECT_TRUE(lines[6].starts_with("LOW "));
  EXPECT_EQ(lines[7], "6 findings: 2 HIGH, 3 MEDIUM, 1 LOW");
}

// The line with each multi-byte character replaced by '#', so byte offsets are columns.
std::string Columns(const std::string& line) {
  std::string out;
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u & 0xC0) == 0x80) continue;
    out += u >= 0x80 ? '#' : c;
  }
  return out;
}

TEST(TableTest, ColumnsAreAligned) {
  std::vector<Finding> findings = SampleFindings();
  findings[0].principal.username = std::string(60, 'u');  // capped with a multi-byte "…"
  std::vector<std::string> lines = Lines(Render(findings));
  for (std::string& line : lines) line = Columns(line);
  const size_t type_col = lines[0].find("TYPE");
  const size_t seen_col = lines[0].find("LAST SEEN");
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i][type_col - 1], ' ');
    EXPECT_NE(lines[i][type_col], ' ') << lines[i];
    EXPECT_EQ(lines[i].substr(seen_col, 4), "2024") << lines[i];
  }
}

TEST(TableTest, LongCellsAreCappedWithAnEllipsis) {
  std::vector<Finding> findings = SampleFindings();
  findings[0].principal.username = std::string(100, 'u');
  findings[0].type = "Custom:Kubernetes/" + std::string(100, 't');
  std::string text = Render(findings, {.max_type_width = 20, .max_principal_width = 10});
  EXPECT_NE(text.find(std::string(9, 'u') + std::string(kEllipsis)), std::string::npos);
  EXPECT_EQ(text.find(std::string(10, 'u')), std::string::npos);
  EXPECT_NE(text.find("Custom:Kubernetes/t" + std::string(kEllipsis)), std::string::npos);
}

TEST(TableTest, ControlCharactersFromEventsAreNeutralised) {
  std::vector<Finding> findings = SampleFindings();
  findings[0].principal.username = "evil\x1b[2J\nname";
  std::string text = Render(findings);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(Lines(text).size(), 8u);
}

TEST(TableTest, ColorOnlyWhenAsked) {
  EXPECT_EQ(Render(SampleFindings()).find('\x1b'), std::string::npos);
  EXPECT_NE(Render(SampleFindings(), {.color = true}).find("\x1b[31mHIGH"), std::string::npos);
}

TEST(TableTest, NoFindingsPrintsOnlyTheTotal) { EXPECT_EQ(Render({}), "0 findings\n"); }

TEST(TableTest, SummaryLine) {
  std::vector<Finding> findings(1);
  findings[0].severity = Severity::kCritical;
  EXPECT_EQ(SummaryLine(findings), "1 finding: 1 CRITICAL");
  findings.resize(3);
  EXPECT_EQ(SummaryLine(findings), "3 findings: 1 CRITICAL, 2 MEDIUM");
}

TEST(TableTest, Labels) {
  TargetResource r;
  r.ns = "kube-system";
  r.name = "coredns";
  EXPECT_EQ(ResourceLabel(r), "kube-system/coredns");
  r.name.clear();
  r.resource = "secrets";
  EXPECT_EQ(ResourceLabel(r), "kube-system/secrets/*");
  TargetResource non_resource;
  non_resource.request_uri = "/api";
  EXPECT_EQ(ResourceLabel(non_resource), "/api");
  Principal p;
  p.username = "carol";
  EXPECT_EQ(PrincipalLabel(p), "carol");
  p.impersonated_user = "system:admin";
  EXPECT_EQ(PrincipalLabel(p), "carol (as system:admin)");
}

}  // namespace
}  // namespace vigil::findings
