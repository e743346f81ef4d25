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
  EXPECT_FALSE(w.SeenBefore("a", "ResponseComplete", 0 * kSec + 1));
  EXPECT_FALSE(w.SeenBefore("b", "ResponseComplete", 120 * kSec));
  EXPECT_FALSE(w.SeenBefore("a", "ResponseComplete", 121 * kSec));  // evicted by age
  EXPECT_EQ(w.evicted_early(), 0u);
}

TEST(DedupWindowTest, StaysWithinItsCapacity) {
  DedupWindow w(3600, 100);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_FALSE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec));
    EXPECT_LE(w.size(), 100u);
  }
  EXPECT_EQ(w.evicted_early(), 9900u);
  // The most recent 100 are still remembered; every lookup after deletions stays correct.
  for (int i = 9900; i < 10000; ++i) {
    EXPECT_TRUE(w.SeenBefore(std::to_string(i), "ResponseComplete", kSec)) << i;
  }
  EXPECT_FALSE(w.SeenBefore("0", "ResponseComplete", kSec));
}

}  // namespace
}  // namespace vigil::detect
