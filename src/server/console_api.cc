// The API the browser console needs beyond api.cc (docs/http-api.md "Console"):
//
//   GET /api/v1/whoami                         the caller's role and name
//   GET /api/v1/stats/overview                 counts by severity/type/status, top principals and
//                                              source networks, ingestion health per cluster,
//                                              failing controls
//   GET /api/v1/stats/timeline                 findings per time bucket, stacked by severity
//   GET /api/v1/events                         server-sent events: findings as they change
//   GET /api/v1/findings/{id}/export           one finding as ASFF or OCSF
//   GET /api/v1/findings/{id}/compliance       a control finding's compliance history
//   GET /api/v1/controls/matrix                control × account/cluster results
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/time.h"
#include "findings/encode/asff.h"
#include "findings/encode/json.h"
#include "findings/encode/ocsf.h"
#include "server/http_context.h"

namespace vigil::server {
namespace {

using nlohmann::ordered_json;

constexpr auto kJsonReplace = nlohmann::json::error_handler_t::replace;
constexpr std::int64_t kSecond = 1'000'000'000;

std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, kJsonReplace); }

ordered_json Counts(const std::vector<std::pair<std::string, std::uint64_t>>& counts,
                    const char* key) {
  ordered_json out = ordered_json::array();
  for (const auto& [k, n] : counts) out.push_back({{key, k}, {"count", n}});
  return out;
}

// The network an address belongs to for the overview: /24 for IPv4, /64 for IPv6; the address
// itself when it is neither.
std::string NetworkOf(const std::string& ip) {
  if (ip.find(':') == std::string::npos) {
    auto last = ip.rfind('.');
    if (last == std::string::npos || std::count(ip.begin(), ip.end(), '.') != 3) return ip;
    return ip.substr(0, last) + ".0/24";
  }
  // The first four groups of the (possibly compressed) address.
  std::string out;
  int groups = 0;
  std::size_t i = 0;
  while (i < ip.size() && groups < 4) {
    auto colon = ip.find(':', i);
    if (colon == i) break;  // "::" — the rest is zeros
    out += ip.substr(i, colon == std::string::npos ? std::string::npos : colon - i) + ":";
    ++groups;
    if (colon == std::string::npos) break;
    i = colon + 1;
  }
  return out + ":/64";
}

// Events per second per cluster between two overview requests.
struct RateState {
  std::mutex mu;
  struct Sample {
    std::int64_t at = 0;
    double total = 0;
    double rate = 0;
  };
  std::map<std::string, Sample> clusters;
};

void WhoAmI(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto caller = AuthorizeApi(ctx, req, res, Role::kRead);
  if (!caller) return;
  ordered_json j;
  j["role"] = caller->role == Role::kAdmin ? "admin" : "read";
  j["name"] = caller->name;
  j["auth"] = ctx.api_tokens.has_value();
  ReplyJson(res, 200, Dump(j));
}

#define CONSOLE_TRY(lhs, expr)                                       \
  auto VIGIL_CONCAT_(console_try_, __LINE__) = (expr);               \
  if (!VIGIL_CONCAT_(console_try_, __LINE__)) {                      \
    const Error& e_ = VIGIL_CONCAT_(console_try_, __LINE__).error(); \
    ReplyError(res, StatusForError(e_), e_.message);                 \
    return;                                                          \
  }                                                                  \
  lhs = std::move(VIGIL_CONCAT_(console_try_, __LINE__)).value()

