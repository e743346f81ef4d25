#include "server/jetstream_worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <iterator>

#include "base/time.h"
#include "jetstream/subject.h"
#include "server/jetstream_front.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;

std::string DefaultWorkerId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string id = fmt::format("{}-{}", host[0] != '\0' ? host : "vigil", ::getpid());
  // A KV key: keep A-Z a-z 0-9 - _ and turn anything else into '-'.
  for (char& c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) c = '-';
  }
  return id;
}

}  // namespace

JetStreamWorker::JetStreamWorker(JetStreamConfig config, IngestService& ingest,
                                 controls::DeliveryMonitor* delivery, Metrics& metrics,
                                 std::unique_ptr<jetstream::Connection> conn)
    : config_(std::move(config)),
      ingest_(ingest),
      delivery_(delivery),
      metrics_(metrics),
      conn_(std::move(conn)) {}

Result<std::unique_ptr<JetStreamWorker>> JetStreamWorker::Start(
    const JetStreamConfig& config, IngestService& ingest, controls::DeliveryMonitor* delivery,
    Metrics& metrics) {
  JetStreamConfig c = config;
  if (c.worker_id.empty()) c.worker_id = DefaultWorkerId();
  VIGIL_TRY(const jetstream::ConnectOptions options,
            NatsConnectOptions(c, "vigil-worker-" + c.worker_id));
  VIGIL_TRY(auto conn, jetstream::Connection::Connect(options));
  std::unique_ptr<JetStreamWorker> w(
      new JetStreamWorker(std::move(c), ingest, delivery, metrics, std::move(conn)));
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

JetStreamWorker::~JetStreamWorker() { Stop(); }

void JetStreamWorker::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> JetStreamWorker::owned() const {
  std::lock_guard lock(owned_mu_);
  return owned_;
}

Status JetStreamWorker::OpenBuckets() {
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(config_.lease_ttl);
  const int replicas = static_cast<int>(config_.replicas);
  if (!leases_) {
    VIGIL_TRY(leases_, conn_->KeyValue(config_.stream + "_leases", ttl, replicas));
  }
  if (!workers_) {
    VIGIL_TRY(workers_, conn_->KeyValue(config_.stream + "_workers", ttl, replicas));
  }
  return Ok();
}

void JetStreamWorker::Release(std::string cluster, const char* why) {
  auto it = partitions_.find(cluster);
  if (it == partitions_.end()) return;
  // Messages of a fetch that had already timed out may still have arrived: return them, or the
  // next owner would wait AckWait for them.
  const int unseen = it->second.consumer->ReturnUnseen(std::chrono::milliseconds(50));
  if (unseen > 0) metrics_.Add("vigil_jetstream_messages_total", {cluster, "returned"}, unseen);
  partitions_.erase(it);  // frees the subscription handle; the durable consumer stays
  ingest_.ForgetCluster(cluster);
  // Its events go to another worker now: its silence here must not read as "delivery stopped".
  if (delivery_ != nullptr) delivery_->Forget(cluster);
  if (std::string_view(why) == "released" && leases_) {
    (void)leases_->Delete(cluster);  // the next owner need not wait for the TTL
  }
  metrics_.Add("vigil_jetstream_lease_changes_total", {why});
  metrics_.Set("vigil_jetstream_consumer_lag", {cluster}, 0);
  std::cerr << fmt::format("vigil serve: jetstream worker {}: {} cluster '{}'\n", config_.worker_id,
                           why, cluster);
}

void JetStreamWorker::Maintain() {
  if (Status st = OpenBuckets(); !st) {
    std::cerr << "vigil serve: jetstream worker: " << st.error().ToString() << "\n";
    return;
  }
  const auto now = Clock::now();
  // Renew what we hold; a lease that cannot be renewed (someone else's revision) is lost.
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    auto renewed = leases_->Update(it->first, config_.worker_id, it->second.revision);
    const std::string cluster = it->first;
    ++it;
    if (!renewed) continue;  // NATS unreachable: keep trying while the lease lasts
    if (!renewed->has_value()) {
      Release(cluster, "lost");
      continue;
    }
    partitions_[cluster].revision = **renewed;
    partitions_[cluster].renewed = now;
  }
  // A lease not renewed for lease_ttl has expired on the server: another worker may own it.
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    const std::string cluster = it->first;
    const bool expired = now - it->second.renewed >= config_.lease_ttl;
    ++it;
    if (expired) Release(cluster, "lost");
  }
  if (!workers_->Put(config_.worker_id, "alive")) return;
  auto workers = workers_->Keys();
  auto subjects = conn_->StreamSubjects(config_.stream, config_.subject_prefix + ".>");
  if (!workers || !subjects) return;
  std::vector<std::string> clusters;
  for (const auto& [subject, count] : *subjects) {
    if (auto c = jetstream::ClusterOfSubject(config_.subject_prefix, subject)) {
      clusters.push_back(std::move(*c));
    }
  }
  const std::size_t live = std::max<std::size_t>(1, workers->size());
  const std::size_t share = (clusters.size() + live - 1) / live;
  // Over the fair share (workers joined): give back the last ones.
  while (partitions_.size() > share) Release(std::prev(partitions_.end())->first, "released");
  if (partitions_.size() < share) {
    // Start at a place that differs between workers, so they do not all race for the same key.
    const std::size_t start = std::hash<std::string>{}(config_.worker_id) % std::max<std::size_t>(1, clusters.size());
    for (std::size_t k = 0; k < clusters.size() && partitions_.size() < share; ++k) {
      const std::string& cluster = clusters[(start + k) % clusters.size()];
      if (partitions_.count(cluster) != 0) continue;
      auto created = leases_->Create(cluster, config_.worker_id);
      if (!created || !created->has_value()) continue;
      jetstream::ConsumerSpec spec;
      spec.stream = config_.stream;
      spec.durable = jetstream::ConsumerNameFor(cluster);
      spec.filter_subject = jetstream::SubjectFor(config_.subject_prefix, cluster);
      spec.ack_wait = config_.ack_wait;
      spec.max_ack_pending = static_cast<std::int64_t>(config_.fetch_batch) * 4;
      spec.replicas = static_cast<int>(config_.replicas);
      auto consumer = conn_->Consumer(spec);
      if (!consumer) {
        std::cerr << "vigil serve: jetstream worker: " << consumer.error().ToString() << "\n";
        (void)leases_->Delete(cluster);
        continue;
      }
      ingest_.ForgetCluster(cluster);  // start from what the previous owner committed
      Partition p;
      p.revision = **created;
      p.renewed = now;
      p.consumer = std::move(*consumer);
      partitions_.emplace(cluster, std::move(p));
      metrics_.Add("vigil_jetstream_lease_changes_total", {"taken"});
      std::cerr << fmt::format("vigil serve: jetstream worker {}: took cluster '{}'\n",
                               config_.worker_id, cluster);
    }
  }
  metrics_.Set("vigil_jetstream_owned_clusters", {}, static_cast<double>(partitions_.size()));
  std::lock_guard lock(owned_mu_);
  owned_.clear();
  for (const auto& [cluster, p] : partitions_) owned_.push_back(cluster);
}

