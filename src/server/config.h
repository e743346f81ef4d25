// ServeConfig: everything `vigil serve` needs to run, read from a YAML file (examples/serve/) and
// overridden by command-line flags. Parsing never throws: every problem comes back as a kConfig
// Error naming the file, line and column and the key that is wrong.
//
// Secrets are never in the config itself: it names files that hold tokens and keys.
#ifndef VIGIL_SERVER_CONFIG_H_
#define VIGIL_SERVER_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::server {

struct TlsConfig {
  std::string cert_file;       // PEM certificate chain; TLS is on when cert_file is set
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // when set, webhook callers may authenticate by client certificate

  bool enabled() const { return !cert_file.empty(); }
};

struct AuthConfig {
  // Lines "TOKEN ROLE [NAME]" (ROLE admin or read); see docs/operations.md.
  std::string api_token_file;
  // Lines "TOKEN [CLUSTER]": a webhook caller's bearer token, and the cluster it speaks for.
  std::string webhook_token_file;
};

struct Limits {
  std::size_t max_body_bytes = std::size_t{12} << 20;  // the API server's batch can be 10 MiB
  std::size_t max_events_per_batch = 5000;
  std::chrono::seconds read_timeout{10};
  std::size_t queue_batches = 64;                    // batches waiting for the pipeline
  std::size_t queue_bytes = std::size_t{256} << 20;  // their bodies, in bytes
  std::size_t http_threads = 8;
  std::size_t max_clusters = 64;
};

// `jetstream:` — scale-out through NATS JetStream (docs/scale-out.md). role "front": the webhook
// publishes each event to `<subject_prefix>.<cluster>` and answers 200 only after JetStream
// acknowledged every publish. role "worker": events come from the stream instead, through one
// durable consumer per cluster, while this worker holds the cluster's lease.
struct JetStreamConfig {
  std::vector<std::string> urls{};  // nats://host:port of the NATS servers
  std::string role{};               // "", "front" or "worker"
  std::string stream = "AUDIT";
  std::string subject_prefix = "audit";
  std::size_t replicas = 1;                           // of the stream, consumers and buckets
  std::int64_t duplicate_window_seconds = 120;        // Nats-Msg-Id de-duplication window
  std::int64_t max_age_seconds = 7 * 24 * 3600;       // how long the stream keeps events
  std::chrono::seconds publish_timeout{5};            // front: wait for publish acks at most
  std::chrono::seconds ack_wait{60};                  // worker: redelivery after this
  std::chrono::seconds lease_ttl{6};                  // worker: a dead worker's leases expire
  std::size_t fetch_batch = 400;                      // worker: messages per commit at most
  std::string worker_id{};                            // worker: default host name and pid
  // Authentication to NATS (docs/scale-out.md): a file holding the server's token, or a NATS
  // credentials file; TLS: the CA that signed the servers' certificates, and a client certificate.
  // Never a password in a URL (refused): URLs end up in logs.
  std::string token_file{};
  std::string credentials_file{};
  std::string tls_ca{};
  std::string tls_cert{};
  std::string tls_key{};

  bool enabled() const { return !role.empty(); }
  bool front() const { return role == "front"; }
  bool worker() const { return role == "worker"; }
};

struct ServeConfig {
  std::string listen = "127.0.0.1:8765";
  bool insecure_listen = false;
  std::string db = "vigil.db";
  std::vector<std::string> rules;  // rule files or directories after the built-in catalog
  std::vector<std::string> threat_lists;     // NAME=FILE, as `vigil scan --threat-list`
  std::vector<std::string> trusted_proxies;  // IPs or CIDRs skipped when finding the caller
  std::vector<std::string> geoip_databases;  // .mmdb files, as `vigil scan --geoip-db`
  bool no_builtin_rules = false;
  // Correlate findings and weak signals into AttackSequence:EKS/CompromisedCluster findings.
  bool attack_sequences = true;
  // Learn per-principal baselines and report AnomalousBehavior findings (detect/baseline.h).
  bool baselines = false;
  std::int64_t learning_period_seconds = 7 * 24 * 3600;  // of event time
  std::vector<std::string> tail;    // audit log files to follow
  std::string tail_state;           // where tail offsets are kept (default: the db itself)
  std::string cluster = "default";  // cluster for a caller that names none
  std::string account;
  std::string region;
  std::string dead_letter;  // JSON lines of rejected records; empty: none
  std::int64_t dedup_window_seconds = 15 * 60;
  std::chrono::seconds shutdown_timeout{20};
  // KubeAudit.4: a cluster that sent events and has been silent this long gets a HIGH finding,
  // "audit log delivery stopped" (controls/delivery_monitor.h). 0 turns the check off.
  std::chrono::seconds delivery_window{900};
  TlsConfig tls;
  AuthConfig auth;
  Limits limits;
  JetStreamConfig jetstream;
  // The file this was loaded from (LoadServeConfig), and whether it has a `remediation:` key:
  // then `vigil serve` runs remediation continuously (server/remediation_api.h).
  std::string config_file;
  bool has_remediation = false;
};

// Parses `text` (YAML) read from `source` (a path, for messages). Unknown keys are errors, so a
// typo never silently falls back to a default. All problems are reported together.
Result<ServeConfig> ParseServeConfig(std::string_view text, std::string_view source);

// Reads and parses the file at `path`. kIo when it cannot be read.
Result<ServeConfig> LoadServeConfig(const std::string& path);

// "12MiB", "10MB", "512KiB", "4096" → bytes. nullopt when malformed or zero.
std::optional<std::size_t> ParseByteSize(std::string_view text);

// Splits "HOST:PORT" ("[::1]:8765" for IPv6). kConfig with the reason when malformed.
struct ListenAddress {
  std::string host;
  int port = 0;
};
Result<ListenAddress> ParseListenAddress(std::string_view text);

// True when `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(std::string_view host);

// Checks the combination of settings that must hold before anything listens: TLS files in pairs,
// a client CA only with TLS, and the loopback rule (a non-loopback address needs TLS and
// webhook and API authentication, unless insecure_listen). The error says why and how to fix it.
Status ValidateServeConfig(const ServeConfig& config);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_CONFIG_H_
