#include "server/auth.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

TEST(TokenSetTest, ApiTokensHaveRolesAndNames) {
  auto set = TokenSet::ParseApiTokens("# comment\n\nr0 read alice\na1 admin\n", "api.tokens");
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  EXPECT_EQ(set->size(), 2u);
  const TokenEntry* r = set->Find("r0");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->role, Role::kRead);
  EXPECT_EQ(r->name, "alice");
  const TokenEntry* a = set->Find("a1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->role, Role::kAdmin);
  EXPECT_EQ(a->name, "token@4");
  EXPECT_EQ(set->Find("r"), nullptr);
  EXPECT_EQ(set->Find(""), nullptr);
}

TEST(TokenSetTest, ErrorsNameTheLineNeverTheToken) {
  auto set = TokenSet::ParseApiTokens("good read\ns3cr3t-value superuser\n", "api.tokens");
  ASSERT_FALSE(set.has_value());
  EXPECT_NE(set.error().ToString().find("api.tokens:2"), std::string::npos);
  EXPECT_EQ(set.error().ToString().find("s3cr3t"), std::string::npos);
  EXPECT_FALSE(TokenSet::ParseApiTokens("# only a comment\n", "x").has_value());
}

TEST(TokenSetTest, WebhookTokensNameTheirCluster) {
  auto set = TokenSet::ParseWebhookTokens("t1 prod-eu\nt2\n", "hook");
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->Find("t1")->name, "prod-eu");
  EXPECT_EQ(set->Find("t2")->name, "");
  EXPECT_FALSE(TokenSet::ParseWebhookTokens("t1 bad/cluster\n", "hook").has_value());
  EXPECT_FALSE(TokenSet::ParseWebhookTokens("t1 a b\n", "hook").has_value());
}

TEST(BearerTokenTest, ParsesTheHeader) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer  abc "), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(BearerToken(""), std::nullopt);
}

TEST(ClusterNameTest, AcceptsOnlySafeNames) {
  EXPECT_TRUE(IsValidClusterName("prod-eu.1_a"));
  EXPECT_FALSE(IsValidClusterName(""));
  EXPECT_FALSE(IsValidClusterName("a b"));
  EXPECT_FALSE(IsValidClusterName("a\"b"));
  EXPECT_FALSE(IsValidClusterName(std::string(64, 'a')));
}

}  // namespace
}  // namespace vigil::server
