#include "detect/dedup_window.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::detect {
namespace {

constexpr UnixNanos kSec = 1000000000LL;

TEST(DedupWindowTest, SkipsRepeatsOfTheSamePairOnly) {
  DedupWindow w(60, 1000);
  EXPECT_FALSE(w.SeenBefore("a", "ResponseComplete", 1 * kSec));
  EXPECT_TRUE(w.SeenBefore("a", "ResponseComplete", 2 * kSec));
  EXPECT_FALSE(w.SeenBefore("a", "ResponseStarted", 2 * kSec));  // another stage is another event
  EXPECT_FALSE(w.SeenBefore("b", "ResponseComplete", 2 * kSec));
}

TEST(DedupWindowTest, ForgetsPairsOlderThanTheWindow) {
  DedupWindow w(60, 1000);
  EXPECT_FALSE(w.SeenBefore("a", "ResponseComplete", 1 * kSec));
  EXPECT_FALSE(w.SeenBefore("b", "ResponseComplete", 30 * kSec));
  EXPECT_TRUE(w.SeenBefore("a", "ResponseComplete", 50 * kSec));  // within the window
  // Two windows later, both generations have aged out.
  EXPECT_FALSE(w.SeenBefore("c", "ResponseComplete", 200 * kSec));
  EXPECT_FALSE(w.SeenBefore("d", "ResponseComplete", 400 * kSec));
  EXPECT_FALSE(w.SeenBefore("a", "ResponseComplete", 401 * kSec));
  EXPECT_EQ(w.rotations_by_size(), 0u);
}

TEST(DedupWindowTest, StaysWithinItsCapacityAndRemembersTheLatestHalf) {
  DedupWindow w(3600, 100);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_FALSE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec));
    EXPECT_LE(w.size(), 100u);
  }
  EXPECT_GT(w.rotations_by_size(), 0u);
  // At least the most recent max_entries/2 pairs are still remembered.
  for (int i = 9950; i < 10000; ++i) {
    EXPECT_TRUE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec)) << i;
  }
  EXPECT_FALSE(w.SeenBefore("0", "ResponseComplete", kSec));
}

// The tables start small and double as they fill: a large cap with many pairs (far past the first
// table's 1,024 slots) still remembers every pair while under the cap, in either generation.
TEST(DedupWindowTest, GrowsAsItFillsAndForgetsNothingUnderTheCap) {
  DedupWindow w(3600, 1 << 16);
  for (int i = 0; i < 30000; ++i) {
    ASSERT_FALSE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec)) << i;
  }
  EXPECT_EQ(w.size(), 30000u);
  EXPECT_EQ(w.rotations_by_size(), 0u);
  for (int i = 0; i < 30000; ++i) {
    ASSERT_TRUE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec)) << i;
  }
  // Past half the cap the current generation rotates; both keep answering.
  for (int i = 30000; i < 40000; ++i) {
    ASSERT_FALSE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec)) << i;
  }
  EXPECT_EQ(w.rotations_by_size(), 1u);
  EXPECT_TRUE(w.SeenBefore("0", "ResponseComplete", kSec));
  EXPECT_TRUE(w.SeenBefore("39999", "ResponseComplete", kSec));
}

TEST(DedupWindowTest, EventsWithoutTimeAreBoundedByTheCapOnly) {
  DedupWindow w(1, 10);
  EXPECT_FALSE(w.SeenBefore("a", "ResponseComplete", 0));
  EXPECT_TRUE(w.SeenBefore("a", "ResponseComplete", 0));
}

}  // namespace
}  // namespace vigil::detect