void Overview(HttpContext& ctx,
              RateState& rates,
              const httplib::Request& req,
              httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  CONSOLE_TRY(store::FindingQuery q, ParseQuery(req, 1000));
  CONSOLE_TRY(auto lease, ctx.stores->Acquire());
  // One pass: the top 1,000 source addresses feed the networks; every list shows its top 10.
  CONSOLE_TRY(store::FindingStats stats, lease->Stats(q, 1000));
  const auto all_ips = stats.top_source_ips;
  for (auto* top : {&stats.by_type, &stats.top_principals, &stats.top_source_ips}) {
    if (top->size() > 10) top->resize(10);
  }

  ordered_json j;
  j["total"] = stats.total;
  ordered_json sev = ordered_json::object();
  for (auto s :
       {findings::Severity::kCritical, findings::Severity::kHigh, findings::Severity::kMedium,
        findings::Severity::kLow, findings::Severity::kInformational}) {
    sev[std::string(findings::SeverityName(s))] = 0;
  }
  for (const auto& [name, n] : stats.by_severity) sev[name] = n;
  j["by_severity"] = std::move(sev);
  ordered_json status = ordered_json::object();
  for (const auto& [name, n] : stats.by_status) status[name] = n;
  j["by_status"] = std::move(status);
  j["by_type"] = Counts(stats.by_type, "type");
  j["top_principals"] = Counts(stats.top_principals, "principal");
  j["top_source_ips"] = Counts(stats.top_source_ips, "ip");
  std::map<std::string, std::uint64_t> networks;
  for (const auto& [ip, n] : all_ips) networks[NetworkOf(ip)] += n;
  std::vector<std::pair<std::string, std::uint64_t>> top_networks(networks.begin(), networks.end());
  std::stable_sort(top_networks.begin(), top_networks.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (top_networks.size() > 10) top_networks.resize(10);
  j["top_source_networks"] = Counts(top_networks, "network");

  // Ingestion health per cluster: events received (all sources), their rate since the previous
  // overview request, the last event time and KubeAudit.4's verdict.
  const std::int64_t now = NowNanos();
  std::map<std::string, double> received;
  for (const auto& [labels, value] : ctx.metrics->Samples("vigil_events_received_total")) {
    if (!labels.empty()) received[labels[0]] += value;
  }
  std::map<std::string, findings::Finding> delivery;
  if (ctx.delivery != nullptr) {
    for (auto& f : ctx.delivery->Current(now)) delivery[f.cluster] = std::move(f);
  }
  std::map<std::string, std::uint64_t> cluster_findings(stats.by_cluster.begin(),
                                                        stats.by_cluster.end());
  std::set<std::string> clusters;
  for (const auto& [c, v] : received) clusters.insert(c);
  for (const auto& [c, v] : delivery) clusters.insert(c);
  for (const auto& [c, v] : cluster_findings) clusters.insert(c);
  ordered_json health = ordered_json::array();
  {
    std::lock_guard lock(rates.mu);
    for (const std::string& c : clusters) {
      ordered_json h;
      h["cluster"] = c;
      h["findings"] = cluster_findings.count(c) ? cluster_findings[c] : 0;
      const double total = received.count(c) ? received[c] : 0;
      h["events_received"] = total;
      auto& sample = rates.clusters[c];
      if (sample.at != 0 && now - sample.at >= kSecond) {
        sample.rate = (total - sample.total) /
                      (static_cast<double>(now - sample.at) / static_cast<double>(kSecond));
      }
      if (sample.at == 0 || now - sample.at >= kSecond) {
        sample.at = now;
        sample.total = total;
      }
      h["events_per_second"] = sample.rate;
      auto d = delivery.find(c);
      if (d != delivery.end() && d->second.compliance) {
        const auto& comp = *d->second.compliance;
        h["last_event"] = d->second.last_seen > 0
                              ? ordered_json(FormatRfc3339(d->second.last_seen, 0))
                              : ordered_json(nullptr);
        h["delivery"] = findings::ComplianceStatusName(comp.status);
        h["alarm"] = comp.status == findings::ComplianceStatus::kFailed && !comp.reasons.empty()
                         ? ordered_json(comp.reasons.front())
                         : ordered_json(nullptr);
      } else {
        h["last_event"] = nullptr;
        h["delivery"] = nullptr;
        h["alarm"] = nullptr;
      }
      health.push_back(std::move(h));
    }
  }
  j["clusters"] = std::move(health);

  // Failing controls: control findings still open (a PASSED result resolves its finding).
  store::FindingQuery failing;
  failing.type_prefix = "Control:";
  failing.workflow = {findings::WorkflowStatus::kNew, findings::WorkflowStatus::kNotified};
  failing.sort = store::FindingSort::kSeverity;
  failing.limit = 50;
  CONSOLE_TRY(store::FindingPage controls, lease->List(failing));
  ordered_json fc = ordered_json::array();
  for (const auto& f : controls.findings) {
    if (!f.compliance || f.compliance->status == findings::ComplianceStatus::kPassed) continue;
    fc.push_back({{"id", f.id},
                  {"control", f.compliance->control_id},
                  {"status", findings::ComplianceStatusName(f.compliance->status)},
                  {"severity", findings::SeverityName(f.severity)},
                  {"resource", f.compliance->resource_id},
                  {"title", f.title}});
  }
  j["failing_controls_total"] = controls.total;
  j["failing_controls"] = std::move(fc);
  ReplyJson(res, 200, Dump(j));
}

// "1h", "15m", "1d", "30s" → nanoseconds.
Result<std::int64_t> ParseBucket(const std::string& v) {
  auto d = ParseDurationSeconds(v);
  if (!d || *d <= 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("bucket: '{}' is not a duration like 1h, 15m or 1d", v));
  }
  return *d * kSecond;
}

