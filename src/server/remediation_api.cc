#include "server/remediation_api.h"

#include <fmt/format.h>

#include <iostream>

#include "base/time.h"
#include "remediate/journal.h"
#include "server/http_context.h"

namespace vigil::server {
namespace {

using nlohmann::json;
using remediate::ApprovalOutcome;

std::string IdOf(const httplib::Request& req) { return req.matches.size() > 1 ? req.matches[1].str() : ""; }

std::size_t LimitOf(const httplib::Request& req, std::size_t dflt, std::size_t max) {
  if (!req.has_param("limit")) return dflt;
  try {
    const long v = std::stol(req.get_param_value("limit"));
    if (v <= 0) return dflt;
    return std::min(static_cast<std::size_t>(v), max);
  } catch (...) {
    return dflt;
  }
}

// The JSON object body of a POST ({} when empty); nullopt after replying 400.
std::optional<json> Body(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ReplyError(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  for (const char* key : {"hash", "note"}) {
    if (j.contains(key) && !j[key].is_string()) {
      ReplyError(res, 400, fmt::format("'{}' must be a string", key));
      return std::nullopt;
    }
  }
  return j;
}

bool Ready(HttpContext& ctx, httplib::Response& res) {
  if (ctx.remediation != nullptr) return true;
  ReplyError(res, 404, "remediation is not configured (no remediation: key in the config)");
  return false;
}

void ListPlans(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead) || !Ready(ctx, res)) return;
  remediate::PlanQuery q;
  const std::string state = req.has_param("state") ? req.get_param_value("state") : "all";
  if (state != "all") {
    q.state = remediate::ParsePlanState(state);
    if (!q.state) {
      ReplyError(res, 400, "state: expected awaiting_approval, planned, applied, rejected, "
                           "expired, failed or all");
      return;
    }
  }
  q.finding_id = req.get_param_value("finding");
  q.limit = LimitOf(req, 50, 500);
  q.cursor = req.get_param_value("cursor");
  auto page = ctx.remediation->WithEngine(
      [&](remediate::Engine&, remediate::RemediationStateStore& st) { return st.ListPlans(q); });
  if (!page) {
    ReplyError(res, page.error().code == ErrorCode::kInvalidArgument ? 400 : 500,
               page.error().message);
    return;
  }
  json plans = json::array();
  for (const auto& p : page->plans) plans.push_back(remediate::PlanJson(p));
  ReplyJson(res, 200,
            json{{"plans", plans},
                 {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}
                .dump());
}

void GetPlan(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead) || !Ready(ctx, res)) return;
  const std::string id = IdOf(req);
  auto plan = ctx.remediation->WithEngine(
      [&](remediate::Engine&, remediate::RemediationStateStore& st) { return st.GetPlan(id); });
  if (!plan) {
    ReplyError(res, plan.error().code == ErrorCode::kNotFound ? 404 : 500, plan.error().message);
    return;
  }
  ReplyJson(res, 200, remediate::PlanJson(*plan).dump());
}

void Decide(HttpContext& ctx, const httplib::Request& req, httplib::Response& res, bool approve) {
  auto caller = AuthorizeApi(ctx, req, res, Role::kAdmin);
  if (!caller || !Ready(ctx, res)) return;
  auto body = Body(req, res);
  if (!body) return;
  const std::string id = IdOf(req);
  const std::string hash = body->value("hash", "");
  const std::string note = body->value("note", "");
  auto outcome = ctx.remediation->WithEngine(
      [&](remediate::Engine& e, remediate::RemediationStateStore&) {
        return approve ? e.Approve(id, hash, note, caller->name, NowNanos())
                       : e.Reject(id, note, caller->name, NowNanos());
      });
  if (!outcome) {
    ReplyError(res,
               outcome.error().code == ErrorCode::kNotFound ? 404
               : remediate::IsBusy(outcome.error())        ? 409
                                                            : 500,
               outcome.error().message);
    return;
  }
  switch (outcome->kind) {
    case ApprovalOutcome::Kind::kApproved:
    case ApprovalOutcome::Kind::kRejected:
      // The worker applies an approved plan on its next pass over the finding.
      ctx.remediation->Enqueue({outcome->plan.finding_id});
      ReplyJson(res, 200, remediate::PlanJson(outcome->plan).dump());
      return;
    case ApprovalOutcome::Kind::kExpired:
      ReplyError(res, 410, outcome->message);
      return;
    case ApprovalOutcome::Kind::kHashMismatch:
    case ApprovalOutcome::Kind::kNotAwaiting:
      ReplyError(res, 409, outcome->message);
      return;
  }
}

void Approve(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Decide(ctx, req, res, true);
}
void Reject(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Decide(ctx, req, res, false);
}

