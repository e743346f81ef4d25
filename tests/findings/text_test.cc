#include "findings/encode/text.h"

#include <gtest/gtest.h>

namespace vigil::findings {
namespace {

TEST(TextTest, ValidUtf8ReplacesBadSequences) {
  EXPECT_EQ(ValidUtf8("plain"), "plain");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");                                  // cut short
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ValidUtf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");                  // emoji
}

TEST(TextTest, TruncateKeepsShortTextAndMarksCuts) {
  EXPECT_EQ(TruncateUtf8("hello", 5), "hello");
  EXPECT_EQ(TruncateUtf8("hello world", 8), "hello\xE2\x80\xA6");
  EXPECT_EQ(TruncateUtf8("hello world", 8).size(), 8u);
  EXPECT_EQ(TruncateUtf8("hello world", 5, ""), "hello");
  EXPECT_EQ(TruncateUtf8("hello", 2), "he");  // no room for an ellipsis
}

TEST(TextTest, TruncateNeverSplitsACharacter) {
  const std::string text = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";  // éééé, 8 bytes
  for (size_t max = 0; max <= 9; ++max) {
    const std::string cut = TruncateUtf8(text, max);
    EXPECT_LE(cut.size(), max);
    EXPECT_EQ(ValidUtf8(cut), cut) << max;
  }
}

TEST(TextTest, WidthCountsCharactersNotBytes) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("\xC3\xA9t\xC3\xA9"), 3u);
  EXPECT_EQ(FitWidth("abcdef", 6), "abcdef");
  EXPECT_EQ(FitWidth("abcdefg", 6), "abcde\xE2\x80\xA6");
  EXPECT_EQ(DisplayWidth(FitWidth("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3)), 3u);
  EXPECT_EQ(FitWidth("abc", 0), "");
}

TEST(TextTest, HasNonSpace) {
  EXPECT_FALSE(HasNonSpace(""));
  EXPECT_FALSE(HasNonSpace(" \t\r\n"));
  EXPECT_TRUE(HasNonSpace(" x "));
}

}  // namespace
}  // namespace vigil::findings
