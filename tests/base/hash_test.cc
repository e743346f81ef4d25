#include "base/hash.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(HashTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, StableUuidIsDeterministicAndShaped) {
  std::string a = StableUuid("rule|cluster|alice");
  EXPECT_EQ(a, StableUuid("rule|cluster|alice"));
  EXPECT_NE(a, StableUuid("rule|cluster|bob"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '5');  // version nibble
}

TEST(HashTest, FastHashDisperses) {
  EXPECT_NE(FastHash64("a"), FastHash64("b"));
  EXPECT_NE(FastHash64(""), FastHash64(std::string_view("\0", 1)));
  EXPECT_EQ(FastHash64("same"), FastHash64("same"));
}

}  // namespace
}  // namespace vigil