void Journal(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead) || !Ready(ctx, res)) return;
  const std::size_t limit = LimitOf(req, 100, 1000);
  std::int64_t after = 0;
  if (req.has_param("cursor")) {
    try {
      after = std::stoll(req.get_param_value("cursor"));
    } catch (...) {
      ReplyError(res, 400, "cursor: not a cursor from a previous page");
      return;
    }
  }
  const std::string finding = req.get_param_value("finding");
  auto result = ctx.remediation->WithEngine(
      [&](remediate::Engine&, remediate::RemediationStateStore& st)
          -> Result<std::pair<std::vector<remediate::JournalEntry>, bool>> {
        VIGIL_TRY(auto all, st.ListJournal(0, 0, ""));
        const bool verified = remediate::VerifyJournal(all).ok;
        VIGIL_TRY(auto page, st.ListJournal(after, limit + 1, finding));
        return std::make_pair(std::move(page), verified);
      });
  if (!result) {
    ReplyError(res, 500, result.error().message);
    return;
  }
  auto& [page, verified] = *result;
  json next = nullptr;
  if (page.size() > limit) {
    page.resize(limit);
    next = std::to_string(page.back().seq);
  }
  json entries = json::array();
  for (const auto& e : page) entries.push_back(remediate::JournalEntryJson(e));
  ReplyJson(res, 200,
            json{{"entries", entries}, {"next_cursor", next}, {"verified", verified}}.dump());
}

void Rollback(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto caller = AuthorizeApi(ctx, req, res, Role::kAdmin);
  if (!caller || !Ready(ctx, res)) return;
  const std::string id = IdOf(req);
  auto entry = ctx.remediation->WithEngine(
      [&](remediate::Engine& e, remediate::RemediationStateStore&) {
        return e.Rollback(id, caller->name, NowNanos());
      });
  if (!entry) {
    const ErrorCode c = entry.error().code;
    ReplyError(res,
               c == ErrorCode::kNotFound           ? 404
               : c == ErrorCode::kInvalidArgument  ? 409
               : c == ErrorCode::kUnsupported      ? 422
               : remediate::IsBusy(entry.error())  ? 409
                                                   : 502,
               entry.error().message);
    return;
  }
  ReplyJson(res, 200, remediate::JournalEntryJson(*entry).dump());
}

void Status(HttpContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!AuthorizeApi(ctx, req, res, Role::kRead) || !Ready(ctx, res)) return;
  auto status = ctx.remediation->WithEngine(
      [&](remediate::Engine& e, remediate::RemediationStateStore&) {
        return e.StatusJson(NowNanos());
      });
  if (!status) {
    ReplyError(res, 500, status.error().message);
    return;
  }
  ReplyJson(res, 200, status->dump());
}

}  // namespace

Result<std::unique_ptr<RemediationService>> RemediationService::Start(
    const std::string& config_file, const std::string& db) {
  VIGIL_TRY(remediate::RemediationConfig config, remediate::LoadRemediationConfig(config_file));
  std::unique_ptr<RemediationService> s(new RemediationService());
  VIGIL_TRY(s->runtime_, remediate::RemediationRuntime::Create(config, false));
  VIGIL_TRY(s->api_runtime_, remediate::RemediationRuntime::Create(config, false));
  VIGIL_TRY(s->findings_, store::OpenFindingStore(db));
  VIGIL_TRY(s->api_findings_, store::OpenFindingStore(db));
  VIGIL_TRY(s->state_, store::OpenRemediationState(db));
  VIGIL_TRY(s->api_state_, store::OpenRemediationState(db));
  RemediationService* self = s.get();
  s->thread_ = std::thread([self] { self->Run(); });
  return s;
}

RemediationService::~RemediationService() { Stop(); }

void RemediationService::Enqueue(std::vector<std::string> ids) {
  {
    std::lock_guard lock(mu_);
    for (std::string& id : ids) {
      if (queued_.size() >= kMaxQueued) break;
      queued_.insert(std::move(id));
    }
  }
  cv_.notify_one();
}

void RemediationService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void RemediationService::Run() {
  try {
    for (;;) {
      std::set<std::string> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queued_.empty(); });
        if (stop_) return;
        batch.swap(queued_);
      }
      std::vector<findings::Finding> list;
      for (const std::string& id : batch) {
        auto f = findings_->Get(id);
        if (f) list.push_back(std::move(*f));
      }
      remediate::Engine engine(runtime_->Deps(state_.get(), findings_.get()));
      auto report = engine.Process(list, NowNanos(), true);
      if (!report) {
        std::cerr << "vigil serve: remediation: " << report.error().ToString() << "\n";
        continue;
      }
      for (const remediate::RunNote& n : report->notes) {
        if (n.kind == "error") {
          std::cerr << "vigil serve: remediation: finding " << n.finding_id << ": " << n.text
                    << "\n";
        }
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "vigil serve: remediation worker stopped: " << e.what() << "\n";
  }
}

void RegisterRemediationApi(httplib::Server& http, HttpContext& ctx) {
  auto bind = [&ctx](void (*fn)(HttpContext&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, fn](const httplib::Request& req, httplib::Response& res) { fn(ctx, req, res); };
  };
  const std::string id = "([0-9a-fA-F-]{1,64})";
  http.Get("/api/v1/remediation/plans", bind(ListPlans));
  http.Get("/api/v1/remediation/plans/" + id, bind(GetPlan));
  http.Post("/api/v1/remediation/plans/" + id + "/approve", bind(Approve));
  http.Post("/api/v1/remediation/plans/" + id + "/reject", bind(Reject));
  http.Get("/api/v1/remediation/journal", bind(Journal));
  http.Post("/api/v1/remediation/actions/" + id + "/rollback", bind(Rollback));
  http.Get("/api/v1/remediation/status", bind(Status));
}

}  // namespace vigil::server
