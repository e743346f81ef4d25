// What the HTTP handlers (webhook.cc, api.cc, server.cc) share: the configuration, the
// credentials, the ingest service, store connections for readers, and the JSON reply helpers.
// Internal to src/server.
#ifndef VIGIL_SERVER_HTTP_CONTEXT_H_
#define VIGIL_SERVER_HTTP_CONTEXT_H_

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "controls/delivery_monitor.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/ingest_service.h"
#include "server/metrics.h"
#include "store/finding_store.h"

namespace vigil::server {

// Store connections for request threads: a FindingStore is used by one thread at a time, so each
// request borrows one and gives it back.
class StorePool {
 public:
  explicit StorePool(std::string db) : db_(std::move(db)) {}

  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<store::FindingStore> s)
        : pool_(pool), store_(std::move(s)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (store_) pool_->Return(std::move(store_));
    }
    store::FindingStore* operator->() { return store_.get(); }
    store::FindingStore& operator*() { return *store_; }

   private:
    StorePool* pool_;
    std::unique_ptr<store::FindingStore> store_;
  };

  Result<Lease> Acquire();

 private:
  void Return(std::unique_ptr<store::FindingStore> s);
  std::string db_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::FindingStore>> idle_;
};

// Who made an API request.
struct ApiCaller {
  Role role = Role::kRead;
  std::string name;  // the actor recorded in workflow history
};

struct HttpContext {
  const ServeConfig* config = nullptr;
  Metrics* metrics = nullptr;
  IngestService* ingest = nullptr;
  StorePool* stores = nullptr;
  controls::DeliveryMonitor* delivery = nullptr;  // told of every committed batch with events
  class RemediationService* remediation = nullptr;  // null: no remediation: key in the config
  class JetStreamFront* front = nullptr;  // jetstream.role front: the webhook publishes instead
  // Set with jetstream.role: "" while connected to NATS, else why not; /readyz asks it.
  std::function<std::string()> jetstream_unavailable;
  std::optional<TokenSet> api_tokens;      // none: the API is open (loopback only)
  std::optional<TokenSet> webhook_tokens;  // none and no client CA: the webhook is open
  bool client_ca = false;
  std::atomic<bool> draining{false};
  std::function<struct ReloadReport()> reload;
};

// Sends {"error": message} (plus `extra` members) with `status`.
void ReplyError(httplib::Response& res, int status, const std::string& message);
void ReplyJson(httplib::Response& res, int status, const std::string& body);

// Checks the API bearer token. On failure writes 401 (missing/unknown token) or 403 (a read token
// where admin is needed) and returns nullopt.
std::optional<ApiCaller> AuthorizeApi(HttpContext& ctx,
                                      const httplib::Request& req,
                                      httplib::Response& res,
                                      Role needed);

// api.cc: the HTTP status of a store/parse error; an RFC 3339 time or a duration back from now;
// the finding filters, sort and paging of the query string (docs/http-api.md).
int StatusForError(const Error& e);
Result<UnixNanos> ParseTime(const std::string& name, const std::string& v);
Result<store::FindingQuery> ParseQuery(const httplib::Request& req, std::size_t max_limit);

void RegisterWebhook(httplib::Server& http, HttpContext& ctx);
void RegisterApi(httplib::Server& http, HttpContext& ctx);
// console_api.cc: the endpoints the console needs beyond api.cc (whoami, stats, the live feed,
// per-finding export, the controls matrix); console_assets.cc: the console's files.
void RegisterConsoleApi(httplib::Server& http, HttpContext& ctx);
void RegisterConsoleAssets(httplib::Server& http);
void RegisterRemediationApi(httplib::Server& http, HttpContext& ctx);  // remediation_api.cc
void DeclareHttpMetrics(Metrics& metrics);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_HTTP_CONTEXT_H_
