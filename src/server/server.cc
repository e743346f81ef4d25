#include "server/server.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "detect/builtin_rules.h"
#include "detect/engine.h"
#include "server/http_context.h"
#include "server/jetstream_front.h"
#include "server/jetstream_worker.h"
#include "server/remediation_api.h"
#include "store/finding_store.h"
#include "server/tls.h"

namespace vigil::server {

// ---- shared helpers (http_context.h) ----

Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(s));
    }
  }
  VIGIL_TRY(auto s, store::OpenFindingStore(db_));
  return Lease(this, std::move(s));
}

void StorePool::Return(std::unique_ptr<store::FindingStore> s) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 16) idle_.push_back(std::move(s));
}

void ReplyJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
  // Audit data inside JSON must never be sniffed into HTML by a browser.
  res.set_header("X-Content-Type-Options", "nosniff");
}

void ReplyError(httplib::Response& res, int status, const std::string& message) {
  nlohmann::ordered_json j;
  j["error"] = message;
  ReplyJson(res, status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  // A refused request may leave its body unread; the connection cannot be reused.
  res.set_header("Connection", "close");
}

std::optional<ApiCaller> AuthorizeApi(HttpContext& ctx,
                                      const httplib::Request& req,
                                      httplib::Response& res,
                                      Role needed) {
  if (!ctx.api_tokens) return ApiCaller{Role::kAdmin, "local"};
  const std::string header = req.get_header_value("Authorization");  // owns what token views
  std::optional<std::string_view> token = BearerToken(header);
  const TokenEntry* e = token ? ctx.api_tokens->Find(*token) : nullptr;
  if (e == nullptr) {
    ctx.metrics->Add("vigil_api_refused_total", {"unauthenticated"});
    res.set_header("WWW-Authenticate", "Bearer");
    ReplyError(res, 401,
               token ? "the bearer token is not an API token"
                     : "this API needs 'Authorization: Bearer TOKEN'");
    return std::nullopt;
  }
  if (needed == Role::kAdmin && e->role != Role::kAdmin) {
    ctx.metrics->Add("vigil_api_refused_total", {"forbidden"});
    ReplyError(res, 403, "this needs an admin token; the token given is read-only");
    return std::nullopt;
  }
  return ApiCaller{e->role, e->name};
}

void DeclareHttpMetrics(Metrics& m) {
  m.Declare("vigil_webhook_request_seconds", MetricType::kHistogram,
            "Time from a webhook request's arrival to its answer (200 = committed), by status.",
            {"code"}, {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  m.Declare("vigil_webhook_refused_total", MetricType::kCounter,
            "Webhook requests refused before or after processing, by reason.", {"reason"});
  m.Declare("vigil_webhook_bytes_total", MetricType::kCounter,
            "Webhook body bytes accepted for processing.", {});
  m.Declare("vigil_api_refused_total", MetricType::kCounter,
            "API requests refused by authentication or authorisation.", {"reason"});
  m.Declare("vigil_findings", MetricType::kGauge, "Findings in the store, by type and severity.",
            {"type", "severity"});
  m.Declare("vigil_rules_loaded", MetricType::kGauge, "Rules in the running rule set.", {});
  m.Declare("vigil_rules_reloads_total", MetricType::kCounter, "Rule reloads, by result.",
            {"result"});
  m.Declare("vigil_tls_reloads_total", MetricType::kCounter,
            "TLS certificate reloads (SIGHUP), by result.", {"result"});
  m.Declare("vigil_spool_depth", MetricType::kGauge,
            "Batches acknowledged but not yet committed: always 0, vigil answers 200 only after "
            "the commit (see vigil_queue_batches for what waits).",
            {});
  m.Declare("vigil_tail_lag_bytes", MetricType::kGauge, "Bytes of a tailed file not yet committed.",
            {"file"});
}

// ---- Server ----

class Server::Impl {
 public:
  std::unique_ptr<RemediationService> remediation;
  std::unique_ptr<httplib::Server> http;
  std::unique_ptr<TlsCredentials> tls;
  std::unique_ptr<StorePool> stores;
  std::unique_ptr<JetStreamFront> front;    // jetstream.role: front
  std::unique_ptr<JetStreamWorker> worker;  // jetstream.role: worker
  HttpContext ctx;
  int port = 0;
  std::mutex reload_mu;
  std::mutex shutdown_mu;
  bool shut_down = false;
  std::vector<std::function<void()>> on_shutdown;

  // KubeAudit.4: the monitor, and the thread that evaluates it into the store.
  std::unique_ptr<controls::DeliveryMonitor> delivery;
  std::thread delivery_thread;
  std::mutex delivery_mu;
  std::condition_variable delivery_cv;
  bool delivery_stop = false;

  void StartDelivery(const ServeConfig& c, Metrics& metrics);
  void StopDelivery();
};

// Evaluates the delivery monitor a few times per window (at most once a minute) and stores what
// changed: a FAILED result when a cluster fell silent, a PASSED one (RESOLVED) when it resumed.
void Server::Impl::StartDelivery(const ServeConfig& c, Metrics& metrics) {
  if (c.delivery_window.count() <= 0) return;
  const auto interval = std::clamp(c.delivery_window / 4, std::chrono::seconds(1),
                                   std::chrono::seconds(60));
  delivery_thread = std::thread([this, db = c.db, interval, &metrics] {
    std::unique_ptr<store::FindingStore> store;
    std::unique_lock lock(delivery_mu);
    while (!delivery_stop) {
      delivery_cv.wait_for(lock, interval);
      if (delivery_stop) break;
      auto changes = delivery->Evaluate(NowNanos());
      if (changes.empty()) continue;
      if (!store) {
        auto opened = store::OpenFindingStore(db);
        if (!opened) {
          std::cerr << "vigil serve: delivery check: " << opened.error().ToString() << "\n";
          continue;
        }
        store = std::move(*opened);
      }
      auto st = store->Upsert(changes, NowNanos());
      metrics.Add("vigil_delivery_changes_total", {st ? "stored" : "failed"},
                  static_cast<double>(changes.size()));
      if (!st) std::cerr << "vigil serve: delivery check: " << st.error().ToString() << "\n";
    }
  });
}

void Server::Impl::StopDelivery() {
  {
    std::lock_guard lock(delivery_mu);
    delivery_stop = true;
  }
  delivery_cv.notify_all();
  if (delivery_thread.joinable()) delivery_thread.join();
}

controls::DeliveryMonitor& Server::delivery() { return *impl_->delivery; }

Server::Server(ServeConfig config) : config_(std::move(config)), impl_(std::make_unique<Impl>()) {}

Server::~Server() { Shutdown(); }

Result<std::unique_ptr<Server>> Server::Create(ServeConfig config) {
  VIGIL_TRY_STATUS(ValidateServeConfig(config));
  std::unique_ptr<Server> s(new Server(std::move(config)));
  const ServeConfig& c = s->config_;
  Impl& impl = *s->impl_;
  DeclareIngestMetrics(s->metrics_);
  DeclareHttpMetrics(s->metrics_);
  s->metrics_.Declare("vigil_delivery_changes_total", MetricType::kCounter,
                      "KubeAudit.4 (audit log delivery) results stored, by outcome.", {"result"});
  controls::DeliveryOptions delivery_options;
  delivery_options.window_seconds = c.delivery_window.count();
  impl.delivery = std::make_unique<controls::DeliveryMonitor>(delivery_options);
  impl.ctx.delivery = impl.delivery.get();

  if (!c.auth.api_token_file.empty()) {
    VIGIL_TRY(impl.ctx.api_tokens, TokenSet::LoadApiTokens(c.auth.api_token_file));
  }
  if (!c.auth.webhook_token_file.empty()) {
    VIGIL_TRY(impl.ctx.webhook_tokens, TokenSet::LoadWebhookTokens(c.auth.webhook_token_file));
  }
  impl.ctx.client_ca = !c.tls.client_ca_file.empty();
  VIGIL_TRY(auto rules, detect::LoadRuleCatalog(!c.no_builtin_rules, c.rules));
  s->metrics_.Set("vigil_rules_loaded", {}, static_cast<double>(rules->rules().size()));
  s->metrics_.Set("vigil_spool_depth", {}, 0);

  IngestOptions io;
  io.queue_batches = c.limits.queue_batches;
  io.queue_bytes = c.limits.queue_bytes;
  io.max_events_per_batch = c.limits.max_events_per_batch;
  io.max_clusters = c.limits.max_clusters;
  io.account = c.account;
  io.region = c.region;
  io.dedup_window_seconds = c.dedup_window_seconds;
  io.dead_letter = c.dead_letter;
  io.attack_sequences = c.attack_sequences;
  io.baselines = c.baselines;
  io.learning_seconds = c.learning_period_seconds;
  io.threat_lists = c.threat_lists;  // loaded, and reloaded on change, by the IngestService
  io.trusted_proxies = c.trusted_proxies;
  io.geoip_databases = c.geoip_databases;
  if (c.has_remediation && !c.config_file.empty()) {
    VIGIL_TRY(impl.remediation, RemediationService::Start(c.config_file, c.db));
    RemediationService* remediation = impl.remediation.get();
    io.on_committed = [remediation](std::vector<std::string> ids) {
      remediation->Enqueue(std::move(ids));
    };
    impl.ctx.remediation = remediation;
  }
  VIGIL_TRY(s->ingest_, IngestService::Start(c.db, std::move(rules), io, s->metrics_));
  impl.stores = std::make_unique<StorePool>(c.db);
  if (c.jetstream.enabled()) {
    DeclareJetStreamMetrics(s->metrics_);
    if (c.jetstream.front()) {
      VIGIL_TRY(impl.front, JetStreamFront::Start(c.jetstream, c.limits.max_events_per_batch,
                                                  s->metrics_));
      impl.ctx.front = impl.front.get();
      impl.ctx.jetstream_unavailable = [f = impl.front.get()] { return f->why_not_connected(); };
    } else {
      VIGIL_TRY(impl.worker, JetStreamWorker::Start(c.jetstream, *s->ingest_,
                                                    impl.delivery.get(), s->metrics_));
      impl.ctx.jetstream_unavailable = [w = impl.worker.get()] {
        return w->why_not_connected();
      };
      std::cerr << fmt::format("vigil serve: jetstream worker {} consuming stream {} ({}.>)\n",
                               impl.worker->id(), c.jetstream.stream, c.jetstream.subject_prefix);
    }
  }

  if (c.tls.enabled()) {
    VIGIL_TRY(impl.tls, TlsCredentials::Load(c.tls.cert_file, c.tls.key_file));
    Status installed = Ok();
    TlsCredentials* creds = impl.tls.get();
    const std::string ca = c.tls.client_ca_file;
    impl.http = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      installed = creds->Install(&ctx, ca);
      return static_cast<bool>(installed);
    });
    VIGIL_TRY_STATUS(installed);
    if (!impl.http->is_valid()) return MakeError(ErrorCode::kConfig, "TLS setup failed");
  } else {
    impl.http = std::make_unique<httplib::Server>();
  }

  impl.ctx.config = &s->config_;
  impl.ctx.metrics = &s->metrics_;
  impl.ctx.ingest = s->ingest_.get();
  impl.ctx.stores = impl.stores.get();
  Server* self = s.get();
  impl.ctx.reload = [self] { return self->Reload(); };

  httplib::Server& http = *impl.http;
  const std::size_t threads = c.limits.http_threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(c.limits.max_body_bytes);
  http.set_read_timeout(c.limits.read_timeout);
  http.set_write_timeout(c.limits.read_timeout);
  http.set_keep_alive_timeout(5);
  // Answers are small and written in pieces; without this, Nagle's algorithm and the client's
  // delayed ACK hold each 200 back by ~40 ms.
  http.set_tcp_nodelay(true);
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = fmt::format("internal error: {}", e.what());
        } catch (...) {
        }
        ReplyError(res, 500, what);
      });
  HttpContext& ctx = impl.ctx;
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, 200, R"({"status":"ok"})");
  });
  http.Get("/readyz", [&ctx](const httplib::Request&, httplib::Response& res) {
    // Ready: rules are loaded (they always are once Create succeeded), the store answers, and
    // vigil is not draining.
    if (ctx.draining) {
      ReplyJson(res, 503, R"({"status":"draining"})");
      return;
    }
    if (ctx.jetstream_unavailable) {
      if (std::string why = ctx.jetstream_unavailable(); !why.empty()) {
        nlohmann::ordered_json j{{"status", "jetstream unavailable"}, {"reason", why}};
        ReplyJson(res, 503, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return;
      }
    }
    auto lease = ctx.stores->Acquire();
    if (!lease || !(*lease)->List({.limit = 1})) {
      ReplyJson(res, 503, R"({"status":"store unavailable"})");
      return;
    }
    ReplyJson(res, 200, R"({"status":"ready"})");
  });
  http.Get("/metrics", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!AuthorizeApi(ctx, req, res, Role::kRead)) return;
    if (auto lease = ctx.stores->Acquire()) {
      if (auto counts = (*lease)->CountByTypeAndSeverity()) {
        std::vector<std::pair<std::vector<std::string>, double>> samples;
        for (const auto& [key, n] : *counts) {
          samples.push_back({{key.first, key.second}, static_cast<double>(n)});
        }
        ctx.metrics->ReplaceAll("vigil_findings", samples);
      }
    }
    res.status = 200;
    res.set_content(ctx.metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  RegisterWebhook(http, ctx);
  RegisterApi(http, ctx);
  RegisterConsoleApi(http, ctx);
  RegisterConsoleAssets(http);
  RegisterRemediationApi(http, ctx);
  if (!ctx.api_tokens) {
    std::cerr << "vigil serve: warning: no --api-token-file: the API is open to anyone who can "
                 "reach "
              << c.listen << "\n";
  }
  if (!ctx.webhook_tokens && !ctx.client_ca) {
    std::cerr << "vigil serve: warning: no webhook authentication: anyone who can reach "
              << c.listen << " can post audit events\n";
  }
  return s;
}

Result<int> Server::Listen() {
  VIGIL_TRY(ListenAddress addr, ParseListenAddress(config_.listen));
  int port = addr.port;
  if (port == 0) {
    port = impl_->http->bind_to_any_port(addr.host);
    if (port <= 0) {
      return MakeError(ErrorCode::kIo, fmt::format("cannot listen on {}", config_.listen));
    }
  } else if (!impl_->http->bind_to_port(addr.host, port)) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot listen on {} (in use, or not an address of this machine)",
                                 config_.listen));
  }
  impl_->port = port;
  impl_->StartDelivery(config_, metrics_);
  return port;
}

