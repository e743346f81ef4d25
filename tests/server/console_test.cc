// The browser console served by the real `vigil serve` binary (fork/execv, loopback HTTP):
// the page and every embedded asset with the security headers and ETag/304, the console under a
// path prefix through a real prefix-stripping proxy, the console API on 100,000 findings in a real
// SQLite store (filters, sorts, pages, overview, timeline), the live feed delivering a finding
// committed through the webhook, and read-only tokens refused every action.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "base/time.h"
#include "server/console_assets.h"
#include "server/serve_process.h"
#include "store/finding_store.h"

namespace vigil::server::testing {
namespace {

using nlohmann::json;
constexpr std::int64_t kSecond = 1'000'000'000;

const char* kAdmin = "console-admin-token";
const char* kRead = "console-read-token";

httplib::Result Get(int port,
                    const std::string& path,
                    const std::string& token = kAdmin,
                    httplib::Headers headers = {}) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(60);
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return cli.Get(path, headers);
}

httplib::Result Post(int port,
                     const std::string& path,
                     const std::string& body,
                     const std::string& token = kAdmin) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(60);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return cli.Post(path, headers, body, "application/json");
}

json GetJson(int port, const std::string& path, const std::string& token = kAdmin) {
  auto r = Get(port, path, token);
  EXPECT_TRUE(r) << path;
  if (!r) return nullptr;
  EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  return json::parse(r->body, nullptr, false);
}

// A successful anonymous exec into a pod (Impact:Kubernetes/SuccessfulAnonymousAccess) whose
// pod name and user agent hold HTML/script payloads; `ip` makes it a finding of its own.
std::string HostileExecEvent(const std::string& ip, const std::string& audit_id) {
  json e = {{"kind", "Event"},
            {"apiVersion", "audit.k8s.io/v1"},
            {"level", "Metadata"},
            {"auditID", audit_id},
            {"stage", "ResponseStarted"},
            {"requestURI", "/api/v1/namespaces/default/pods/web/exec?command=sh"},
            {"verb", "create"},
            {"user", {{"username", "system:anonymous"}, {"groups", {"system:unauthenticated"}}}},
            {"sourceIPs", {ip}},
            {"userAgent", "<script>alert(1)</script>"},
            {"objectRef",
             {{"resource", "pods"},
              {"namespace", "default"},
              {"name", "<img src=x onerror=alert(1)>"},
              {"apiVersion", "v1"},
              {"subresource", "exec"}}},
            {"responseStatus", {{"code", 101}}},
            {"requestReceivedTimestamp", FormatRfc3339(NowNanos(), 6)},
            {"stageTimestamp", FormatRfc3339(NowNanos(), 6)},
            {"annotations",
             {{"authorization.k8s.io/decision", "allow"},
              {"authorization.k8s.io/reason", "RBAC: allowed by ClusterRoleBinding \"oops\""}}}};
  return json{{"kind", "EventList"}, {"apiVersion", "audit.k8s.io/v1"}, {"items", {e}}}.dump();
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("api.tokens"),
              std::string(kAdmin) + " admin alice\n" + kRead + " read rita\n");
  }

  std::unique_ptr<ServeProcess> Start(const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0",      "--db",
                                     db,         "--api-token-file", dir_.File("api.tokens")};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<ServeProcess>(args, dir_.File("serve.log"));
    if (!p->WaitForPort()) {
      ADD_FAILURE() << "vigil serve did not start:\n" << ReadFile(dir_.File("serve.log"));
      return nullptr;
    }
    return p;
  }

  TempDir dir_;
};

void ExpectSecurityHeaders(const httplib::Response& r) {
  EXPECT_EQ(r.get_header_value("Content-Security-Policy"), std::string(kConsoleCsp));
  const std::string csp = r.get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(r.get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.get_header_value("Referrer-Policy"), "no-referrer");
}

