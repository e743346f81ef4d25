// A small RAII layer over the NATS C client (libnats 3.4) for vigil's scale-out (docs/scale-out.md):
// a connection with its JetStream context, publishing a set of messages with message ids and
// waiting for every publish acknowledgement, durable pull consumers, key-value buckets (worker
// heartbeats and cluster leases) and the stream's per-subject counts.
//
// Every libnats object is owned by exactly one of these classes and freed in its destructor.
// Errors come back as kIo with what was attempted and libnats' reason; nothing here logs, but a
// Connection tells its owner (ConnectOptions::on_state) why it is not connected whenever that
// changes, so that the owner can log it and /readyz can show it.
// Thread-safety: a Connection may be used from many threads (libnats connections are); a
// PullConsumer, KvBucket and FetchedBatch by one thread at a time.
#ifndef VIGIL_JETSTREAM_NATS_CLIENT_H_
#define VIGIL_JETSTREAM_NATS_CLIENT_H_

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

// libnats' opaque types, so that users of this header need not include nats.h.
struct __natsConnection;
struct __jsCtx;
struct __natsSubscription;
struct __natsMsg;
struct __kvStore;

namespace vigil::jetstream {

struct ConnectOptions {
  std::vector<std::string> urls;  // nats://host:port, tried in turn; reconnects forever
  std::string name = "vigil";     // shown by the server's monitoring
  std::chrono::milliseconds timeout{2000};         // connect and JetStream API requests
  std::chrono::milliseconds reconnect_wait{250};
  // Authentication and TLS (each empty: not used). A token (the server's `authorization.token`),
  // or a NATS credentials file (JWT and NKey seed, `nsc`'s .creds). ca_file makes the connection
  // TLS and verifies the server by it; cert_file/key_file present a client certificate.
  std::string token{};
  std::string credentials_file{};
  std::string ca_file{};
  std::string cert_file{};
  std::string key_file{};
  // Called once per change of the connection's state: with "" when it (re)connected, else with
  // why it is not connected — libnats' reason, e.g. "Authorization Violation", "SSL handshake
  // error: ...", "disconnected: Connection Closed" — with the token, should it ever appear,
  // replaced by "***". Called from libnats' callback thread or from Connect's caller; must not
  // call back into the Connection.
  std::function<void(const std::string& why_not)> on_state{};
};

struct StreamSpec {
  std::string name = "AUDIT";
  std::vector<std::string> subjects = {"audit.>"};
  int replicas = 1;
  std::chrono::seconds duplicate_window{120};  // Nats-Msg-Id de-duplication
  std::chrono::seconds max_age{7 * 24 * 3600};
  std::int64_t max_bytes = -1;                 // -1: unlimited
  bool file_storage = true;
};

// One message to publish: subject, Nats-Msg-Id (empty: none) and payload.
struct OutMessage {
  std::string subject;
  std::string msg_id;
  std::string data;
};

struct PublishReport {
  std::size_t stored = 0;      // acknowledged as new messages
  std::size_t duplicates = 0;  // acknowledged as duplicates of a message id in the window
};

struct ConsumerSpec {
  std::string stream;
  std::string durable;
  std::string filter_subject;
  std::chrono::seconds ack_wait{60};
  std::int64_t max_ack_pending = 10000;
  int replicas = 0;  // 0: as the stream
};

struct ConsumerState {
  std::uint64_t num_pending = 0;      // not yet delivered
  std::int64_t num_ack_pending = 0;   // delivered, not acknowledged
  std::int64_t num_redelivered = 0;
};

// Messages fetched from a pull consumer; owns them until acknowledged or destroyed.
class FetchedBatch {
 public:
  FetchedBatch() = default;
  ~FetchedBatch();
  FetchedBatch(FetchedBatch&& other) noexcept;
  FetchedBatch& operator=(FetchedBatch&& other) noexcept;
  FetchedBatch(const FetchedBatch&) = delete;
  FetchedBatch& operator=(const FetchedBatch&) = delete;

  std::size_t size() const { return msgs_.size(); }
  bool empty() const { return msgs_.empty(); }
  std::string_view data(std::size_t i) const;
  std::string_view subject(std::size_t i) const;
  // What JetStream says of message i: how often it was delivered (1 the first time) and when
  // the stream stored it (Unix nanoseconds by the server's clock; 0 when unknown).
  struct Meta {
    std::uint64_t delivered = 1;
    std::int64_t stored_at = 0;
  };
  Meta meta(std::size_t i) const;
  // Acknowledges every message, waiting for the server's confirmation of the last one (the
  // server handles a connection's acks in order). Fails on the first one that could not be sent
  // or confirmed; unacknowledged messages come again after AckWait.
  Status AckAll();
  // Asks for redelivery of every message now.
  void NakAll();

