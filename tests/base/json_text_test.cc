#include "base/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace vigil {
namespace {

std::string Nlohmann(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Direct(std::string_view text) {
  std::string out = "prefix:";
  AppendJsonString(out, text);
  return out.substr(7);
}

TEST(JsonTextTest, EveryByteAloneIsWrittenAsNlohmannWritesIt) {
  for (int c = 0; c < 256; ++c) {
    const std::string text(1, static_cast<char>(c));
    EXPECT_EQ(Direct(text), Nlohmann(text)) << "byte " << c;
  }
}

TEST(JsonTextTest, EscapesAndUnicode) {
  const std::string text = "a\"b\\c\n\t\x01/\x7f é ☃ 😀 </script>";
  EXPECT_EQ(Direct(text), R"("a\"b\\c\n\t\u0001/)" "\x7f" R"( é ☃ 😀 </script>")");
  EXPECT_EQ(Direct(text), Nlohmann(text));
  EXPECT_EQ(Direct(""), "\"\"");
}

// The writer skips plain text 16 bytes at a time: every ASCII byte at every position of texts
// up to three blocks long, alone or after another escape.
TEST(JsonTextTest, EveryAsciiByteAtEveryPositionAgreesWithNlohmann) {
  for (std::size_t n = 1; n <= 40; ++n) {
    for (std::size_t at = 0; at < n; ++at) {
      for (int c = 0; c < 0x80; ++c) {
        std::string text(n, 'x');
        text[at] = static_cast<char>(c);
        ASSERT_EQ(Direct(text), Nlohmann(text)) << "length " << n << ", byte " << c << " at " << at;
        text[n - 1 - at] = '"';
        ASSERT_EQ(Direct(text), Nlohmann(text)) << "length " << n << ", byte " << c << " at " << at;
      }
    }
  }
}

TEST(JsonTextTest, RandomTextValidOrNotAgreesWithNlohmann) {
  std::mt19937 rng(7);
  const std::string alphabet[] = {"a", "\"", "\\", "\n", "\x1f", "é", "☃", "😀",
                                  "\xff", "\xc3", "\xe2\x98", "\xed\xa0\x80", "\xf4\x90\x80\x80"};
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) text += alphabet[rng() % std::size(alphabet)];
    ASSERT_EQ(Direct(text), Nlohmann(text)) << "case " << i;
  }
}

TEST(JsonTextTest, NumbersAsNlohmannWritesThem) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{200},
                         std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max()}) {
    std::string out;
    AppendJsonInt(out, v);
    EXPECT_EQ(out, Nlohmann(v));
  }
  std::string out;
  AppendJsonUint(out, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(out, Nlohmann(std::numeric_limits<std::uint64_t>::max()));
  for (double v : {0.0, 1.0, -2.5, 1e100, 0.1, std::nan(""), HUGE_VAL}) {
    out.clear();
    AppendJsonDouble(out, v);
    EXPECT_EQ(out, Nlohmann(v)) << v;
  }
}

}  // namespace
}  // namespace vigil