void Timeline(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  CONSOLE_TRY(store::FindingQuery q, ParseQuery(req, 1000));
  const std::int64_t now = NowNanos();
  std::int64_t to = now;
  std::int64_t from = now - 7 * 24 * 3600 * kSecond;
  if (req.has_param("to")) {
    CONSOLE_TRY(to, ParseTime("to", req.get_param_value("to")));
  }
  if (req.has_param("from")) {
    CONSOLE_TRY(from, ParseTime("from", req.get_param_value("from")));
  }
  if (from >= to) {
    ReplyError(res, 400, "from must be before to");
    return;
  }
  std::int64_t bucket = 0;
  if (req.has_param("bucket")) {
    CONSOLE_TRY(bucket, ParseBucket(req.get_param_value("bucket")));
  } else {
    // About 100 buckets over the range, rounded to a whole number of seconds.
    bucket = std::max<std::int64_t>(kSecond, (to - from) / 100 / kSecond * kSecond);
  }
  if ((to - from) / bucket > 5000) {
    ReplyError(res, 400, "bucket: at most 5000 buckets per request; widen the bucket");
    return;
  }
  CONSOLE_TRY(auto lease, ctx.stores->Acquire());
  CONSOLE_TRY(auto buckets, lease->Timeline(q, from, to, bucket));
  ordered_json j;
  j["from"] = FormatRfc3339(from, 3);
  j["to"] = FormatRfc3339(to, 3);
  j["bucket_seconds"] = bucket / kSecond;
  j["severities"] = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
  ordered_json list = ordered_json::array();
  for (const auto& b : buckets) {
    ordered_json counts = ordered_json::array();
    for (auto n : b.by_severity) counts.push_back(n);
    list.push_back({{"start", FormatRfc3339(b.start, 3)}, {"counts", std::move(counts)}});
  }
  j["buckets"] = std::move(list);
  ReplyJson(res, 200, Dump(j));
}

void ExportOne(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  const std::string format = req.get_param_value("format");
  if (format != "asff" && format != "ocsf") {
    ReplyError(res, 400, "format: expected asff or ocsf");
    return;
  }
  CONSOLE_TRY(auto lease, ctx.stores->Acquire());
  CONSOLE_TRY(findings::Finding f, lease->Get(req.matches[1].str()));
  ReplyJson(res, 200,
            Dump(format == "asff" ? findings::FindingToAsff(f) : findings::FindingToOcsf(f)));
}

void ComplianceHistory(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  const std::string id = req.matches[1].str();
  CONSOLE_TRY(auto lease, ctx.stores->Acquire());
  CONSOLE_TRY(findings::Finding f, lease->Get(id));
  CONSOLE_TRY(auto history, lease->ComplianceHistory(id));
  ordered_json j = ordered_json::array();
  for (const auto& c : history) {
    ordered_json evidence = ordered_json::array();
    for (const auto& e : c.evidence) evidence.push_back({{"file", e.file}, {"said", e.said}});
    j.push_back({{"at", FormatRfc3339(c.at, 3)},
                 {"control", c.control},
                 {"status", findings::ComplianceStatusName(c.status)},
                 {"reasons", c.reasons},
                 {"evidence", std::move(evidence)}});
  }
  ReplyJson(res, 200, Dump(j));
}

