#include "detect/threat_intel.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace vigil::detect {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("vigil_intel_" + name);
  std::ofstream(path) << content;
  return path.string();
}

TEST(ThreatIntelTest, LoadsPlainTorAndCsvFormats) {
  ThreatIntel intel;
  ASSERT_TRUE(intel.LoadList("bad", WriteTemp("plain", "# comment\n203.0.113.0/24\n\n198.51.100.9 # x\n")));
  ASSERT_TRUE(intel.LoadList("tor", WriteTemp("tor", "@type tordnsel 1.0\nExitNode ABC\n"
                                                     "Published 2024-01-01 00:00:00\n"
                                                     "LastStatus 2024-01-01 01:00:00\n"
                                                     "ExitAddress 192.0.2.44 2024-01-01 01:02:03\n")));
  ASSERT_TRUE(intel.LoadList("csv", WriteTemp("csv", "ip,label\n2001:db8::1,scanner\n\"192.0.2.50\",c2\n")));
  EXPECT_EQ(intel.list_names(), (std::vector<std::string>{"bad", "tor", "csv"}));
  EXPECT_EQ(intel.entry_count(), 5u);

  simdjson::dom::parser parser;
  auto ips = parser.parse(std::string(R"(["192.0.2.44","10.0.0.1","203.0.113.5"])")).value();
  std::vector<rules::ThreatMatch> matches;
  intel.Match(ips, matches);
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0].list, "tor");
  EXPECT_EQ(matches[0].ip, "192.0.2.44");
  EXPECT_FALSE(matches[0].verified);  // a header entry the client could have forged
  EXPECT_EQ(matches[1].list, "bad");
  EXPECT_TRUE(matches[1].verified);   // the connection's own address
}

TEST(ThreatIntelTest, ReportsEveryBadLineWithItsPosition) {
  ThreatIntel intel;
  std::string path = WriteTemp("badlines", "1.2.3.4\nnot-an-ip\n5.6.7.8/40\n");
  auto st = intel.LoadList("x", path);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConfig);
  EXPECT_NE(st.error().message.find(path + ":2"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find(path + ":3"), std::string::npos) << st.error().message;
  EXPECT_FALSE(intel.has_lists());  // nothing half-loaded
  EXPECT_EQ(intel.LoadList("y", "/nonexistent/file").error().code, ErrorCode::kIo);
}

TEST(ThreatIntelTest, CallerSkipsTrustedProxies) {
  ThreatIntel intel;
  simdjson::dom::parser parser;
  auto ips = parser.parse(std::string(R"(["198.51.100.1","10.0.0.5","10.0.0.9"])")).value();
  EXPECT_EQ(intel.CallerIp(ips), "10.0.0.9");  // no proxies trusted: the verified address
  ASSERT_TRUE(intel.AddTrustedProxy("10.0.0.0/24"));
  EXPECT_EQ(intel.CallerIp(ips), "198.51.100.1");
}

TEST(ThreatIntelTest, CsvLabelsFollowTheMostSpecificMatchedEntry) {
  ThreatIntel intel;
  ASSERT_TRUE(intel.LoadList("bad", WriteTemp("labels", "ip,label,source\n"
                                                        "203.0.113.0/24,hosting-range,feed-a\n"
                                                        "203.0.113.66, \"c2 server\" ,feed-b\n"
                                                        "2001:db8::/32,v6-scanner\n"
                                                        "198.51.100.1\n"
                                                        "192.0.2.1,evil\x1b[0m\n")));
  ASSERT_TRUE(intel.LoadList("other", WriteTemp("labels2", "203.0.113.66,other-label\n")));
  EXPECT_EQ(intel.label_count(), 5u);
  simdjson::dom::parser parser;
  auto ips = parser.parse(std::string(
      R"(["203.0.113.66","203.0.113.5","2001:db8::9","198.51.100.1","192.0.2.1"])")).value();
  std::vector<rules::ThreatMatch> matches;
  intel.Match(ips, matches);
  std::vector<std::string> got;
  for (const auto& m : matches) {
    got.push_back(std::string(m.list) + ":" + std::string(m.ip) + "=" + std::string(m.label));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "bad:203.0.113.66=c2 server",       // the /32 wins over the /24
                     "other:203.0.113.66=other-label",  // each list its own label
                     "bad:203.0.113.5=hosting-range",
                     "bad:2001:db8::9=v6-scanner",
                     "bad:198.51.100.1=",               // no label
                     "bad:192.0.2.1=evil [0m",          // control characters replaced
                 }));
  // Entries added one by one carry labels the same way.
  ThreatIntel inline_intel;
  ASSERT_TRUE(inline_intel.AddEntry("x", "10.0.0.0/8", "internal"));
  auto one = parser.parse(std::string(R"(["10.1.2.3"])")).value();
  inline_intel.Match(one, matches);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].label, "internal");
}

}  // namespace
}  // namespace vigil::detect
