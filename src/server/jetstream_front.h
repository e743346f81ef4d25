// JetStreamFront: `vigil serve` as a thin front (jetstream.role: front). The webhook hands it each
// accepted body; it decodes the events with the ingest Reader and publishes each one's JSON to
// `<subject_prefix>.<cluster>` with Nats-Msg-Id = EventIdHex(auditID, stage), then waits until
// JetStream acknowledged every publish. Only then does the webhook answer 200; otherwise 503 and
// the API server sends the batch again — the ids make JetStream drop what it already stored
// (within the stream's duplicate window). docs/scale-out.md.
//
// Thread-safety: Publish may be called from every HTTP thread at once.
#ifndef VIGIL_SERVER_JETSTREAM_FRONT_H_
#define VIGIL_SERVER_JETSTREAM_FRONT_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "jetstream/nats_client.h"
#include "server/config.h"
#include "server/ingest_service.h"
#include "server/metrics.h"

namespace vigil::server {

class JetStreamFront {
 public:
  // Connects (in the background when no server answers yet) and creates or updates the stream.
  // When NATS is unreachable the front still starts: /readyz says not ready, publishes answer
  // 503, and the stream is set up on the first publish that reaches NATS.
  static Result<std::unique_ptr<JetStreamFront>> Start(const JetStreamConfig& config,
                                                       std::size_t max_events_per_batch,
                                                       Metrics& metrics);

  // Decodes `body` and publishes its events for `cluster`. kCommitted when every event is
  // acknowledged by JetStream (stored or a duplicate); kNoEvents when nothing decoded;
  // kTooManyEvents over the limit (nothing published); kStoreFailed when a publish was not
  // acknowledged (the message says why; the caller answers 503).
  IngestOutcome Publish(std::string_view body, const std::string& cluster);

  bool connected() const { return conn_->connected(); }
  // "" while connected to NATS, else why not (for /readyz).
  std::string why_not_connected() const { return conn_->why_not_connected(); }

 private:
  JetStreamFront(JetStreamConfig config, std::size_t max_events, Metrics& metrics,
                 std::unique_ptr<jetstream::Connection> conn)
      : config_(std::move(config)), max_events_(max_events), metrics_(metrics),
        conn_(std::move(conn)) {}
  Status EnsureStream();

  JetStreamConfig config_;
  std::size_t max_events_;
  Metrics& metrics_;
  std::unique_ptr<jetstream::Connection> conn_;
  std::mutex mu_;
  bool stream_ready_ = false;  // guarded by mu_
};

// Metric families of the front and the worker.
void DeclareJetStreamMetrics(Metrics& metrics);

// How the front and the workers connect: URLs, the token read from jetstream.token_file (its
// first line; kConfig naming the file — never its content — when it cannot be read or is empty),
// the credentials file and TLS files as configured. Each change of the connection's state is
// logged once to stderr as "vigil serve: <name>: NATS connected" or "... NATS not connected:
// <why>" (libnats' reason, never the token).
Result<jetstream::ConnectOptions> NatsConnectOptions(const JetStreamConfig& config,
                                                     std::string name);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_JETSTREAM_FRONT_H_