std::optional<JetStreamWorker::InFlight> JetStreamWorker::Fetch(const std::string& cluster,
                                                                Partition& p) {
  const std::chrono::milliseconds ttl = config_.lease_ttl;
  if (Clock::now() - p.renewed >= ttl / 2) return std::nullopt;  // not sure we still own it
  // A no-wait fetch (an idle partition costs one round trip); 10 ms bounds the server's answer.
  auto batch = p.consumer->Fetch(static_cast<int>(config_.fetch_batch),
                                 std::chrono::milliseconds(10));
  if (!batch || batch->empty()) return std::nullopt;
  InFlight f{.cluster = cluster, .batch = std::move(*batch), .stored_at = {}, .outcome = {}};
  std::string body;
  std::uint64_t redelivered = 0;
  f.stored_at.resize(f.batch.size());
  for (std::size_t i = 0; i < f.batch.size(); ++i) {
    body.append(f.batch.data(i));
    body.push_back('\n');
    const jetstream::FetchedBatch::Meta meta = f.batch.meta(i);
    if (meta.delivered > 1) ++redelivered;
    f.stored_at[i] = meta.stored_at;
  }
  if (redelivered > 0) {
    metrics_.Add("vigil_jetstream_redelivered_total", {cluster}, static_cast<double>(redelivered));
  }
  f.outcome = ingest_.SubmitAsync(IngestBatch{std::move(body), cluster, "jetstream"});
  return f;
}