void Server::Serve() { impl_->http->listen_after_bind(); }

void Server::OnShutdown(std::function<void()> fn) {
  std::lock_guard lock(impl_->shutdown_mu);
  impl_->on_shutdown.push_back(std::move(fn));
}

ReloadReport Server::Reload() {
  std::lock_guard lock(impl_->reload_mu);
  ReloadReport report;
  auto rules = detect::LoadRuleCatalog(!config_.no_builtin_rules, config_.rules);
  if (!rules) {
    report.error = rules.error().ToString();
    auto current = ingest_->rules();
    report.rules = current ? current->rules().size() : 0;
    metrics_.Add("vigil_rules_reloads_total", {"error"});
    std::cerr << "vigil serve: rules reload failed, the previous rules keep running:\n"
              << report.error << "\n";
  } else {
    report.ok = true;
    report.rules = (*rules)->rules().size();
    ingest_->SwapRules(std::move(*rules));
    metrics_.Add("vigil_rules_reloads_total", {"ok"});
    metrics_.Set("vigil_rules_loaded", {}, static_cast<double>(report.rules));
    std::cerr << "vigil serve: rules reloaded (" << report.rules << " rules)\n";
  }
  if (impl_->tls) {
    if (Status st = impl_->tls->Reload(); !st) {
      metrics_.Add("vigil_tls_reloads_total", {"error"});
      std::cerr << "vigil serve: TLS reload failed, the previous certificate stays: "
                << st.error().ToString() << "\n";
      if (report.ok) {
        report.ok = false;
        report.error = st.error().ToString();
      }
    } else {
      metrics_.Add("vigil_tls_reloads_total", {"ok"});
    }
  }
  return report;
}

bool Server::Shutdown() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(impl_->shutdown_mu);
    if (impl_->shut_down) return true;
    impl_->shut_down = true;
    hooks.swap(impl_->on_shutdown);
  }
  const auto deadline = std::chrono::steady_clock::now() + config_.shutdown_timeout;
  impl_->ctx.draining = true;  // new webhook batches get 503 (the API server retries elsewhere)
  for (auto& hook : hooks) hook();
  // The worker finishes its batch (commit, ack) and gives its leases back before ingest stops.
  if (impl_->worker) impl_->worker->Stop();
  impl_->StopDelivery();
  // Stops accepting; in-flight requests finish (their batches are committed by the worker).
  if (impl_->http) impl_->http->stop();
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  const bool drained = ingest_ ? ingest_->Stop(std::max(left, std::chrono::milliseconds(1))) : true;
  // After the ingest worker: nothing feeds it any more.
  if (impl_->remediation) impl_->remediation->Stop();
  return drained;
}

}  // namespace vigil::server
