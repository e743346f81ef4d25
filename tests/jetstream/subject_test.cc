#include "jetstream/subject.h"

#include <gtest/gtest.h>

namespace vigil::jetstream {
namespace {

TEST(ClusterToken, EscapesWhatNatsGivesAMeaningTo) {
  EXPECT_EQ(ClusterToken("prod-eu_1"), "prod-eu_1");
  EXPECT_EQ(ClusterToken("prod.eu"), "prod%2Eeu");
  EXPECT_EQ(ClusterToken("a*b>c d"), "a%2Ab%3Ec%20d");
  EXPECT_EQ(SubjectFor("audit", "prod.eu"), "audit.prod%2Eeu");
  EXPECT_EQ(ConsumerNameFor("prod.eu"), "vigil-prod=2Eeu");
}

TEST(ClusterToken, RoundTripsAndRejectsWhatItNeverMakes) {
  for (const char* c : {"a", "prod.eu-1", "x.y.z", "A_B", "%"}) {
    auto back = ClusterFromToken(ClusterToken(c));
    ASSERT_TRUE(back.has_value()) << c;
    EXPECT_EQ(*back, c);
  }
  EXPECT_FALSE(ClusterFromToken("").has_value());
  EXPECT_FALSE(ClusterFromToken("a.b").has_value());
  EXPECT_FALSE(ClusterFromToken("a%2").has_value());
  EXPECT_FALSE(ClusterFromToken("a%zz").has_value());
  EXPECT_FALSE(ClusterFromToken("a%41").has_value());  // 'A' is never escaped
  EXPECT_EQ(ClusterOfSubject("audit", "audit.prod%2Eeu").value_or(""), "prod.eu");
  EXPECT_FALSE(ClusterOfSubject("audit", "auditx.prod").has_value());
  EXPECT_FALSE(ClusterOfSubject("audit", "audit.").has_value());
  EXPECT_FALSE(ClusterOfSubject("audit", "audit.a.b").has_value());
}

TEST(SubjectPrefix, Validation) {
  EXPECT_TRUE(IsValidSubjectPrefix("audit"));
  EXPECT_TRUE(IsValidSubjectPrefix("k8s.audit"));
  EXPECT_FALSE(IsValidSubjectPrefix(""));
  EXPECT_FALSE(IsValidSubjectPrefix("audit."));
  EXPECT_FALSE(IsValidSubjectPrefix("a..b"));
  EXPECT_FALSE(IsValidSubjectPrefix("audit.>"));
  EXPECT_FALSE(IsValidSubjectPrefix("a b"));
  EXPECT_TRUE(IsValidStreamName("AUDIT"));
  EXPECT_FALSE(IsValidStreamName("AU.DIT"));
  EXPECT_FALSE(IsValidStreamName(""));
}

}  // namespace
}  // namespace vigil::jetstream