 private:
  friend class PullConsumer;
  std::vector<__natsMsg*> msgs_;
};

class PullConsumer {
 public:
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Up to `max` messages: what the consumer has ready now; empty when nothing is. The server
  // answers at once (a no-wait request, which ends with its answer); `wait` bounds how long that
  // answer may take. An answer that takes longer stays queued in this handle and is taken whole
  // by the next Fetch (then more than `max`) or by ReturnUnseen.
  Result<FetchedBatch> Fetch(int max, std::chrono::milliseconds wait);
  // Before letting go of the consumer (another worker takes it over): messages that arrived for an
  // earlier fetch after it had returned sit in this handle's queue, delivered but never seen; they
  // are asked to be redelivered now, instead of after AckWait. Waits `settle` for stragglers
  // first. Returns how many there were.
  int ReturnUnseen(std::chrono::milliseconds settle);
  Result<ConsumerState> State();
  const ConsumerSpec& spec() const { return spec_; }

 private:
  friend class Connection;
  PullConsumer(__jsCtx* js, __natsSubscription* sub, ConsumerSpec spec)
      : js_(js), sub_(sub), spec_(std::move(spec)) {}
  __jsCtx* js_;
  __natsSubscription* sub_;
  ConsumerSpec spec_;
};

// A key-value bucket. Revisions make updates conditional (compare-and-set).
class KvBucket {
 public:
  ~KvBucket();
  KvBucket(const KvBucket&) = delete;
  KvBucket& operator=(const KvBucket&) = delete;

  // Writes `key` unconditionally; returns the new revision.
  Result<std::uint64_t> Put(const std::string& key, std::string_view value);
  // Creates `key` if it does not exist (or was deleted/expired); nullopt when it exists.
  Result<std::optional<std::uint64_t>> Create(const std::string& key, std::string_view value);
  // Replaces `key` if its revision is still `last`; nullopt when it is not (someone else wrote).
  Result<std::optional<std::uint64_t>> Update(const std::string& key,
                                              std::string_view value,
                                              std::uint64_t last);
  // The value and revision of `key`; nullopt when absent, deleted or expired.
  Result<std::optional<std::pair<std::string, std::uint64_t>>> Get(const std::string& key);
  Status Delete(const std::string& key);
  // Every live key.
  Result<std::vector<std::string>> Keys();

 private:
  friend class Connection;
  explicit KvBucket(__kvStore* kv) : kv_(kv) {}
  __kvStore* kv_;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Connect(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // True while the connection is up (not reconnecting, not closed).
  bool connected() const;
  // "" while connected, else why not (as on_state is told; "not connected" when libnats gave
  // no reason). Never holds the token.
  std::string why_not_connected() const;

  // Creates the stream, or updates it to `spec` when it exists.
  Status EnsureStream(const StreamSpec& spec);

  // Publishes every message asynchronously and waits until each one is acknowledged by JetStream
  // or `timeout` passed. OK only when every message was acknowledged (stored or duplicate).
  Result<PublishReport> PublishAll(std::span<const OutMessage> messages,
                                   std::chrono::milliseconds timeout);

  // Subjects in `stream` matching `filter` with their message counts.
  Result<std::map<std::string, std::uint64_t>> StreamSubjects(const std::string& stream,
                                                              const std::string& filter);

  // The state of durable consumer `durable` of `stream`; kNotFound when it does not exist.
  Result<ConsumerState> ConsumerInfo(const std::string& stream, const std::string& durable);

  // Binds to (creating when needed) the durable pull consumer `spec`.
  Result<std::unique_ptr<PullConsumer>> Consumer(const ConsumerSpec& spec);

  // Opens (creating when needed) a KV bucket whose entries expire `ttl` after their last write.
  Result<std::unique_ptr<KvBucket>> KeyValue(const std::string& bucket,
                                             std::chrono::milliseconds ttl,
                                             int replicas);

 private:
  struct Watch;  // the state libnats' callbacks update; see nats_client.cc
  Connection() = default;
  Watch* watch_ = nullptr;  // freed by the destructor once libnats can no longer call back
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::chrono::milliseconds timeout_{2000};
};

}  // namespace vigil::jetstream

#endif  // VIGIL_JETSTREAM_NATS_CLIENT_H_
