// HttpClient against real loopback servers: retries with backoff through 5xx bursts and 429s
// (honouring Retry-After), bounded total time, no retry of a create that may have happened, TLS
// verified against the configured CA (a wrong CA is refused), client certificates, and errors that
// never carry the Authorization header.
#include "remediate/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "remediate/integrations/loopback_server.h"
#include "remediate/integrations/test_pki.h"

namespace vigil::remediate::testing {
namespace {

using std::chrono::milliseconds;

struct SleepLog {
  std::mutex mu;
  std::vector<milliseconds> waits;
  std::function<void(milliseconds)> Fn() {
    return [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(mu);
      waits.push_back(d);
    };
  }
};

HttpClientOptions Options(const std::string& base, SleepLog& log) {
  HttpClientOptions o;
  o.base_url = base;
  o.headers = {{"Authorization", "Bearer s3cret-token"}};
  o.retry.initial_backoff = milliseconds(100);
  o.retry.max_backoff = milliseconds(1000);
  o.sleep = log.Fn();
  o.connect_timeout = milliseconds(2000);
  o.read_timeout = milliseconds(2000);
  return o;
}

TEST(HttpClientTest, RetriesThroughA500BurstWithGrowingJitteredBackoff) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/api/thing", [&](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_header_value("Authorization"), "Bearer s3cret-token");
    if (++calls <= 3) {
      res.status = 500;
      return;
    }
    res.set_content(R"({"ok":true})", "application/json");
  });
  s.Start();
  SleepLog log;
  auto c = HttpClient::Create(Options(s.url("http") + "/api", log));
  ASSERT_TRUE(c) << c.error().ToString();
  auto r = (*c)->Get("/thing");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->attempts, 4);
  EXPECT_EQ(calls.load(), 4);
  ASSERT_EQ(log.waits.size(), 3u);
  // Attempt n waits within [d/2, d], d = 100 ms * 2^n.
  for (size_t i = 0; i < 3; ++i) {
    const long long d = 100LL << i;
    EXPECT_GE(log.waits[i].count(), d / 2) << i;
    EXPECT_LE(log.waits[i].count(), d) << i;
  }
}

TEST(HttpClientTest, HonoursRetryAfterOn429) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      return;
    }
    res.set_content("{}", "application/json");
  });
  s.Start();
  SleepLog log;
  auto c = HttpClient::Create(Options(s.url("http"), log));
  ASSERT_TRUE(c);
  auto r = (*c)->Get("/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(log.waits.size(), 1u);
  EXPECT_EQ(log.waits[0], milliseconds(7000));
}

TEST(HttpClientTest, ARateLimitWaitBeyondTheBudgetReturnsTheLastAnswer) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 403;
    res.set_header("X-RateLimit-Remaining", "0");
    res.set_header("X-RateLimit-Reset", std::to_string(std::time(nullptr) + 3600));
  });
  s.Start();
  SleepLog log;
  auto o = Options(s.url("http"), log);
  o.retry.total_budget = milliseconds(60'000);
  auto c = HttpClient::Create(o);
  ASSERT_TRUE(c);
  auto r = (*c)->Get("/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(calls.load(), 1);  // an hour's wait does not fit in a minute's budget
  EXPECT_TRUE(log.waits.empty());
}

TEST(HttpClientTest, StopsAfterMaxAttemptsAndReturnsTheLast5xx) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 503;
  });
  s.Start();
  SleepLog log;
  auto o = Options(s.url("http"), log);
  o.retry.max_attempts = 3;
  auto c = HttpClient::Create(o);
  ASSERT_TRUE(c);
  auto r = (*c)->Get("/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(log.waits.size(), 2u);
}

