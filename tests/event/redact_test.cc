#include "event/redact.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::event {
namespace {

// Real-looking credentials that must never appear in anything vigil writes.
constexpr char kJwt[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0."
    "c2lnbmF0dXJlLXNpZ25hdHVyZQ";
constexpr char kSecretB64[] = "c3VwZXItc2VjcmV0LXBhc3N3b3JkLTEyMzQ=";

class RedactTest : public ::testing::Test {
 protected:
  std::string Redact(const std::string& json) {
    auto doc = parser_.parse(json);
    EXPECT_FALSE(doc.error());
    auto ev = AuditEvent::FromElement(doc.value_unsafe());
    EXPECT_TRUE(ev.has_value());
    return RedactedJson(*ev);
  }
  simdjson::dom::parser parser_;
};

TEST_F(RedactTest, RemovesSecretDataEverywhere) {
  std::string ev = std::string(R"({"auditID":"a","stage":"ResponseComplete","verb":"create",)") +
                   R"("objectRef":{"resource":"secrets","namespace":"default","name":"db"},)" +
                   R"("requestObject":{"kind":"Secret","data":{"password":")" + kSecretB64 +
                   R"("},"stringData":{"user":"admin-plain"},"metadata":{"annotations":)" +
                   R"({"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\")" +
                   kSecretB64 + R"(\"}}"}}},)" +
                   R"("responseObject":{"kind":"SecretList","items":[{"data":{"k":")" +
                   kSecretB64 + R"("}}]}})";
  std::string out = Redact(ev);
  EXPECT_EQ(out.find(kSecretB64), std::string::npos) << out;
  EXPECT_EQ(out.find("admin-plain"), std::string::npos) << out;
  EXPECT_NE(out.find("\"name\":\"db\""), std::string::npos) << out;
  EXPECT_NE(out.find(kRedacted), std::string::npos);
}

TEST_F(RedactTest, RemovesTokenRequestResponses) {
  std::string ev = std::string(R"({"auditID":"a","stage":"ResponseComplete","verb":"create",)") +
                   R"("objectRef":{"resource":"serviceaccounts","subresource":"token","name":"d"},)" +
                   R"("responseObject":{"kind":"TokenRequest","status":{"token":")" + kJwt +
                   R"(","expirationTimestamp":"2030-01-01T00:00:00Z"}}})";
  std::string out = Redact(ev);
  EXPECT_EQ(out.find("eyJhbGci"), std::string::npos) << out;
  EXPECT_NE(out.find("expirationTimestamp"), std::string::npos);
}

TEST_F(RedactTest, RemovesHeadersAndInlineCredentials) {
  std::string ev = std::string(R"({"auditID":"a","stage":"ResponseComplete",)") +
                   R"("objectRef":{"resource":"configmaps","name":"c"},)" +
                   R"("requestObject":{"data":{"access.properties":"aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",)" +
                   R"("db_password":"hunter2-hunter2","ui.properties":"color.good=purple"}},)" +
                   R"("annotations":{"note":"Authorization: Bearer )" + kJwt + R"("},)" +
                   R"("userAgent":"curl","requestURI":"/x?access_token=abcdefgh12345678"})";
  std::string out = Redact(ev);
  EXPECT_EQ(out.find("wJalrXUtnFEMI"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("eyJhbGci"), std::string::npos) << out;
  EXPECT_EQ(out.find("abcdefgh12345678"), std::string::npos) << out;
  EXPECT_NE(out.find("color.good=purple"), std::string::npos) << out;
}

TEST(RedactTextTest, KeepsOrdinaryText) {
  EXPECT_EQ(RedactText("user=alice verb=get resource=pods"), "user=alice verb=get resource=pods");
  EXPECT_EQ(RedactText("Authorization: Bearer abcdefghijklmnop"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(RedactText("password=swordfish1 next"), "password=[REDACTED] next");
  EXPECT_EQ(RedactText("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"),
            "[REDACTED]");
}

TEST(RedactTextTest, RecognisesCredentialKeys) {
  EXPECT_TRUE(IsCredentialKey("Authorization"));
  EXPECT_TRUE(IsCredentialKey("client_secret"));
  EXPECT_TRUE(IsCredentialKey("db-password"));
  EXPECT_FALSE(IsCredentialKey("secretName"));
  EXPECT_FALSE(IsCredentialKey("expirationSeconds"));
}

TEST_F(RedactTest, CapsHugeEvidence) {
  std::string big(kMaxEvidenceBytes + 1000, 'x');
  std::string ev = R"({"auditID":"a","stage":"ResponseComplete","requestObject":{"blob":")" + big +
                   R"("}})";
  std::string out = Redact(ev);
  EXPECT_LT(out.size(), kMaxEvidenceBytes);
  EXPECT_NE(out.find("[omitted:"), std::string::npos);
}

}  // namespace
}  // namespace vigil::event
