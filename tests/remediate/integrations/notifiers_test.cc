// The webhook and Slack notifiers against local receivers: the receiver recomputes the HMAC with
// OpenSSL itself and accepts only a matching signature; retries keep one delivery id; Slack gets
// escaped text so audit-derived fields cannot mention @channel or hide a link; a failing Slack
// webhook is reported without its secret URL.
#include "remediate/notifiers.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <mutex>
#include <set>

#include "remediate/integrations/loopback_server.h"

namespace vigil::remediate::testing {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

// What a receiver in another language would do: HMAC-SHA256 over the raw body, hex.
std::string ReceiverHmac(const std::string& secret, const std::string& body) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  char hex[65] = {};
  for (unsigned i = 0; i < len; ++i) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return std::string("sha256=") + hex;
}

Notification Note() {
  Notification n;
  n.event = "action.applied";
  n.finding_id = "f-42";
  n.title = "Anonymous ClusterRoleBinding deleted";
  n.text = "user <!channel> & <https://evil.example|click here> created anon-admin";
  n.payload = {{"action", "kubernetes.delete-binding"}, {"target", "clusterrolebindings/anon-admin"}};
  return n;
}

HttpClientOptions Http(const std::string& url) {
  HttpClientOptions o;
  o.base_url = url;
  o.retry.initial_backoff = milliseconds(1);
  o.sleep = [](milliseconds) {};
  return o;
}

TEST(WebhookNotifierTest, TheReceiverVerifiesTheSignatureAndRetriesKeepTheDeliveryId) {
  const std::string secret = "whsec-test-1";
  LoopbackServer s;
  std::mutex mu;
  std::vector<std::string> deliveries;
  std::atomic<int> calls{0};
  json received;
  s.server().Post("/hooks/vigil", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    deliveries.push_back(req.get_header_value("X-Vigil-Delivery"));
    if (req.get_header_value("X-Vigil-Signature-256") != ReceiverHmac(secret, req.body)) {
      res.status = 401;
      return;
    }
    if (++calls == 1) {
      res.status = 503;
      return;
    }
    received = json::parse(req.body);
    EXPECT_EQ(req.get_header_value("X-Vigil-Event"), "action.applied");
    res.status = 204;
  });
  s.Start();
  WebhookOptions o;
  o.http = Http(s.url("http") + "/hooks/vigil");
  o.secret = secret;
  auto n = WebhookNotifier::Create(o);
  ASSERT_TRUE(n) << n.error().ToString();
  ASSERT_TRUE((*n)->Notify(Note()));
  EXPECT_EQ(calls.load(), 2);
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0], deliveries[1]);
  EXPECT_EQ(deliveries[0].size(), 32u);
  EXPECT_EQ(received["event"], "action.applied");
  EXPECT_EQ(received["finding_id"], "f-42");
  EXPECT_EQ(received["payload"]["target"], "clusterrolebindings/anon-admin");
  EXPECT_EQ(received["text"], Note().text) << "the webhook carries the text as is; JSON escapes it";

  // A notifier with another secret is refused by the receiver and says so.
  o.secret = "wrong";
  auto other = WebhookNotifier::Create(o);
  ASSERT_TRUE(other);
  auto refused = (*other)->Notify(Note());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("HTTP 401"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("wrong"), std::string::npos);
}

TEST(WebhookNotifierTest, SignatureHelpersMatchAnIndependentHmac) {
  const std::string body = WebhookNotifier::Body(Note(), "d1", "2026-11-27T00:00:00Z");
  EXPECT_EQ(SignatureHeaderValue("k", body), ReceiverHmac("k", body));
  EXPECT_TRUE(VerifySignature("k", body, ReceiverHmac("k", body)));
  EXPECT_FALSE(VerifySignature("k", body + " ", ReceiverHmac("k", body)));
  EXPECT_FALSE(VerifySignature("k", body, "sha256=00"));
  // RFC 4231 test case 2.
  EXPECT_EQ(SignatureHeaderValue("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  WebhookOptions o;
  o.http.base_url = "https://example.com/hook";
  EXPECT_FALSE(WebhookNotifier::Create(o)) << "a secret is required";
}

TEST(SlackNotifierTest, EscapesAuditDerivedTextSoItCannotMentionOrHideLinks) {
  LoopbackServer s;
  json received;
  s.server().Post("/services/T000/B000/XXXX", [&](const httplib::Request& req, httplib::Response& res) {
    received = json::parse(req.body);
    res.set_content("ok", "text/plain");
  });
  s.Start();
  SlackOptions o;
  o.http = Http(s.url("http") + "/services/T000/B000/XXXX");
  auto n = SlackNotifier::Create(o);
  ASSERT_TRUE(n);
  ASSERT_TRUE((*n)->Notify(Note()));
  const std::string section = received["blocks"][1]["text"]["text"];
  EXPECT_EQ(section,
            "user &lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt; created anon-admin");
  EXPECT_EQ(received["blocks"][0]["type"], "header");
  EXPECT_EQ(received["blocks"][0]["text"]["text"], "Anonymous ClusterRoleBinding deleted");
  EXPECT_EQ(received["text"].get<std::string>().find("<!channel>"), std::string::npos);
  EXPECT_EQ(received["unfurl_links"], false);
  EXPECT_EQ(received["blocks"][2]["elements"][0]["text"], "action.applied · finding f-42");
}

TEST(SlackNotifierTest, AFailingWebhookIsReportedWithoutItsSecretUrl) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Post("/services/T000/B000/SECRETPART", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 404;
    res.set_content("no_service", "text/plain");
  });
  s.Start();
  SlackOptions o;
  o.http = Http(s.url("http") + "/services/T000/B000/SECRETPART");
  auto n = SlackNotifier::Create(o);
  ASSERT_TRUE(n);
  auto r = (*n)->Notify(Note());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("HTTP 404: no_service"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("SECRETPART"), std::string::npos) << r.error().message;
  EXPECT_EQ(calls.load(), 1) << "a 404 is not retried";
}

TEST(SlackEscapeTest, EscapesExactlyTheThreeCharacters) {
  EXPECT_EQ(SlackEscape("a&b<c>d *e* _f_"), "a&amp;b&lt;c&gt;d *e* _f_");
  EXPECT_EQ(SlackEscape("&amp;"), "&amp;amp;");
}

}  // namespace
}  // namespace vigil::remediate::testing
