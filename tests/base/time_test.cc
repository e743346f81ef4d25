#include "base/time.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(TimeTest, ParsesAuditTimestamps) {
  auto t = ParseRfc3339("2018-10-26T13:38:34.867116Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1540561114867116000LL);
  EXPECT_EQ(FormatRfc3339(*t), "2018-10-26T13:38:34.867116Z");
  EXPECT_EQ(FormatRfc3339(*t, 0), "2018-10-26T13:38:34Z");
  EXPECT_EQ(FormatRfc3339(*t, 3), "2018-10-26T13:38:34.867Z");
}

TEST(TimeTest, ParsesOffsetsAndNanoseconds) {
  EXPECT_EQ(*ParseRfc3339("2018-10-26T15:38:34+02:00"), *ParseRfc3339("2018-10-26T13:38:34Z"));
  EXPECT_EQ(*ParseRfc3339("2018-10-26T13:38:34-0130"), *ParseRfc3339("2018-10-26T15:08:34Z"));
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00.000000001Z"), 1);
}

TEST(TimeTest, RejectsMalformed) {
  for (const char* bad : {"", "2018-10-26", "2018-13-01T00:00:00Z", "2018-10-26T13:38:34",
                          "2018-10-26T13:38:34.Z", "2018-10-26T13:38:34Zjunk", "garbage-garbage-xx"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(TimeTest, ParsesDurations) {
  EXPECT_EQ(*ParseDurationSeconds("90"), 90);
  EXPECT_EQ(*ParseDurationSeconds("15m"), 900);
  EXPECT_EQ(*ParseDurationSeconds("24h"), 86400);
  EXPECT_EQ(*ParseDurationSeconds("7d"), 604800);
  EXPECT_FALSE(ParseDurationSeconds("7w"));
  EXPECT_FALSE(ParseDurationSeconds("-1s"));
  EXPECT_FALSE(ParseDurationSeconds("m"));
}

}  // namespace
}  // namespace vigil
