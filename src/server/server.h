// Server: one `vigil serve` process — the HTTP listener (plain or TLS), the webhook receiver, the
// REST API, /metrics and health, on top of one IngestService and the finding store.
//
// Life cycle: Create() checks and loads everything (config, rules, tokens, TLS files, store) and
// fails with the reason before anything listens; Listen() binds; Serve() blocks until Shutdown();
// Reload() re-reads rules and TLS files (SIGHUP), keeping what runs when the new files are bad;
// Shutdown() stops accepting, lets in-flight requests finish, commits every queued batch and
// returns within the configured bound.
//
// Thread-safety: Reload() and Shutdown() may be called from any thread (the signal thread) while
// Serve() runs.
#ifndef VIGIL_SERVER_SERVER_H_
#define VIGIL_SERVER_SERVER_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "controls/delivery_monitor.h"
#include "server/config.h"
#include "server/ingest_service.h"
#include "server/metrics.h"

namespace vigil::server {

// What a rules reload did.
struct ReloadReport {
  bool ok = false;
  std::size_t rules = 0;  // rules now running
  std::string error;      // why the new rules were not taken (every problem, with file:line:col)
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(ServeConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listen address. Returns the bound port (useful with port 0). kIo when binding fails.
  Result<int> Listen();
  // Serves until Shutdown(). Returns when every in-flight request is answered.
  void Serve();
  // Rules and TLS credentials from their files again. Never stops serving.
  ReloadReport Reload();
  // Stops accepting, drains and commits. Returns false when draining exceeded the bound.
  bool Shutdown();

  // A hook called once at the start of Shutdown(); used by the tailer wiring to stop first.
  void OnShutdown(std::function<void()> fn);

  IngestService& ingest() { return *ingest_; }
  // KubeAudit.4 ("audit log delivery stopped"): sources other than the webhook (the tailer) call
  // Observe() after each committed chunk; the server evaluates it periodically into the store.
  controls::DeliveryMonitor& delivery();
  Metrics& metrics() { return metrics_; }
  const ServeConfig& config() const { return config_; }

 private:
  class Impl;
  explicit Server(ServeConfig config);

  ServeConfig config_;
  Metrics metrics_;
  std::unique_ptr<IngestService> ingest_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_SERVER_H_
