#include "server/jetstream_front.h"

#include <fmt/format.h>

#include <simdjson.h>

#include <fstream>
#include <iostream>
#include <vector>

#include "findings/finding.h"
#include "ingest/reader.h"
#include "jetstream/subject.h"

namespace vigil::server {
namespace {

// Collects each decoded event as a message to publish.
class PublishSink : public ingest::EventSink {
 public:
  PublishSink(std::string subject, std::size_t max) : subject_(std::move(subject)), max_(max) {}

  void OnEvent(const event::AuditEvent& ev, const ingest::Origin&) override {
    if (messages.size() >= max_) {
      ++over;
      return;
    }
    messages.push_back({subject_, findings::EventIdHex(ev.audit_id(), ev.stage_name()),
                        simdjson::to_string(ev.root())});
  }
  void OnRejected(const ingest::Rejection&) override { ++rejected; }

  std::vector<jetstream::OutMessage> messages;
  std::uint64_t rejected = 0;
  std::uint64_t over = 0;

 private:
  std::string subject_;
  std::size_t max_;
};

}  // namespace

void DeclareJetStreamMetrics(Metrics& m) {
  m.Declare("vigil_jetstream_connected", MetricType::kGauge,
            "1 while the connection to NATS is up, else 0.", {});
  m.Declare("vigil_jetstream_published_total", MetricType::kCounter,
            "Events published to JetStream and acknowledged, by cluster and result (stored, "
            "duplicate: dropped by the stream's duplicate window).",
            {"cluster", "result"});
  m.Declare("vigil_jetstream_publish_failures_total", MetricType::kCounter,
            "Webhook batches answered 503 because JetStream did not acknowledge every publish.",
            {"cluster"});
  m.Declare("vigil_jetstream_messages_total", MetricType::kCounter,
            "Messages a worker took from the stream, by cluster and result (acked after commit, "
            "nacked: the commit was refused and the messages come again; returned: delivered to a "
            "partition handed over before they were seen, asked back for the next owner).",
            {"cluster", "result"});
  m.Declare("vigil_jetstream_redelivered_total", MetricType::kCounter,
            "Messages a worker received that had been delivered before (to it or to a worker "
            "that died), by cluster.",
            {"cluster"});
  m.Declare("vigil_jetstream_commit_latency_seconds", MetricType::kHistogram,
            "Per event: from JetStream storing it (the front's publish) to its findings committed "
            "and the message acknowledged by a worker. Add the front's "
            "vigil_webhook_request_seconds for webhook-to-committed.",
            {}, {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
  m.Declare("vigil_jetstream_consumer_lag", MetricType::kGauge,
            "Messages of a cluster's partition not yet acknowledged (num_pending + "
            "num_ack_pending of its durable consumer), for the clusters this worker owns.",
            {"cluster"});
  m.Declare("vigil_jetstream_owned_clusters", MetricType::kGauge,
            "Cluster partitions whose lease this worker holds.", {});
  m.Declare("vigil_jetstream_lease_changes_total", MetricType::kCounter,
            "Cluster leases taken, released (fair share) and lost (not renewed in time).",
            {"change"});
}

Result<jetstream::ConnectOptions> NatsConnectOptions(const JetStreamConfig& config,
                                                     std::string name) {
  jetstream::ConnectOptions o{.urls = config.urls, .name = name};
  o.on_state = [name](const std::string& why_not) {
    if (why_not.empty()) {
      std::cerr << fmt::format("vigil serve: jetstream {}: NATS connected\n", name);
    } else {
      std::cerr << fmt::format("vigil serve: jetstream {}: NATS not connected: {}\n", name, why_not);
    }
  };
  if (!config.token_file.empty()) {
    std::ifstream in(config.token_file, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("jetstream.token_file: cannot read '{}'", config.token_file));
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    if (line.empty()) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("jetstream.token_file: '{}' holds no token on its first line",
                                   config.token_file));
    }
    o.token = std::move(line);
  }
  o.credentials_file = config.credentials_file;
  o.ca_file = config.tls_ca;
  o.cert_file = config.tls_cert;
  o.key_file = config.tls_key;
  return o;
}

Result<std::unique_ptr<JetStreamFront>> JetStreamFront::Start(const JetStreamConfig& config,
                                                              std::size_t max_events_per_batch,
                                                              Metrics& metrics) {
  VIGIL_TRY(const jetstream::ConnectOptions options, NatsConnectOptions(config, "vigil-front"));
  VIGIL_TRY(auto conn, jetstream::Connection::Connect(options));
  std::unique_ptr<JetStreamFront> front(
      new JetStreamFront(config, max_events_per_batch, metrics, std::move(conn)));
  // The stream is set up now when NATS answers, else on the first publish.
  if (Status st = front->EnsureStream(); !st) {
    std::cerr << "vigil serve: jetstream: " << st.error().ToString()
              << " (retried on the first publish)\n";
  }
  return front;
}

Status JetStreamFront::EnsureStream() {
  std::lock_guard lock(mu_);
  if (stream_ready_) return Ok();
  jetstream::StreamSpec spec;
  spec.name = config_.stream;
  spec.subjects = {config_.subject_prefix + ".>"};
  spec.replicas = static_cast<int>(config_.replicas);
  spec.duplicate_window = std::chrono::seconds(config_.duplicate_window_seconds);
  spec.max_age = std::chrono::seconds(config_.max_age_seconds);
  VIGIL_TRY_STATUS(conn_->EnsureStream(spec));
  stream_ready_ = true;
  return Ok();
}

IngestOutcome JetStreamFront::Publish(std::string_view body, const std::string& cluster) {
  IngestOutcome out;
  metrics_.Set("vigil_jetstream_connected", {}, connected() ? 1 : 0);
  PublishSink sink(jetstream::SubjectFor(config_.subject_prefix, cluster), max_events_);
  ingest::Reader reader;
  (void)reader.ReadBuffer(body, "webhook", sink);
  out.events = sink.messages.size() + sink.over;
  out.rejected = sink.rejected;
  if (sink.over > 0) {
    out.code = IngestCode::kTooManyEvents;
    out.message = fmt::format("more than {} events in one batch (limits.max_events_per_batch)",
                              max_events_);
    return out;
  }
  if (sink.messages.empty()) {
    out.code = IngestCode::kNoEvents;
    out.message = "no audit event in the request body";
    return out;
  }
  Status ready = EnsureStream();
  Result<jetstream::PublishReport> report =
      ready ? conn_->PublishAll(sink.messages, config_.publish_timeout)
            : Result<jetstream::PublishReport>(ready.error());
  if (!report) {
    metrics_.Add("vigil_jetstream_publish_failures_total", {cluster});
    out.code = IngestCode::kStoreFailed;
    out.message = fmt::format("JetStream did not acknowledge the events: {}",
                              report.error().message);
    return out;
  }
  metrics_.Add("vigil_jetstream_published_total", {cluster, "stored"},
               static_cast<double>(report->stored));
  metrics_.Add("vigil_jetstream_published_total", {cluster, "duplicate"},
               static_cast<double>(report->duplicates));
  return out;
}

}  // namespace vigil::server