// The column a control result belongs to: its cluster, else its account (and region).
std::string MatrixColumn(const findings::Finding& f) {
  if (!f.cluster.empty()) return f.cluster;
  if (!f.account.empty()) return f.region.empty() ? f.account : f.account + "/" + f.region;
  return f.compliance ? f.compliance->resource_id : std::string();
}

void ControlsMatrix(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  store::FindingQuery q;
  q.type_prefix = "Control:";
  q.limit = 10000;
  CONSOLE_TRY(auto lease, ctx.stores->Acquire());
  CONSOLE_TRY(store::FindingPage page, lease->List(q));
  std::set<std::string> controls;
  std::set<std::string> columns;
  ordered_json cells = ordered_json::array();
  for (const auto& f : page.findings) {
    if (!f.compliance) continue;
    const auto& c = *f.compliance;
    const std::string column = MatrixColumn(f);
    controls.insert(c.control_id);
    columns.insert(column);
    ordered_json evidence = ordered_json::array();
    for (const auto& e : c.evidence) evidence.push_back({{"file", e.file}, {"said", e.said}});
    cells.push_back(
        {{"control", c.control_id},
         {"column", column},
         {"id", f.id},
         {"status", findings::ComplianceStatusName(c.status)},
         {"severity", findings::SeverityName(f.severity)},
         {"title", f.title},
         {"resource_type", c.resource_type},
         {"resource_id", c.resource_id},
         {"reasons", c.reasons},
         {"evidence", std::move(evidence)},
         {"status_since", c.status_since > 0 ? ordered_json(FormatRfc3339(c.status_since, 0))
                                             : ordered_json(nullptr)},
         {"workflow_status", findings::WorkflowStatusName(f.workflow)}});
  }
  ordered_json j;
  j["controls"] = controls;
  j["columns"] = columns;
  j["cells"] = std::move(cells);
  j["truncated"] = page.total > page.findings.size();
  ReplyJson(res, 200, Dump(j));
}

// ---- the live feed ----

constexpr std::size_t kMaxPerPoll = 200;  // findings sent per poll; more: a "reset" event
constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr std::int64_t kOverlap = 2 * kSecond;  // re-read window for commits that raced a poll
constexpr int kHeartbeatPolls = 30;             // a comment line every ~15 s keeps proxies open

struct FeedState {
  std::atomic<int> clients{0};
};

