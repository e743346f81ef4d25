// Remediation inside `vigil serve`: a worker thread that runs the engine over findings as they are
// committed (fed by IngestService's on_committed, never blocking it), and the HTTP API under
// /api/v1/remediation (docs/remediation.md, "HTTP API"). Internal to src/server.
#ifndef VIGIL_SERVER_REMEDIATION_API_H_
#define VIGIL_SERVER_REMEDIATION_API_H_

#include <httplib.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "remediate/engine.h"
#include "remediate/runtime.h"
#include "store/finding_store.h"
#include "store/postgres/remediation_state.h"

namespace vigil::server {

struct HttpContext;

// Thread-safety: Enqueue from any thread; the API methods serialize on one mutex (they use their
// own store connections and runtime, apart from the worker's).
class RemediationService {
 public:
  // Reads the `remediation:` key of `config_file`, opens its own connections to `db` and starts
  // the worker. Errors: the config's (kConfig with file:line:col), the store's, and a tracker that
  // cannot be set up (no token).
  static Result<std::unique_ptr<RemediationService>> Start(const std::string& config_file,
                                                           const std::string& db);
  ~RemediationService();

  // Queues findings for the worker; coalesces repeats; drops (and re-reads everything later) when
  // more than kMaxQueued ids wait. Never blocks on the engine.
  void Enqueue(std::vector<std::string> ids);
  // Stops the worker after the batch it is working on. Idempotent.
  void Stop();

  // For the API: one engine call at a time.
  template <typename Fn>
  auto WithEngine(Fn&& fn) {
    std::lock_guard lock(api_mu_);
    remediate::Engine engine(api_runtime_->Deps(api_state_.get(), api_findings_.get()));
    return fn(engine, *api_state_);
  }

  static constexpr std::size_t kMaxQueued = 100000;

 private:
  RemediationService() = default;
  void Run();

  std::unique_ptr<remediate::RemediationRuntime> runtime_, api_runtime_;
  std::unique_ptr<store::FindingStore> findings_, api_findings_;
  std::unique_ptr<remediate::RemediationStateStore> state_, api_state_;
  std::mutex api_mu_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> queued_;
  bool stop_ = false;
  std::thread thread_;
};

void RegisterRemediationApi(httplib::Server& http, HttpContext& ctx);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_REMEDIATION_API_H_
