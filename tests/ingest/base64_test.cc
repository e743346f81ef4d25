#include "ingest/base64.h"

#include <gtest/gtest.h>

#include <string>

#include "ingest_test_util.h"

namespace vigil::ingest::internal {
namespace {

std::string Decode(std::string_view text, std::string_view* err) {
  PaddedBuffer out;
  *err = Base64Decode(text, out);
  return std::string(out.data() == nullptr ? "" : std::string(out.data(), out.size()));
}

TEST(Base64Test, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    std::string_view err;
    EXPECT_EQ(Decode(testing::Base64(data), &err), data) << i;
    EXPECT_TRUE(err.empty()) << i;
    data += static_cast<char>(i * 37);
  }
}

TEST(Base64Test, AcceptsMissingPadding) {
  std::string_view err;
  EXPECT_EQ(Decode("aGk", &err), "hi");
  EXPECT_TRUE(err.empty());
  EXPECT_EQ(Decode("aA", &err), "h");
  EXPECT_TRUE(err.empty());
}

TEST(Base64Test, RejectsBadInput) {
  std::string_view err;
  for (std::string_view bad : {"a", "aGk*", "aG=k", "aGk===", "a===", "aGk=x", "ab\ncd"}) {
    Decode(bad, &err);
    EXPECT_FALSE(err.empty()) << bad;
  }
}

TEST(Base64Test, LooksLikeBase64) {
  EXPECT_TRUE(LooksLikeBase64("H4sIAAAA"));
  EXPECT_TRUE(LooksLikeBase64("eyJhIjoxfQ=="));
  EXPECT_FALSE(LooksLikeBase64("not base64"));
  EXPECT_FALSE(LooksLikeBase64("abc==="));
}

}  // namespace
}  // namespace vigil::ingest::internal