void JetStreamWorker::Finish(InFlight& f) {
  const IngestOutcome outcome = f.outcome.get();
  const double n = static_cast<double>(f.batch.size());
  if (outcome.code == IngestCode::kCommitted || outcome.code == IngestCode::kNoEvents) {
    Status acked = f.batch.AckAll();
    if (!acked) {
      // Redelivered after AckWait; the store counts the events once.
      std::cerr << "vigil serve: jetstream worker: " << acked.error().ToString() << "\n";
    }
    metrics_.Add("vigil_jetstream_messages_total", {f.cluster, "acked"}, n);
    // From the stream storing each event (the front's publish, moments after the webhook request
    // arrived) to its findings committed and the message acknowledged.
    const UnixNanos done = NowNanos();
    for (std::int64_t at : f.stored_at) {
      if (at > 0 && done >= at) {
        metrics_.Observe("vigil_jetstream_commit_latency_seconds", {},
                         static_cast<double>(done - at) / 1e9);
      }
    }
    if (delivery_ != nullptr && outcome.events > 0) delivery_->Observe(f.cluster, NowNanos());
  } else {
    f.batch.NakAll();
    metrics_.Add("vigil_jetstream_messages_total", {f.cluster, "nacked"}, n);
    std::cerr << fmt::format("vigil serve: jetstream worker: batch of cluster '{}' not committed "
                             "({}): {}\n",
                             f.cluster, IngestCodeName(outcome.code), outcome.message);
    // The batch comes straight back; while the store is down (a PostgreSQL restart) that would
    // spin. The store is shared by every partition: Run pauses before the next round.
    if (outcome.code == IngestCode::kStoreFailed) store_failed_ = true;
  }
}

void JetStreamWorker::UpdateLag() {
  for (auto& [cluster, p] : partitions_) {
    if (auto st = p.consumer->State()) {
      metrics_.Set("vigil_jetstream_consumer_lag", {cluster},
                   static_cast<double>(st->num_pending) + static_cast<double>(st->num_ack_pending));
    }
  }
}

void JetStreamWorker::Run() {
  const std::chrono::milliseconds ttl = config_.lease_ttl;
  const auto maintain_every = std::max<Clock::duration>(ttl / 3, std::chrono::milliseconds(100));
  auto last_maintain = Clock::time_point{};
  auto last_lag = Clock::time_point{};
  while (!stop_) {
    const auto now = Clock::now();
    metrics_.Set("vigil_jetstream_connected", {}, connected() ? 1 : 0);
    if (now - last_maintain >= maintain_every) {
      last_maintain = now;
      Maintain();
    }
    if (now - last_lag >= std::chrono::seconds(1)) {
      last_lag = now;
      UpdateLag();
    }
    // One round: what every owned partition has ready goes to the ingest queue at once, so the
    // ingest thread commits it in one transaction (a commit's fixed cost, several round trips to
    // PostgreSQL, is paid once per round instead of once per cluster); then each batch is
    // acknowledged after that commit.
    std::vector<InFlight> round;
    for (auto& [cluster, p] : partitions_) {
      if (stop_) break;
      if (auto f = Fetch(cluster, p)) round.push_back(std::move(*f));
    }
    for (InFlight& f : round) Finish(f);
    if (store_failed_) {
      store_failed_ = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    } else if (round.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(partitions_.empty() ? 200 : 20));
    }
  }
  while (!partitions_.empty()) Release(partitions_.begin()->first, "released");
  if (workers_) (void)workers_->Delete(config_.worker_id);
}

}  // namespace vigil::server
