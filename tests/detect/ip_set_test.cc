#include "detect/ip_set.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace vigil::detect {
namespace {

TEST(IpSetTest, MatchesAddressesAndBlocksOfBothFamilies) {
  IpSet set;
  ASSERT_TRUE(set.Add("203.0.113.7", 0));
  ASSERT_TRUE(set.Add("198.51.100.0/24", 1));
  ASSERT_TRUE(set.Add("2001:db8::/32", 2));
  ASSERT_TRUE(set.Add("10.1.2.3/8", 3));  // host bits ignored
  EXPECT_EQ(set.Lookup("203.0.113.7"), 1u);
  EXPECT_EQ(set.Lookup("203.0.113.8"), 0u);
  EXPECT_EQ(set.Lookup("198.51.100.255"), 2u);
  EXPECT_EQ(set.Lookup("2001:db8:1::5"), 4u);
  EXPECT_EQ(set.Lookup("2001:db9::5"), 0u);
  EXPECT_EQ(set.Lookup("10.200.0.1"), 8u);
  EXPECT_EQ(set.Lookup("::ffff:203.0.113.7"), 1u);  // IPv4-mapped IPv6 is the same host
  EXPECT_EQ(set.Lookup("not-an-ip"), 0u);
}

TEST(IpSetTest, CombinesTagsOfOverlappingEntries) {
  IpSet set;
  ASSERT_TRUE(set.Add("0.0.0.0/0", 0));
  ASSERT_TRUE(set.Add("192.0.2.1", 5));
  EXPECT_EQ(set.Lookup("192.0.2.1"), (1u << 0) | (1u << 5));
  EXPECT_EQ(set.Lookup("192.0.2.2"), 1u);
  EXPECT_EQ(set.Lookup("::1"), 0u);  // an IPv4 /0 does not cover IPv6
}

TEST(IpSetTest, RejectsMalformedEntries) {
  IpSet set;
  for (const char* bad : {"", "1.2.3", "1.2.3.4/33", "::/129", "1.2.3.4/x", "300.1.1.1", "a::b::c"}) {
    auto st = set.Add(bad, 0);
    EXPECT_FALSE(st) << bad;
  }
  EXPECT_TRUE(set.empty());
}

TEST(IpSetTest, ManyEntriesStillMatchExactly) {
  IpSet set;
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(set.Add(fmt::format("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255), 0));
  }
  EXPECT_EQ(set.size(), 100000u);
  EXPECT_EQ(set.Lookup("10.1.134.159"), 1u);  // i = 99999
  EXPECT_EQ(set.Lookup("10.1.134.160"), 0u);
}

}  // namespace
}  // namespace vigil::detect
