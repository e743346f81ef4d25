// The REST API under /api/v1/ (docs/http-api.md): findings, workflow, suppressions, export and
// rules reload. Every response is JSON; every error is {"error": "..."} with a 4xx/5xx status.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "findings/encode/asff.h"
#include "findings/encode/json.h"
#include "findings/encode/ocsf.h"
#include "server/api_bodies.h"
#include "server/http_context.h"
#include "server/server.h"

namespace vigil::server {
namespace {

using nlohmann::ordered_json;

constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMaxExport = 10000;

}  // namespace

int StatusForError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse:
    case ErrorCode::kConfig:
      return 400;
    default:
      return 503;
  }
}

namespace {

Result<std::size_t> ParseCount(const httplib::Request& req, const char* name, std::size_t dflt) {
  if (!req.has_param(name)) return dflt;
  const std::string v = req.get_param_value(name);
  std::size_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: '{}' is not a whole number", name, v));
  }
  return out;
}

}  // namespace

Result<UnixNanos> ParseTime(const std::string& name, const std::string& v) {
  if (auto t = ParseRfc3339(v)) return *t;
  if (auto d = ParseDurationSeconds(v)) return NowNanos() - *d * 1'000'000'000;
  return MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("{}: '{}' is neither an RFC 3339 time nor a duration like 24h", name, v));
}

namespace {

// A comma list parameter, each item through `parse`; empty when the parameter is absent.
template <typename T, typename Parse>
Result<std::vector<T>> ParseList(const httplib::Request& req,
                                 const char* name,
                                 Parse parse,
                                 std::string_view what) {
  std::vector<T> out;
  const std::string param = req.get_param_value(name);  // owns what `all` views
  std::string_view all = param;
  while (!all.empty()) {
    auto comma = all.find(',');
    std::string_view one = all.substr(0, comma);
    auto v = parse(one);
    if (!v) {
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: '{}' {}", name, one, what));
    }
    out.push_back(*v);
    all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
  }
  return out;
}

}  // namespace

Result<store::FindingQuery> ParseQuery(const httplib::Request& req, std::size_t max_limit) {
  store::FindingQuery q;
  if (req.has_param("severity")) {
    q.min_severity = findings::ParseSeverity(req.get_param_value("severity"));
    if (!q.min_severity) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "severity: expected INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL");
    }
  }
  VIGIL_TRY(q.severities,
            ParseList<findings::Severity>(req, "severities", findings::ParseSeverity,
                                          "is not INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL"));
  q.type = req.get_param_value("type");
  q.type_prefix = req.get_param_value("type_prefix");
  q.cluster = req.get_param_value("cluster");
  q.principal = req.get_param_value("principal");
  q.ns = req.get_param_value("namespace");
  if (req.has_param("since")) {
    VIGIL_TRY(q.since, ParseTime("since", req.get_param_value("since")));
  }
  if (req.has_param("until")) {
    VIGIL_TRY(q.until, ParseTime("until", req.get_param_value("until")));
  }
  VIGIL_TRY(q.workflow,
            ParseList<findings::WorkflowStatus>(req, "status", findings::ParseWorkflowStatus,
                                                "is not NEW, NOTIFIED, RESOLVED or SUPPRESSED"));
  q.text = req.get_param_value("q");
  if (q.text.size() > 200) {
    return MakeError(ErrorCode::kInvalidArgument, "q: at most 200 characters");
  }
  if (req.has_param("sort")) {
    const std::string sort = req.get_param_value("sort");
    auto parsed = store::ParseFindingSort(sort);
    if (!parsed) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("sort: '{}' is not one of last_seen, first_seen, updated_at, "
                                   "severity, count, type, title, cluster, principal, namespace, "
                                   "status",
                                   sort));
    }
    q.sort = *parsed;
  }
  if (req.has_param("order")) {
    const std::string order = req.get_param_value("order");
    if (order != "asc" && order != "desc") {
      return MakeError(ErrorCode::kInvalidArgument, "order: expected asc or desc");
    }
    q.ascending = order == "asc";
  }
  VIGIL_TRY(q.limit, ParseCount(req, "limit", 100));
  VIGIL_TRY(q.offset, ParseCount(req, "offset", 0));
  if (q.limit == 0 || q.limit > max_limit) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("limit: 1 to {}", max_limit));
  }
  return q;
}