TEST(HttpClientTest, APostThatMayHaveHappenedIsNotSentTwice) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Post("/create", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    EXPECT_EQ(req.get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(nlohmann::json::parse(req.body)["a"], 1);
    res.status = 502;
  });
  s.Start();
  SleepLog log;
  auto c = HttpClient::Create(Options(s.url("http"), log));
  ASSERT_TRUE(c);
  auto r = (*c)->SendJson("POST", "/create", {{"a", 1}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpClientTest, ConnectionRefusedIsAnIoErrorThatNamesTheHostNotTheToken) {
  int port = 0;
  {
    LoopbackServer s;  // take a free port, then close it
    s.Start();
    port = s.port();
  }
  SleepLog log;
  auto o = Options("http://127.0.0.1:" + std::to_string(port) + "/base", log);
  o.retry.max_attempts = 3;
  auto c = HttpClient::Create(o);
  ASSERT_TRUE(c);
  auto r = (*c)->Get("/issues?jql=secret-query");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  const std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("GET 127.0.0.1/base/issues"), std::string::npos) << msg;
  EXPECT_NE(msg.find("connection failed"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("secret-query"), std::string::npos) << msg;
  EXPECT_EQ(log.waits.size(), 2u);
}

TEST(HttpClientTest, ASecretPathIsNotNamedInErrors) {
  SleepLog log;
  auto o = Options("http://127.0.0.1:1/services/T000/B000/XXXXSECRET", log);
  o.retry.max_attempts = 1;
  o.path_is_secret = true;
  auto c = HttpClient::Create(o);
  ASSERT_TRUE(c);
  auto r = (*c)->SendJson("POST", "", {{"text", "hi"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString().find("XXXXSECRET"), std::string::npos) << r.error().ToString();
}

TEST(HttpClientTest, AReadTimeoutIsRetriedThenReported) {
  LoopbackServer s;
  std::atomic<int> calls{0};
  s.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    std::this_thread::sleep_for(milliseconds(800));
    res.set_content("{}", "application/json");
  });
  s.Start();
  SleepLog log;
  auto o = Options(s.url("http"), log);
  o.read_timeout = milliseconds(200);
  o.retry.max_attempts = 2;
  auto c = HttpClient::Create(o);
  ASSERT_TRUE(c);
  auto r = (*c)->Get("/slow");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpClientTest, TlsIsVerifiedAgainstTheConfiguredCaAndAWrongCaIsRefused) {
  TestCa ca("vigil-test-ca");
  TestCa other("someone-else");
  LoopbackServer s(ca.Issue("fake-api", /*server=*/true), ca.cert_pem());
  s.server().Get("/ok", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"tls":true})", "application/json");
  });
  s.Start();
  SleepLog log;
  auto o = Options(s.url("https"), log);
  o.ca_pem = ca.cert_pem();
  auto good = HttpClient::Create(o);
  ASSERT_TRUE(good) << good.error().ToString();
  auto r = (*good)->Get("/ok");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->status, 200);

  o.ca_pem = other.cert_pem();
  auto bad = HttpClient::Create(o);
  ASSERT_TRUE(bad);
  auto refused = (*bad)->Get("/ok");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kIo);
  EXPECT_NE(refused.error().message.find("verification failed"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(log.waits.empty()) << "a certificate failure is not retried";

  // Without a configured CA, the system store does not know the test CA either.
  o.ca_pem.clear();
  auto system = HttpClient::Create(o);
  ASSERT_TRUE(system);
  EXPECT_FALSE((*system)->Get("/ok"));
}

TEST(HttpClientTest, PresentsAClientCertificate) {
  TestCa ca("vigil-test-ca");
  LoopbackServer s(ca.Issue("fake-api", true), ca.cert_pem());
  s.server().Get("/whoami", [](const httplib::Request& req, httplib::Response& res) {
    std::string cn = "none";
    if (req.ssl != nullptr) {
      if (X509* peer = SSL_get_peer_certificate(req.ssl)) {
        char buf[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
        cn = buf;
        X509_free(peer);
      }
    }
    res.set_content(cn, "text/plain");
  });
  s.Start();
  SleepLog log;
  auto o = Options(s.url("https"), log);
  o.ca_pem = ca.cert_pem();
  KeyPair id = ca.Issue("vigil-remediator", false);
  o.client_cert_pem = id.cert_pem;
  o.client_key_pem = id.key_pem;
  auto c = HttpClient::Create(o);
  ASSERT_TRUE(c) << c.error().ToString();
  auto r = (*c)->Get("/whoami");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->body, "vigil-remediator");

  o.client_key_pem = ca.Issue("x", false).key_pem;
  auto mismatched = HttpClient::Create(o);
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message.find("does not match"), std::string::npos);
}

TEST(HttpClientTest, RejectsUnsafeOrMalformedBaseUrls) {
  for (const char* url : {"http://jira.example.com", "ftp://x", "https://", "https://h:99999",
                          "https://user:pw@h", "https://h:"}) {
    HttpClientOptions o;
    o.base_url = url;
    auto c = HttpClient::Create(o);
    EXPECT_FALSE(c) << url;
    if (!c) {
      EXPECT_EQ(c.error().code, ErrorCode::kConfig) << url;
      EXPECT_EQ(c.error().message.find("pw"), std::string::npos);
    }
  }
  for (const char* url : {"http://127.0.0.1:8080/x", "https://jira.example.com/",
                          "https://[::1]:6443", "http://localhost"}) {
    HttpClientOptions o;
    o.base_url = url;
    EXPECT_TRUE(HttpClient::Create(o)) << url;
  }
}

TEST(HttpClientTest, ServerRequestedDelayReadsEveryHeaderForm) {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  HttpResponse r;
  r.headers = {{"retry-after", "12"}};
  EXPECT_EQ(ServerRequestedDelay(r, now), milliseconds(12'000));
  r.headers = {{"retry-after", "Tue, 14 Nov 2023 22:13:40 GMT"}};  // now + 20 s
  EXPECT_EQ(ServerRequestedDelay(r, now), milliseconds(20'000));
  r.headers = {{"x-ratelimit-reset", "1700000030"}};
  EXPECT_EQ(ServerRequestedDelay(r, now), milliseconds(30'000));
  r.headers = {{"ratelimit-reset", "5"}};
  EXPECT_EQ(ServerRequestedDelay(r, now), milliseconds(5'000));
  r.headers = {{"retry-after", "soon"}};
  EXPECT_EQ(ServerRequestedDelay(r, now), milliseconds(0));
}

}  // namespace
}  // namespace vigil::remediate::testing
