// JetStreamWorker: `vigil serve` consuming audit events from JetStream (jetstream.role: worker).
//
// Partitioning: the stream holds one subject per cluster (`<prefix>.<cluster>`); each cluster is
// one partition, evaluated by exactly one worker at a time, so its dedup window, baselines and
// attack-sequence window stay in one process. Ownership is a lease in the KV bucket
// `<stream>_leases` (key = cluster, value = worker id): taken with Create (only when absent), kept
// by renewing it with a revision-checked Update every lease_ttl/3, given up with Delete. The
// bucket's TTL (lease_ttl) makes the lease of a worker that died (kill -9) expire.
//
// Fair share: every worker heartbeats in `<stream>_workers` (same TTL); with W live workers and C
// clusters in the stream a worker holds at most ceil(C/W) leases, releasing the extra ones (after
// its in-flight batch is committed and acknowledged) when workers join.
//
// Consumption: per owned cluster a durable pull consumer (`vigil-<cluster token>`, AckExplicit,
// AckWait = jetstream.ack_wait). A fetch of up to fetch_batch messages becomes one IngestService
// batch (JSON lines); the messages are acknowledged only after the outcome is kCommitted (or
// kNoEvents: nothing in them can ever decode), otherwise nacked. A worker fetches only while its
// lease was renewed less than lease_ttl/2 ago. Messages a dead worker took and never acknowledged
// are redelivered after AckWait to the cluster's next owner; the store's event ledger makes a
// redelivered event count once.
//
// On taking or losing a lease the cluster's in-memory state is dropped (IngestService::
// ForgetCluster): the next batch loads the attack-sequence window and baseline from the store.
#ifndef VIGIL_SERVER_JETSTREAM_WORKER_H_
#define VIGIL_SERVER_JETSTREAM_WORKER_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "controls/delivery_monitor.h"
#include "jetstream/nats_client.h"
#include "server/config.h"
#include "server/ingest_service.h"
#include "server/metrics.h"

namespace vigil::server {

class JetStreamWorker {
 public:
  // Connects (in the background when NATS is not reachable yet) and starts the worker thread.
  static Result<std::unique_ptr<JetStreamWorker>> Start(const JetStreamConfig& config,
                                                        IngestService& ingest,
                                                        controls::DeliveryMonitor* delivery,
                                                        Metrics& metrics);
  ~JetStreamWorker();
  JetStreamWorker(const JetStreamWorker&) = delete;
  JetStreamWorker& operator=(const JetStreamWorker&) = delete;

  // Finishes the batch in flight (commit and ack), releases every lease and stops. Idempotent.
  void Stop();

  bool connected() const { return conn_->connected(); }
  // "" while connected to NATS, else why not (for /readyz).
  std::string why_not_connected() const { return conn_->why_not_connected(); }
  const std::string& id() const { return config_.worker_id; }
  // The clusters whose lease this worker holds.
  std::vector<std::string> owned() const;

 private:
  struct Partition {
    std::uint64_t revision = 0;  // of the lease
    std::chrono::steady_clock::time_point renewed;
    std::unique_ptr<jetstream::PullConsumer> consumer;
  };

  JetStreamWorker(JetStreamConfig config, IngestService& ingest,
                  controls::DeliveryMonitor* delivery, Metrics& metrics,
                  std::unique_ptr<jetstream::Connection> conn);
  void Run();
  // Heartbeat, lease renewal, fair share: take and release leases.
  void Maintain();
  Status OpenBuckets();
  // `cluster` by value: callers pass a key of partitions_, which this erases.
  void Release(std::string cluster, const char* why);
  // A fetched batch queued for ingest, waiting for its commit to be acknowledged.
  struct InFlight {
    std::string cluster;
    jetstream::FetchedBatch batch;
    std::vector<std::int64_t> stored_at;  // per message, when the stream stored it
    std::future<IngestOutcome> outcome;
  };
  // Fetches what `cluster`'s consumer has ready and queues it for ingest; nullopt when there was
  // nothing (or the lease may have run out).
  std::optional<InFlight> Fetch(const std::string& cluster, Partition& p);
  // Waits for the batch's commit, then acknowledges it (or asks for redelivery).
  void Finish(InFlight& f);
  void UpdateLag();

  JetStreamConfig config_;
  IngestService& ingest_;
  controls::DeliveryMonitor* delivery_;
  Metrics& metrics_;
  std::unique_ptr<jetstream::Connection> conn_;
  std::unique_ptr<jetstream::KvBucket> leases_;
  std::unique_ptr<jetstream::KvBucket> workers_;
  std::map<std::string, Partition> partitions_;  // owned; worker thread only
  mutable std::mutex owned_mu_;
  std::vector<std::string> owned_;  // a copy of partitions_' keys for other threads
  std::atomic<bool> stop_{false};
  bool store_failed_ = false;  // the last commit failed in the store: pause before the next round
  std::thread thread_;
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_JETSTREAM_WORKER_H_
