// What does one integration request cost over loopback? HttpClient opens a new connection for
// every request (no keep-alive, so a retry never reuses a broken socket); this measures what that
// costs over plain HTTP and over verified TLS (a full handshake each time), and a signed webhook
// notification end to end. Each case checks its answer before it is timed.
//
// usage: vigil_remediate_http_bench [REQUESTS]   (default 300)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "remediate/http_client.h"
#include "remediate/integrations/loopback_server.h"
#include "remediate/integrations/test_pki.h"
#include "remediate/notifiers.h"

namespace {

using vigil::remediate::HttpClient;
using vigil::remediate::HttpClientOptions;
using Clock = std::chrono::steady_clock;

template <typename Fn>
int Measure(const char* name, int n, Fn fn) {
  if (!fn()) {
    std::fprintf(stderr, "%s: the check before timing failed\n", name);
    return 1;
  }
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (!fn()) {
      std::fprintf(stderr, "%s: request %d failed\n", name, i);
      return 1;
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(us.begin(), us.end());
  std::printf("%-34s %6d req  %8.0f req/s  p50 %7.0f us  p99 %7.0f us\n", name, n, n / total,
              us[us.size() / 2], us[us.size() * 99 / 100]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(10, std::atoi(argv[1])) : 300;
  using vigil::remediate::testing::LoopbackServer;
  using vigil::remediate::testing::TestCa;
  TestCa ca("bench-ca");
  LoopbackServer plain;
  LoopbackServer tls(ca.Issue("bench", true), "");
  for (LoopbackServer* s : {&plain, &tls}) {
    s->server().Get("/ping", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"ok":true})", "application/json");
    });
    s->server().Post("/hook", [](const httplib::Request& req, httplib::Response& res) {
      res.status = vigil::remediate::VerifySignature(
                       "bench-secret", req.body, req.get_header_value("X-Vigil-Signature-256"))
                       ? 204
                       : 401;
    });
    s->Start();
  }
  HttpClientOptions o;
  o.base_url = plain.url("http");
  auto http = HttpClient::Create(o);
  o.base_url = tls.url("https");
  o.ca_pem = ca.cert_pem();
  auto https = HttpClient::Create(o);
  if (!http || !https) return 1;
  int rc = 0;
  rc |= Measure("GET over HTTP (new connection)", n, [&] {
    auto r = (*http)->Get("/ping");
    return r && r->status == 200;
  });
  rc |= Measure("GET over verified TLS (handshake)", n, [&] {
    auto r = (*https)->Get("/ping");
    return r && r->status == 200;
  });
  vigil::remediate::WebhookOptions w;
  w.http = o;
  w.http.base_url = tls.url("https") + "/hook";
  w.secret = "bench-secret";
  auto hook = vigil::remediate::WebhookNotifier::Create(w);
  if (!hook) return 1;
  vigil::remediate::Notification note;
  note.event = "action.applied";
  note.finding_id = "f-1";
  note.text = std::string(2000, 'x');
  note.payload = {{"plan", std::string(4000, 'y')}};
  rc |= Measure("signed webhook over TLS (6 KB)", n, [&] { return bool((*hook)->Notify(note)); });
  return rc;
}
