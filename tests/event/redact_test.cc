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

TEST(RedactTextTest, PreCheckSeesEveryCredentialWordInAnyCase) {
  // The cheap scan that lets ordinary text skip the regular expression must not miss a word the
  // patterns need, whatever its case or position (the last bytes of the text included).
  EXPECT_EQ(RedactText("BEARER abcdefghijk"), "BEARER [REDACTED]");
  EXPECT_EQ(RedactText("x Basic QWxhZGRpbjpvcGVu"), "x Basic [REDACTED]");
  EXPECT_EQ(RedactText("TOKEN=abc"), "TOKEN=[REDACTED]");
  EXPECT_EQ(RedactText("PassPhrase: abc"), "PassPhrase: [REDACTED]");
  EXPECT_EQ(RedactText("db_PASSWD=abc"), "db_PASSWD=[REDACTED]");
  EXPECT_EQ(RedactText("Client-SECRET=abc"), "Client-SECRET=[REDACTED]");
  EXPECT_EQ(RedactText("x-Api-KEY: abc"), "x-Api-KEY: [REDACTED]");
  EXPECT_EQ(RedactText("aws_CREDENTIALS=abc"), "aws_CREDENTIALS=[REDACTED]");
  EXPECT_EQ(RedactText(std::string("jwt ") + kJwt), "jwt [REDACTED]");
  EXPECT_EQ(RedactText("key"), "key");  // a word alone, no value: kept
  EXPECT_EQ(RedactText("kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f"),
            "kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f");
}

TEST(RedactTextTest, AppendAndMemoGiveWhatRedactTextGives) {
  const std::string texts[] = {"kubelet/v1.29.0", "Bearer abcdefghijklmnop", "Bearer abcdefghijklmnop",
                               "kubelet/v1.29.0", "", "token: xyz"};
  RedactMemo memo;
  for (const std::string& text : texts) {
    std::string out = "prefix|";
    AppendRedactedText(text, out);
    EXPECT_EQ(out, "prefix|" + RedactText(text));
    EXPECT_EQ(memo.Redact(text), RedactText(text));
  }
  // More texts than the memo holds, twice round: answers evicted and recomputed stay right.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 40; ++i) {
      const std::string text = (i % 3 == 0 ? "token=" : "agent/") + std::to_string(i);
      EXPECT_EQ(memo.Redact(text), RedactText(text)) << text;
    }
  }
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
