#include "base/result.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

Result<int> Half(int v) {
  if (v % 2) return MakeError(ErrorCode::kInvalidArgument, "odd", SourcePos{"f.yaml", 3, 7});
  return v / 2;
}

Result<int> Quarter(int v) {
  VIGIL_TRY(int h, Half(v));
  VIGIL_TRY(auto q, Half(h));
  return q;
}

TEST(ResultTest, PropagatesErrorsWithPosition) {
  auto r = Quarter(6);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(), "f.yaml:3:7: odd");
}

TEST(ResultTest, CarriesValues) {
  auto r = Quarter(8);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 2);
}

Status Check(bool ok) {
  if (!ok) return MakeError(ErrorCode::kIo, "disk full");
  return Ok();
}

Status Outer(bool ok) {
  VIGIL_TRY_STATUS(Check(ok));
  return Ok();
}

TEST(ResultTest, StatusPropagates) {
  EXPECT_TRUE(Outer(true).has_value());
  auto s = Outer(false);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(s.error().ToString(), "disk full");
}

TEST(SourcePosTest, FormatsWhatIsKnown) {
  EXPECT_EQ((SourcePos{"a", 0, 0}.ToString()), "a");
  EXPECT_EQ((SourcePos{"a", 2, 0}.ToString()), "a:2");
  EXPECT_EQ((SourcePos{"a", 2, 5}.ToString()), "a:2:5");
}

}  // namespace
}  // namespace vigil