// One SSE client: polls the store for findings whose updated_at moved (indexed, schema v7) and
// writes them as `event: finding` lines. The queue towards the client is bounded: at most
// kMaxPerPoll findings per poll; when more changed at once the client gets `event: reset` and
// reloads its view instead of a flood. Ends when vigil drains or the client goes away.
void Events(HttpContext& ctx,
            std::shared_ptr<FeedState> feed,
            const httplib::Request& req,
            httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  const int max_clients = std::max(1, static_cast<int>(ctx.config->limits.http_threads) / 2);
  if (feed->clients.fetch_add(1) >= max_clients) {
    feed->clients.fetch_sub(1);
    res.set_header("Retry-After", "5");
    ReplyError(res, 503, "too many live-feed clients; try again later");
    return;
  }
  CONSOLE_TRY(store::FindingQuery filter, ParseQuery(req, 1000));
  filter.limit = kMaxPerPoll + 1;
  filter.sort = store::FindingSort::kUpdatedAt;
  filter.ascending = true;
  // Where to start: the client's Last-Event-ID (the updated_at it saw last), else the newest
  // change in the store now.
  std::int64_t cursor = 0;
  const std::string last = req.get_header_value("Last-Event-ID");
  if (!last.empty()) cursor = std::atoll(last.c_str());
  if (cursor <= 0) {
    auto lease = ctx.stores->Acquire();
    if (lease) {
      store::FindingQuery newest{.limit = 1};
      newest.sort = store::FindingSort::kUpdatedAt;
      if (auto page = (*lease)->List(newest); page && !page->findings.empty()) {
        cursor = page->findings.front().updated_at;
      }
    }
  }
  struct Client {
    std::int64_t cursor = 0;
    std::unordered_map<std::string, std::int64_t> sent;  // id → updated_at, inside the overlap
    int polls = 0;
    bool hello = false;
  };
  auto client = std::make_shared<Client>();
  client->cursor = cursor;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  HttpContext* c = &ctx;
  res.set_chunked_content_provider(
      "text/event-stream",
      [c, client, filter](std::size_t, httplib::DataSink& sink) mutable {
        auto write = [&sink](const std::string& s) { return sink.write(s.data(), s.size()); };
        if (!client->hello) {
          client->hello = true;
          // What changed up to the cursor the client has (or needs not) seen: remember it so the
          // overlap window does not send it again.
          if (auto lease = c->stores->Acquire()) {
            filter.updated_after = client->cursor - kOverlap;
            if (auto page = (*lease)->List(filter)) {
              for (const auto& f : page->findings) {
                if (f.updated_at <= client->cursor) client->sent[f.id] = f.updated_at;
              }
            }
          }
          return write(fmt::format("retry: 3000\nevent: hello\ndata: {{\"cursor\":{}}}\n\n",
                                   client->cursor));
        }
        std::this_thread::sleep_for(kPollInterval);
        if (c->draining || !sink.is_writable()) {
          sink.done();
          return true;
        }
        if (++client->polls % kHeartbeatPolls == 0 && !write(": heartbeat\n\n")) return false;
        auto lease = c->stores->Acquire();
        if (!lease) return true;  // try again at the next poll
        filter.updated_after = client->cursor - kOverlap;
        auto page = (*lease)->List(filter);
        if (!page) return true;
        std::int64_t newest = client->cursor;
        std::string out;
        std::size_t fresh = 0;
        for (const auto& f : page->findings) {
          auto it = client->sent.find(f.id);
          if (it != client->sent.end() && it->second == f.updated_at) continue;
          if (it == client->sent.end() && f.updated_at <= client->cursor - kOverlap) continue;
          client->sent[f.id] = f.updated_at;
          newest = std::max(newest, f.updated_at);
          if (++fresh > kMaxPerPoll) break;
          ordered_json j = findings::FindingToJson(f);
          j.erase("evidence");
          out += fmt::format("id: {}\nevent: finding\ndata: {}\n\n", f.updated_at, Dump(j));
        }
        if (fresh > kMaxPerPoll) {
          // Too many at once for one client: tell it to reload, and skip ahead.
          client->sent.clear();
          auto newest_now = page->findings.back().updated_at;
          client->cursor = std::max(newest, newest_now);
          return write(fmt::format("id: {}\nevent: reset\ndata: {{}}\n\n", client->cursor));
        }
        client->cursor = newest;
        // Forget what fell out of the overlap window.
        std::erase_if(client->sent,
                      [&](const auto& kv) { return kv.second <= client->cursor - kOverlap; });
        return out.empty() ? true : write(out);
      },
      [feed](bool) { feed->clients.fetch_sub(1); });
}

}  // namespace

void RegisterConsoleApi(httplib::Server& http, HttpContext& ctx) {
  auto bind = [&ctx](void (*fn)(HttpContext&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, fn](const httplib::Request& req, httplib::Response& res) { fn(ctx, req, res); };
  };
  auto rates = std::make_shared<RateState>();
  auto feed = std::make_shared<FeedState>();
  const std::string id = "([0-9a-fA-F-]{1,64})";
  http.Get("/api/v1/whoami", bind(WhoAmI));
  http.Get("/api/v1/stats/overview",
           [&ctx, rates](const httplib::Request& req, httplib::Response& res) {
             Overview(ctx, *rates, req, res);
           });
  http.Get("/api/v1/stats/timeline", bind(Timeline));
  http.Get("/api/v1/events", [&ctx, feed](const httplib::Request& req, httplib::Response& res) {
    Events(ctx, feed, req, res);
  });
  http.Get("/api/v1/findings/" + id + "/export", bind(ExportOne));
  http.Get("/api/v1/findings/" + id + "/compliance", bind(ComplianceHistory));
  http.Get("/api/v1/controls/matrix", bind(ControlsMatrix));
}

}  // namespace vigil::server