TEST_F(ConsoleTest, ServesThePageAndEveryAssetWithTypeEtagAndSecurityHeaders) {
  auto p = Start(dir_.File("vigil.db"));
  ASSERT_TRUE(p);
  auto index = Get(p->port(), "/", "");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("ui/js/app.js"), std::string::npos);
  ExpectSecurityHeaders(*index);

  const std::map<std::string, std::string> types = {{".html", "text/html; charset=utf-8"},
                                                    {".js", "text/javascript; charset=utf-8"},
                                                    {".css", "text/css; charset=utf-8"},
                                                    {".svg", "image/svg+xml"}};
  auto assets = EmbeddedConsoleAssets();
  ASSERT_GE(assets.size(), 10u);
  for (const ConsoleAsset& a : assets) {
    SCOPED_TRACE(std::string(a.path));
    const std::string path(a.path);
    EXPECT_EQ(path.find("test/"), std::string::npos) << "tests are not served";
    auto r = Get(p->port(), "/ui/" + path, "");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const std::string ext = path.substr(path.rfind('.'));
    EXPECT_EQ(r->get_header_value("Content-Type"), types.at(ext));
    // The bytes are the file's in web/.
    EXPECT_EQ(r->body, ReadFile(std::string(VIGIL_SOURCE_DIR) + "/web/" + path));
    const std::string etag = r->get_header_value("ETag");
    EXPECT_EQ(etag, std::string(a.etag));
    ExpectSecurityHeaders(*r);
    auto again = Get(p->port(), "/ui/" + path, "", {{"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
    auto stale = Get(p->port(), "/ui/" + path, "", {{"If-None-Match", "\"old\""}});
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, 200);
  }
  for (const char* bad : {"/ui/nope.js", "/ui/../CMakeLists.txt", "/ui/js/../../README.md"}) {
    auto r = Get(p->port(), bad, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << bad;
  }
}

// A reverse proxy mounting vigil under /vigil/ (strips the prefix, as nginx's
// `location /vigil/ { proxy_pass http://vigil:8765/; }` does).
class PrefixProxy {
 public:
  PrefixProxy(int upstream) : upstream_(upstream) {
    server_.Get(R"(/vigil/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string path = "/" + req.matches[1].str();
      if (!req.params.empty()) {
        path += "?" + httplib::detail::params_to_query_str(req.params);
      }
      ++requests_;
      httplib::Client cli("127.0.0.1", upstream_);
      httplib::Headers h;
      for (const char* name : {"Authorization", "If-None-Match", "Accept"}) {
        if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
      }
      auto r = cli.Get(path, h);
      if (!r) {
        res.status = 502;
        return;
      }
      res.status = r->status;
      for (const auto& [k, v] : r->headers) {
        if (k != "Content-Length" && k != "Transfer-Encoding" && k != "Connection") {
          res.set_header(k, v);
        }
      }
      res.body = r->body;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~PrefixProxy() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  int upstream_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  httplib::Server server_;
  std::thread thread_;
};

// Resolves a relative URL against a base path ending in '/' or a file name.
std::string Resolve(const std::string& base, const std::string& rel) {
  std::string dir = base.substr(0, base.rfind('/') + 1);
  std::string out = dir + rel;
  // Collapse "./" and "x/../".
  for (size_t at; (at = out.find("/./")) != std::string::npos;) out.erase(at, 2);
  for (size_t at; (at = out.find("/../")) != std::string::npos;) {
    size_t prev = out.rfind('/', at - 1);
    out.erase(prev, at + 3 - prev);
  }
  return out;
}

TEST_F(ConsoleTest, WorksUnderAPathPrefixBehindAProxy) {
  auto p = Start(dir_.File("vigil.db"));
  ASSERT_TRUE(p);
  PrefixProxy proxy(p->port());
  ASSERT_GT(proxy.port(), 0);
  auto index = Get(proxy.port(), "/vigil/", "");
  ASSERT_TRUE(index);
  ASSERT_EQ(index->status, 200);
  ExpectSecurityHeaders(*index);
  // Every resource the page names, and every module those import, resolved the way a browser
  // does against the page's URL (/vigil/), loads through the proxy.
  std::vector<std::string> todo;
  std::set<std::string> seen;
  static const std::regex kRef(R"((?:src|href)="([^"#][^"]*)\")");
  for (std::sregex_iterator it(index->body.begin(), index->body.end(), kRef), end; it != end;
       ++it) {
    todo.push_back(Resolve("/vigil/", (*it)[1].str()));
  }
  static const std::regex kImport(R"(from '(\.{1,2}/[^']+)')");
  while (!todo.empty()) {
    std::string url = todo.back();
    todo.pop_back();
    if (!seen.insert(url).second) continue;
    SCOPED_TRACE(url);
    ASSERT_EQ(url.rfind("/vigil/", 0), 0u) << "escaped the prefix";
    auto r = Get(proxy.port(), url, "");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    if (url.ends_with(".js")) {
      for (std::sregex_iterator it(r->body.begin(), r->body.end(), kImport), end; it != end; ++it) {
        todo.push_back(Resolve(url, (*it)[1].str()));
      }
    }
  }
  EXPECT_GE(seen.size(), 10u);  // the page's css, icon, app.js and its modules
  // The API as the scripts call it: "api/v1/…" relative to the page.
  auto who = Get(proxy.port(), Resolve("/vigil/", "api/v1/whoami"), kRead);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->status, 200);
  EXPECT_EQ(json::parse(who->body)["role"], "read");
}

TEST_F(ConsoleTest, ReadOnlyTokensSeeEverythingAndChangeNothing) {
  const std::string db = dir_.File("vigil.db");
  auto p = Start(db);
  ASSERT_TRUE(p);
  auto posted = Post(p->port(), "/k8s-audit?cluster=prod", HostileExecEvent("198.51.100.9", "a1"));
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;
  json list = GetJson(p->port(),
                      "/api/v1/findings?type=Impact:Kubernetes/SuccessfulAnonymousAccess", kRead);
  ASSERT_EQ(list["total"], 1) << list.dump();
  const std::string id = list["findings"][0]["id"];

  EXPECT_EQ(GetJson(p->port(), "/api/v1/whoami", kRead),
            json::parse(R"({"role":"read","name":"rita","auth":true})"));
  EXPECT_EQ(GetJson(p->port(), "/api/v1/whoami", kAdmin)["role"], "admin");
  auto anonymous = Get(p->port(), "/api/v1/whoami", "");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);

  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/findings/" + id + "/workflow", R"({"status":"RESOLVED","note":"x"})"},
           {"/api/v1/suppressions", R"({"type":"Impact:Kubernetes/*","note":"x"})"},
           {"/api/v1/rules/reload", ""}}) {
    auto r = Post(p->port(), path, body, kRead);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path;
  }
  EXPECT_EQ(GetJson(p->port(), "/api/v1/findings/" + id, kRead)["workflow_status"], "NEW");
  auto ok = Post(p->port(), "/api/v1/findings/" + id + "/workflow",
                 R"({"status":"NOTIFIED","note":"seen in the console"})", kAdmin);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(GetJson(p->port(), "/api/v1/findings/" + id, kRead)["workflow_status"], "NOTIFIED");

  // The hostile fields come back intact as JSON strings (the console renders them as text).
  json f = GetJson(p->port(), "/api/v1/findings/" + id, kRead);
  EXPECT_EQ(f["user_agent"], "<script>alert(1)</script>");
  EXPECT_EQ(f["resource"]["name"], "<img src=x onerror=alert(1)>");
  auto raw = Get(p->port(), "/api/v1/findings/" + id, kRead);
  EXPECT_EQ(raw->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(raw->get_header_value("X-Content-Type-Options"), "nosniff");

  // One finding as ASFF and OCSF.
  json asff = GetJson(p->port(), "/api/v1/findings/" + id + "/export?format=asff", kRead);
  EXPECT_EQ(asff["Id"].get<std::string>().find(id) != std::string::npos, true) << asff.dump();
  json ocsf = GetJson(p->port(), "/api/v1/findings/" + id + "/export?format=ocsf", kRead);
  EXPECT_TRUE(ocsf.is_object());
  auto bad = Get(p->port(), "/api/v1/findings/" + id + "/export?format=html", kRead);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ConsoleTest, LiveFeedDeliversAFindingCommittedThroughTheWebhook) {
  auto p = Start(dir_.File("vigil.db"));
  ASSERT_TRUE(p);
  auto refused = Get(p->port(), "/api/v1/events", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);

  std::mutex mu;
  std::string received;
  std::atomic<bool> stop{false};
  std::atomic<bool> opened{false};
  std::thread reader([&] {
    httplib::Client cli("127.0.0.1", p->port());
    cli.set_read_timeout(30);
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kRead}};
    cli.Get("/api/v1/events?severity=HIGH", h, [&](const char* data, size_t n) {
      std::lock_guard lock(mu);
      received.append(data, n);
      opened = true;
      return !stop.load() && received.find("event: finding") == std::string::npos;
    });
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!opened && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(opened) << "no hello from the feed";
  auto posted = Post(p->port(), "/k8s-audit?cluster=prod", HostileExecEvent("198.51.100.10", "b1"));
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;
  std::string got;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (received.find("event: finding") != std::string::npos) {
        got = received;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  reader.join();
  ASSERT_NE(got.find("event: hello"), std::string::npos) << got;
  auto at = got.find("event: finding\ndata: ");
  ASSERT_NE(at, std::string::npos) << got;
  const std::string line = got.substr(at + 21, got.find('\n', at + 21) - at - 21);
  json f = json::parse(line);
  EXPECT_EQ(f["type"], "Impact:Kubernetes/SuccessfulAnonymousAccess");
  EXPECT_EQ(f["source_ips"][0], "198.51.100.10");
  EXPECT_FALSE(f.contains("evidence"));
}

// An open live feed does not hold vigil up: SIGTERM ends the stream and vigil exits 0.
TEST_F(ConsoleTest, SigtermEndsOpenLiveFeedsAndExitsZero) {
  auto p = Start(dir_.File("vigil.db"));
  ASSERT_TRUE(p);
  std::atomic<bool> opened{false};
  std::atomic<bool> ended{false};
  std::thread reader([&] {
    httplib::Client cli("127.0.0.1", p->port());
    cli.set_read_timeout(60);
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kRead}};
    cli.Get("/api/v1/events", h, [&](const char*, size_t) {
      opened = true;
      return true;
    });
    ended = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!opened && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(opened);
  p->Signal(SIGTERM);
  EXPECT_EQ(p->Wait(std::chrono::seconds(15)), 0) << p->log();
  reader.join();
  EXPECT_TRUE(ended);
}

// 100,000 findings written straight into a real SQLite store, then read through the HTTP API.
class ConsoleScaleTest : public ConsoleTest {
 protected:
  static constexpr int kFindings = 100'000;
  static constexpr std::int64_t kBase = 1'780'000'000LL * kSecond;  // 2026-05-28

  static findings::Finding Synthetic(int i) {
    findings::Finding f;
    f.id = fmt::format("00000000-0000-4000-8000-{:012x}", i);
    static const char* kTypes[] = {"Execution:Kubernetes/ExecInKubeSystemPod",
                                   "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
                                   "Discovery:Kubernetes/SuccessfulAnonymousAccess",
                                   "Persistence:Kubernetes/ContainerWithSensitiveMount",
                                   "Policy:Kubernetes/ExposedDashboard"};
    f.type = kTypes[i % 5];
    f.rule = f.type;
    f.severity = static_cast<findings::Severity>((i / 5) % 5);
    f.title = fmt::format("synthetic finding {}", i);
    f.cluster = fmt::format("c{}", i % 3);
    f.resource.ns = fmt::format("ns{}", i % 50);
    f.resource.resource = "pods";
    f.principal.username = fmt::format("user{}", i % 200);
    f.source_ips = {fmt::format("203.0.113.{}", i % 256)};
    f.count = static_cast<std::uint64_t>((i * 7919) % 1000 + 1);
    f.first_seen = kBase + std::int64_t{i} * kSecond;
    f.last_seen = f.first_seen + (i % 60) * kSecond;
    f.created_at = f.first_seen;
    f.updated_at = f.first_seen;
    if (i == 4242) f.description = "the needle-in-haystack marker";
    return f;
  }

  static void Fill(const std::string& db) {
    auto store = store::OpenFindingStore(db);
    ASSERT_TRUE(store) << store.error().ToString();
    std::vector<findings::Finding> batch;
    for (int i = 0; i < kFindings; ++i) {
      batch.push_back(Synthetic(i));
      if (batch.size() == 10'000) {
        ASSERT_TRUE((*store)->Upsert(batch, kBase));
        batch.clear();
      }
    }
  }
};

TEST_F(ConsoleScaleTest, FiltersSortsPagesAndCountsOverAHundredThousandFindings) {
  const std::string db = dir_.File("big.db");
  Fill(db);
  auto p = Start(db);
  ASSERT_TRUE(p);
  const int port = p->port();

  json all = GetJson(port, "/api/v1/findings?limit=1");
  EXPECT_EQ(all["total"], kFindings);

  // Filter: namespace ns7 (i % 50 == 7) and cluster c1 (i % 3 == 1) → i % 150 == 97 (CRT).
  int expected = 0;
  for (int i = 0; i < kFindings; ++i) expected += (i % 150 == 97) ? 1 : 0;
  json f = GetJson(port, "/api/v1/findings?namespace=ns7&cluster=c1&limit=1000");
  EXPECT_EQ(f["total"], expected);
  for (const auto& x : f["findings"]) {
    EXPECT_EQ(x["resource"]["namespace"], "ns7");
    EXPECT_EQ(x["cluster"], "c1");
  }

  // Exact severities and status.
  json high = GetJson(port, "/api/v1/findings?severities=HIGH,CRITICAL&status=NEW&limit=1");
  EXPECT_EQ(high["total"], kFindings * 2 / 5);

  // Sort by count ascending, paged: every page in order, pages adjacent without overlap.
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  for (int offset = 0; offset < 3000; offset += 1000) {
    json page = GetJson(
        port, fmt::format("/api/v1/findings?sort=count&order=asc&limit=1000&offset={}", offset));
    ASSERT_EQ(page["findings"].size(), 1000u);
    for (const auto& x : page["findings"]) seen.emplace_back(x["count"], x["id"]);
  }
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
  std::set<std::string> ids;
  for (const auto& s : seen) ids.insert(s.second);
  EXPECT_EQ(ids.size(), seen.size()) << "pages overlap";
  EXPECT_EQ(seen.front().first, 1u);

  // Sort by first_seen descending: the newest synthetic finding first.
  json newest = GetJson(port, "/api/v1/findings?sort=first_seen&limit=2");
  EXPECT_EQ(newest["findings"][0]["id"], Synthetic(kFindings - 1).id);
  // Sort by principal ascending: user0 first, then user0 again (ties by last_seen).
  json byp = GetJson(port, "/api/v1/findings?sort=principal&order=asc&limit=1");
  EXPECT_EQ(byp["findings"][0]["principal"]["username"], "user0");

  // Free text finds one finding by a word of its description, case-insensitively.
  json text = GetJson(port, "/api/v1/findings?q=NEEDLE-in-Haystack");
  ASSERT_EQ(text["total"], 1);
  EXPECT_EQ(text["findings"][0]["id"], Synthetic(4242).id);
  // Time range: first_seen ≤ until and last_seen ≥ since.
  json range = GetJson(port, fmt::format("/api/v1/findings?since={}&until={}&limit=1",
                                         FormatRfc3339(kBase + 1000 * kSecond, 0),
                                         FormatRfc3339(kBase + 1999 * kSecond, 0)));
  int in_range = 0;
  for (int i = 0; i < kFindings; ++i) {
    auto s = Synthetic(i);
    in_range += (s.first_seen <= kBase + 1999 * kSecond && s.last_seen >= kBase + 1000 * kSecond);
  }
  EXPECT_EQ(range["total"], in_range);

  auto bad = Get(port, "/api/v1/findings?sort=evidence");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("sort"), std::string::npos);

  // Overview: counts per severity add up, the top principal and network are right.
  json o = GetJson(port, "/api/v1/stats/overview");
  EXPECT_EQ(o["total"], kFindings);
  std::uint64_t sum = 0;
  for (auto& [k, v] : o["by_severity"].items()) {
    EXPECT_EQ(v, kFindings / 5) << k;
    sum += v.get<std::uint64_t>();
  }
  EXPECT_EQ(sum, static_cast<std::uint64_t>(kFindings));
  EXPECT_EQ(o["by_type"].size(), 5u);
  EXPECT_EQ(o["top_principals"].size(), 10u);
  EXPECT_EQ(o["top_principals"][0]["count"], kFindings / 200);
  ASSERT_EQ(o["top_source_networks"].size(), 1u);
  EXPECT_EQ(o["top_source_networks"][0]["network"], "203.0.113.0/24");
  EXPECT_EQ(o["top_source_networks"][0]["count"], kFindings);

  // Timeline: hourly buckets over the first 10 hours hold 3,600 findings each.
  json t = GetJson(
      port, fmt::format("/api/v1/stats/timeline?bucket=1h&from={}&to={}", FormatRfc3339(kBase, 0),
                        FormatRfc3339(kBase + 10 * 3600 * kSecond, 0)));
  ASSERT_EQ(t["buckets"].size(), 10u) << t.dump().substr(0, 500);
  for (const auto& b : t["buckets"]) {
    std::uint64_t n = 0;
    for (const auto& c : b["counts"]) n += c.get<std::uint64_t>();
    EXPECT_EQ(n, 3600u);
  }
  auto many = Get(port, "/api/v1/stats/timeline?bucket=1s&from=2020-01-01T00:00:00Z");
  EXPECT_EQ(many->status, 400);
}

TEST_F(ConsoleScaleTest, ControlsMatrixShowsEachResultWithItsHistory) {
  const std::string db = dir_.File("controls.db");
  {
    auto store = store::OpenFindingStore(db);
    ASSERT_TRUE(store);
    findings::Finding f;
    f.id = "11111111-2222-4333-8444-555555555555";
    f.rule = "GuardDuty.5";
    f.type = "Control:AWS/GuardDuty.5";
    f.severity = findings::Severity::kHigh;
    f.title = "GuardDuty EKS Audit Log Monitoring should be enabled";
    f.account = "111122223333";
    f.region = "us-east-1";
    f.first_seen = f.last_seen = kBase;
    findings::Compliance c;
    c.control_id = "GuardDuty.5";
    c.status = findings::ComplianceStatus::kFailed;
    c.reasons = {"EKS_AUDIT_LOGS is DISABLED"};
    c.resource_type = "AwsGuardDutyDetector";
    c.resource_id = "arn:aws:guardduty:us-east-1:111122223333:detector/abc";
    c.evidence = {{"SNAP/111122223333/us-east-1/guardduty/get-detector-abc.json",
                   "Features[EKS_AUDIT_LOGS].Status = DISABLED"}};
    f.compliance = c;
    ASSERT_TRUE((*store)->Upsert(std::span(&f, 1), kBase));
    f.compliance->status = findings::ComplianceStatus::kPassed;
    f.compliance->reasons = {"EKS_AUDIT_LOGS is ENABLED"};
    f.last_seen = kBase + kSecond;
    ASSERT_TRUE((*store)->Upsert(std::span(&f, 1), kBase + kSecond));
  }
  auto p = Start(db);
  ASSERT_TRUE(p);
  json m = GetJson(p->port(), "/api/v1/controls/matrix", kRead);
  EXPECT_EQ(m["controls"], json::parse(R"(["GuardDuty.5"])"));
  EXPECT_EQ(m["columns"], json::parse(R"(["111122223333/us-east-1"])"));
  ASSERT_EQ(m["cells"].size(), 1u);
  EXPECT_EQ(m["cells"][0]["status"], "PASSED");
  EXPECT_EQ(m["cells"][0]["reasons"][0], "EKS_AUDIT_LOGS is ENABLED");
  json h =
      GetJson(p->port(), "/api/v1/findings/11111111-2222-4333-8444-555555555555/compliance", kRead);
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[0]["status"], "FAILED");
  EXPECT_EQ(h[0]["evidence"][0]["said"], "Features[EKS_AUDIT_LOGS].Status = DISABLED");
  EXPECT_EQ(h[1]["status"], "PASSED");
  // A PASSED control is not failing.
  json o = GetJson(p->port(), "/api/v1/stats/overview", kRead);
  EXPECT_EQ(o["failing_controls"].size(), 0u);
}

}  // namespace
}  // namespace vigil::server::testing