namespace {

ordered_json SuppressionJson(const store::Suppression& s) {
  ordered_json j;
  j["id"] = s.id;
  j["type"] = s.type;
  j["principal"] = s.principal;
  j["namespace"] = s.ns;
  j["image_prefix"] = s.image_prefix;
  j["expires"] =
      s.expires_at == 0 ? ordered_json(nullptr) : ordered_json(FormatRfc3339(s.expires_at, 0));
  j["created"] = FormatRfc3339(s.created_at, 3);
  j["actor"] = s.actor;
  j["note"] = s.note;
  return j;
}

#define API_TRY(lhs, expr)                                       \
  auto VIGIL_CONCAT_(api_try_, __LINE__) = (expr);               \
  if (!VIGIL_CONCAT_(api_try_, __LINE__)) {                      \
    const Error& e_ = VIGIL_CONCAT_(api_try_, __LINE__).error(); \
    ReplyError(res, StatusForError(e_), e_.message);             \
    return;                                                      \
  }                                                              \
  lhs = std::move(VIGIL_CONCAT_(api_try_, __LINE__)).value()

void ListFindings(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  API_TRY(store::FindingQuery q, ParseQuery(req, kMaxPage));
  API_TRY(auto lease, ctx.stores->Acquire());
  API_TRY(store::FindingPage page, lease->List(q));
  ordered_json j;
  j["total"] = page.total;
  j["offset"] = q.offset;
  j["limit"] = q.limit;
  j["findings"] = ordered_json::array();
  for (const auto& f : page.findings) {
    ordered_json fj = findings::FindingToJson(f);
    fj.erase("evidence");
    j["findings"].push_back(std::move(fj));
  }
  ReplyJson(res, 200, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void GetFinding(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  API_TRY(auto lease, ctx.stores->Acquire());
  API_TRY(findings::Finding f, lease->Get(req.matches[1].str()));
  // Evidence was redacted by the engine before it was stored (event/redact.h).
  ReplyJson(
      res, 200,
      findings::FindingToJson(f).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void GetHistory(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  API_TRY(auto lease, ctx.stores->Acquire());
  const std::string id = req.matches[1].str();
  API_TRY(findings::Finding f, lease->Get(id));
  API_TRY(auto history, lease->History(id));
  ordered_json j = ordered_json::array();
  for (const auto& c : history) {
    j.push_back({{"at", FormatRfc3339(c.at, 3)},
                 {"actor", c.actor},
                 {"from", findings::WorkflowStatusName(c.from)},
                 {"to", findings::WorkflowStatusName(c.to)},
                 {"note", c.note}});
  }
  ReplyJson(res, 200, j.dump());
}

void SetWorkflow(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto caller = AuthorizeApi(ctx, req, res, Role::kAdmin);
  if (!caller) return;
  API_TRY(WorkflowUpdate update, ParseWorkflowUpdate(req.body));
  const std::string id = req.matches[1].str();
  API_TRY(auto lease, ctx.stores->Acquire());
  if (Status st =
          lease->SetWorkflowStatus(id, update.status, caller->name, update.note, NowNanos());
      !st) {
    ReplyError(res, StatusForError(st.error()), st.error().message);
    return;
  }
  API_TRY(findings::Finding f, lease->Get(id));
  ordered_json j = findings::FindingToJson(f);
  j.erase("evidence");
  ReplyJson(res, 200, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ListSuppressions(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  API_TRY(auto lease, ctx.stores->Acquire());
  API_TRY(auto rules, lease->ListSuppressions());
  ordered_json j = ordered_json::array();
  for (const auto& s : rules) j.push_back(SuppressionJson(s));
  ReplyJson(res, 200, j.dump());
}

void AddSuppression(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto caller = AuthorizeApi(ctx, req, res, Role::kAdmin);
  if (!caller) return;
  API_TRY(store::Suppression s, ParseSuppressionRequest(req.body));
  s.actor = caller->name;
  API_TRY(auto lease, ctx.stores->Acquire());
  API_TRY(auto added, lease->AddSuppression(std::move(s), NowNanos()));
  ordered_json j;
  j["suppression"] = SuppressionJson(added.first);
  j["archived"] = added.second;
  ReplyJson(res, 201, j.dump());
}

void DeleteSuppression(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kAdmin)) return;
  API_TRY(auto lease, ctx.stores->Acquire());
  if (Status st = lease->DeleteSuppression(req.matches[1].str()); !st) {
    ReplyError(res, StatusForError(st.error()), st.error().message);
    return;
  }
  ReplyJson(res, 200, R"({"deleted":true})");
}

void Export(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
  const std::string format = req.get_param_value("format");
  if (format != "asff" && format != "ocsf") {
    ReplyError(res, 400, "format: expected asff or ocsf");
    return;
  }
  API_TRY(store::FindingQuery q, ParseQuery(req, kMaxExport));
  q.with_evidence = true;
  API_TRY(auto lease, ctx.stores->Acquire());
  API_TRY(store::FindingPage page, lease->List(q));
  ordered_json list = ordered_json::array();
  for (const auto& f : page.findings) {
    list.push_back(format == "asff" ? findings::FindingToAsff(f) : findings::FindingToOcsf(f));
  }
  // ASFF: the body BatchImportFindings takes; OCSF: an array of Detection Findings.
  ordered_json j = format == "asff" ? ordered_json{{"Findings", std::move(list)}} : std::move(list);
  res.set_header("X-Total-Count", std::to_string(page.total));
  ReplyJson(res, 200, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ReloadRules(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kAdmin)) return;
  ReloadReport r = ctx.reload();
  ordered_json j;
  j["reloaded"] = r.ok;
  j["rules"] = r.rules;
  if (!r.ok) j["error"] = r.error;
  ReplyJson(res, r.ok ? 200 : 422, j.dump());
}

}  // namespace

void RegisterApi(httplib::Server& http, HttpContext& ctx) {
  auto bind = [&ctx](void (*fn)(HttpContext&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, fn](const httplib::Request& req, httplib::Response& res) { fn(ctx, req, res); };
  };
  const std::string id = "([0-9a-fA-F-]{1,64})";
  http.Get("/api/v1/findings", bind(ListFindings));
  http.Get("/api/v1/findings/" + id, bind(GetFinding));
  http.Get("/api/v1/findings/" + id + "/history", bind(GetHistory));
  http.Post("/api/v1/findings/" + id + "/workflow", bind(SetWorkflow));
  http.Get("/api/v1/suppressions", bind(ListSuppressions));
  http.Post("/api/v1/suppressions", bind(AddSuppression));
  http.Delete("/api/v1/suppressions/" + id, bind(DeleteSuppression));
  http.Get("/api/v1/export", bind(Export));
  http.Post("/api/v1/rules/reload", bind(ReloadRules));
}

}  // namespace vigil::server
