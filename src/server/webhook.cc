// POST /k8s-audit: the API server's audit webhook backend (and Falco's k8saudit endpoint).
//
// Order of checks, cheapest first and before any byte of the body is read: draining (503),
// authentication (401/403), cluster name (400/403), declared size (413). Then the body is read
// with the size bound, queued (429 when the queue is full) and answered only when the batch's
// findings are committed (200) or the batch was refused (400/413/503).
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "server/http_context.h"
#include "server/jetstream_front.h"
#include "server/tls.h"

namespace vigil::server {
namespace {

struct WebhookCaller {
  std::string cluster;  // from the credential; empty when it names none
};

// Authenticates a webhook caller by client certificate or bearer token. Writes the refusal and
// returns nullopt when neither is acceptable.
std::optional<WebhookCaller> AuthorizeWebhook(HttpContext& ctx,
                                              const httplib::Request& req,
                                              httplib::Response& res) {
  if (!ctx.webhook_tokens && !ctx.client_ca) return WebhookCaller{};
  if (ctx.client_ca) {
    if (auto cn = VerifiedClientCommonName(req.ssl)) return WebhookCaller{*cn};
  }
  if (ctx.webhook_tokens && req.has_header("Authorization")) {
    const std::string header = req.get_header_value("Authorization");
    auto token = BearerToken(header);
    if (token) {
      if (const TokenEntry* e = ctx.webhook_tokens->Find(*token)) return WebhookCaller{e->name};
    }
    ReplyError(res, 401, "the bearer token is not a webhook token");
    return std::nullopt;
  }
  if (ctx.api_tokens && req.has_header("Authorization")) {
    ReplyError(res, 403, "API tokens may not post audit events");
    return std::nullopt;
  }
  res.set_header("WWW-Authenticate", "Bearer");
  ReplyError(res, 401,
             ctx.client_ca ? "authenticate with a client certificate signed by the configured CA "
                             "or a webhook bearer token"
                           : "authenticate with a webhook bearer token");
  return std::nullopt;
}

int StatusFor(IngestCode code) {
  switch (code) {
    case IngestCode::kCommitted:
      return 200;
    case IngestCode::kNoEvents:
      return 400;
    case IngestCode::kTooManyEvents:
      return 413;
    case IngestCode::kOverloaded:
      return 429;
    case IngestCode::kShuttingDown:
    case IngestCode::kStoreFailed:
      return 503;
  }
  return 500;
}

void HandleWebhook(HttpContext& ctx,
                   const httplib::Request& req,
                   httplib::Response& res,
                   const httplib::ContentReader& content_reader) {
  const std::string source = "webhook";
  auto refuse = [&](int status, const std::string& reason, const std::string& why) {
    ctx.metrics->Add("vigil_webhook_refused_total", {why});
    ReplyError(res, status, reason);
    if (status == 429 || status == 503) res.set_header("Retry-After", "1");
  };
  if (ctx.draining) {
    refuse(503, "vigil is shutting down", "shutting_down");
    return;
  }
  auto caller = AuthorizeWebhook(ctx, req, res);
  if (!caller) {
    ctx.metrics->Add("vigil_webhook_refused_total", {"unauthenticated"});
    return;
  }
  std::string cluster = req.get_param_value("cluster");
  if (!cluster.empty() && !IsValidClusterName(cluster)) {
    refuse(400, "cluster: expected 1-63 of A-Z a-z 0-9 . _ -", "bad_cluster");
    return;
  }
  if (!caller->cluster.empty()) {
    if (!cluster.empty() && cluster != caller->cluster) {
      refuse(403,
             fmt::format("this credential speaks for cluster '{}', not '{}'", caller->cluster,
                         cluster),
             "wrong_cluster");
      return;
    }
    cluster = caller->cluster;
  }
  if (cluster.empty()) cluster = ctx.config->cluster;
  if (!IsValidClusterName(cluster)) {
    refuse(400,
           "the caller's identity is not a usable cluster name; pass ?cluster=", "bad_cluster");
    return;
  }
  const std::size_t limit = ctx.config->limits.max_body_bytes;
  const std::string too_large = fmt::format(
      "request body larger than {} bytes (limits.max_body); lower the API server's "
      "--audit-webhook-batch-max-size or raise the limit",
      limit);
  if (req.has_header("Content-Length")) {
    std::uint64_t declared = 0;
    try {
      declared = std::stoull(req.get_header_value("Content-Length"));
    } catch (...) {
      declared = 0;
    }
    if (declared > limit) {
      res.set_header("Connection", "close");
      refuse(413, too_large, "too_large");
      return;
    }
  }
  std::string body;
  bool over = false;
  const bool read_ok = content_reader([&](const char* data, size_t len) {
    if (body.size() + len > limit) {
      over = true;
      return false;
    }
    body.append(data, len);
    return true;
  });
  if (over || !read_ok) {
    res.set_header("Connection", "close");
    if (over || res.status == 413) {
      refuse(413, too_large, "too_large");
    } else {
      refuse(400, "the request body could not be read (timeout or broken connection)",
             "read_failed");
    }
    return;
  }
  ctx.metrics->Add("vigil_webhook_bytes_total", {}, static_cast<double>(body.size()));
  if (ctx.front != nullptr) {
    // The thin front: 200 only once JetStream acknowledged every event (jetstream_front.h).
    IngestOutcome outcome = ctx.front->Publish(body, cluster);
    const int status = StatusFor(outcome.code);
    if (status != 200) {
      refuse(status, outcome.message, std::string(IngestCodeName(outcome.code)));
      return;
    }
    nlohmann::ordered_json j;
    j["status"] = "published";
    j["cluster"] = cluster;
    j["events"] = outcome.events;
    j["rejected"] = outcome.rejected;
    ReplyJson(res, 200, j.dump());
    return;
  }
  IngestCode refused = IngestCode::kOverloaded;
  auto future = ctx.ingest->TrySubmit(IngestBatch{std::move(body), cluster, source}, &refused);
  if (!future) {
    refuse(StatusFor(refused),
           refused == IngestCode::kOverloaded
               ? "vigil is busy: the ingest queue is full; retry later"
               : "vigil is shutting down",
           std::string(IngestCodeName(refused)));
    return;
  }
  // The batch is being processed; waiting is bounded by the shutdown timeout, because the worker
  // answers every batch it took, and refuses the rest when it stops.
  IngestOutcome outcome = future->get();
  const int status = StatusFor(outcome.code);
  if (status != 200) {
    refuse(status, outcome.message, std::string(IngestCodeName(outcome.code)));
    return;
  }
  if (ctx.delivery != nullptr && outcome.events > 0) ctx.delivery->Observe(cluster, NowNanos());
  nlohmann::ordered_json j;
  j["status"] = "committed";
  j["cluster"] = cluster;
  j["events"] = outcome.events;
  j["rejected"] = outcome.rejected;
  j["findings"] = outcome.findings;
  ReplyJson(res, 200, j.dump());
}

}  // namespace

void RegisterWebhook(httplib::Server& http, HttpContext& ctx) {
  http.Post("/k8s-audit", [&ctx](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& content_reader) {
    const auto started = std::chrono::steady_clock::now();
    HandleWebhook(ctx, req, res, content_reader);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.metrics->Observe("vigil_webhook_request_seconds", {std::to_string(res.status)}, seconds);
  });
}

}  // namespace vigil::server
