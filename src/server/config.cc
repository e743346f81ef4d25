#include "server/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "base/time.h"
#include "jetstream/subject.h"

namespace vigil::server {
namespace {

// Collects every problem of one config file, each with its position.
class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  void Fail(const YAML::Node& at, const std::string& message) {
    SourcePos pos{source_, 0, 0};
    if (at.IsDefined() && at.Mark().line >= 0) {
      pos.line = at.Mark().line + 1;
      pos.column = at.Mark().column + 1;
    }
    errors_.push_back(MakeError(ErrorCode::kConfig, message, std::move(pos)).ToString());
  }

  bool String(const YAML::Node& n, std::string_view key, std::string& out) {
    if (!n.IsScalar()) {
      Fail(n, fmt::format("{}: expected a string", key));
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void Bool(const YAML::Node& n, std::string_view key, bool& out) {
    const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
    if (s == "true" || s == "yes" || s == "on") {
      out = true;
    } else if (s == "false" || s == "no" || s == "off") {
      out = false;
    } else {
      Fail(n, fmt::format("{}: expected true or false", key));
    }
  }

  // A string or a list of strings.
  void Strings(const YAML::Node& n, std::string_view key, std::vector<std::string>& out) {
    out.clear();
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return;
    }
    if (!n.IsSequence()) {
      Fail(n, fmt::format("{}: expected a string or a list of strings", key));
      return;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        Fail(item, fmt::format("{}: every item must be a string", key));
        continue;
      }
      out.push_back(item.Scalar());
    }
  }

  void Count(const YAML::Node& n, std::string_view key, std::size_t& out) {
    std::size_t v = 0;
    const std::string s = n.IsScalar() ? n.Scalar() : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0) {
      Fail(n, fmt::format("{}: expected a positive whole number", key));
      return;
    }
    out = v;
  }

  void Bytes(const YAML::Node& n, std::string_view key, std::size_t& out) {
    auto v = n.IsScalar() ? ParseByteSize(n.Scalar()) : std::nullopt;
    if (!v) {
      Fail(n, fmt::format("{}: expected a size such as 12MiB, 512KiB or 1048576", key));
      return;
    }
    out = *v;
  }

  void Seconds(const YAML::Node& n, std::string_view key, std::int64_t& out) {
    auto v = n.IsScalar() ? ParseDurationSeconds(n.Scalar()) : std::nullopt;
    if (!v || *v <= 0) {
      Fail(n, fmt::format("{}: expected a duration such as 10s, 15m or 1h", key));
      return;
    }
    out = *v;
  }

  void Seconds(const YAML::Node& n, std::string_view key, std::chrono::seconds& out) {
    std::int64_t s = out.count();
    Seconds(n, key, s);
    out = std::chrono::seconds(s);
  }

  // Calls the handler of each key of map `n`; an unknown key is an error listing the known ones.
  void Map(const YAML::Node& n,
           std::string_view where,
           const std::map<std::string, std::function<void(const YAML::Node&)>>& handlers) {
    if (!n.IsMap()) {
      Fail(n, fmt::format("{}: expected a mapping of keys to values", where));
      return;
    }
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      auto it = handlers.find(key);
      if (it == handlers.end()) {
        std::string known;
        for (const auto& [k, h] : handlers) known += (known.empty() ? "" : ", ") + k;
        Fail(kv.first, fmt::format("unknown key '{}' (known here: {})",
                                   where.empty() ? key : fmt::format("{}.{}", where, key), known));
        continue;
      }
      it->second(kv.second);
    }
  }

  Status Finish() const {
    if (errors_.empty()) return Ok();
    std::string msg;
    for (const auto& e : errors_) msg += (msg.empty() ? "" : "\n") + e;
    return MakeError(ErrorCode::kConfig, msg);
  }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace

std::optional<std::size_t> ParseByteSize(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end == text.data() || v == 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1},          {"B", 1},        {"KiB", 1 << 10}, {"KB", 1000},
      {"MiB", 1 << 20}, {"MB", 1000000}, {"GiB", 1 << 30}, {"GB", 1000000000},
  };
  for (const auto& [name, mult] : kUnits) {
    if (unit == name) {
      if (v > (std::uint64_t{1} << 48) / mult) return std::nullopt;
      return static_cast<std::size_t>(v * mult);
    }
  }
  return std::nullopt;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("listen address '{}': expected [IPv6]:PORT", text));
    }
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return MakeError(
          ErrorCode::kConfig,
          fmt::format("listen address '{}': expected HOST:PORT, e.g. 127.0.0.1:8765", text));
    }
    a.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (a.host.empty() || ec != std::errc() || end != port.data() + port.size() || a.port < 0 ||
      a.port > 65535) {
    return MakeError(
        ErrorCode::kConfig,
        fmt::format("listen address '{}': expected HOST:PORT with a port 0-65535", text));
  }
  return a;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<ServeConfig> ParseServeConfig(std::string_view text, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kConfig, fmt::format("not valid YAML: {}", e.msg),
                     SourcePos{std::string(source), e.mark.line + 1, e.mark.column + 1});
  }
  ServeConfig c;
  if (root.IsNull()) return c;  // an empty file: every default
  ConfigReader r(source);
  try {
    r.Map(root, "",
          {
              {"listen", [&](const YAML::Node& n) { r.String(n, "listen", c.listen); }},
              {"insecure_listen",
               [&](const YAML::Node& n) { r.Bool(n, "insecure_listen", c.insecure_listen); }},
              {"db", [&](const YAML::Node& n) { r.String(n, "db", c.db); }},
              // Read by the remediation engine (remediate/config.h) from the same file.
              {"remediation", [&](const YAML::Node&) { c.has_remediation = true; }},
              {"rules", [&](const YAML::Node& n) { r.Strings(n, "rules", c.rules); }},
              {"threat_lists",
               [&](const YAML::Node& n) { r.Strings(n, "threat_lists", c.threat_lists); }},
              {"trusted_proxies",
               [&](const YAML::Node& n) { r.Strings(n, "trusted_proxies", c.trusted_proxies); }},
              {"geoip_databases",
               [&](const YAML::Node& n) { r.Strings(n, "geoip_databases", c.geoip_databases); }},
              {"no_builtin_rules",
               [&](const YAML::Node& n) { r.Bool(n, "no_builtin_rules", c.no_builtin_rules); }},
              {"attack_sequences",
               [&](const YAML::Node& n) { r.Bool(n, "attack_sequences", c.attack_sequences); }},
              {"baselines", [&](const YAML::Node& n) { r.Bool(n, "baselines", c.baselines); }},
              {"learning_period",
               [&](const YAML::Node& n) {
                 r.Seconds(n, "learning_period", c.learning_period_seconds);
               }},
              {"tail", [&](const YAML::Node& n) { r.Strings(n, "tail", c.tail); }},
              {"tail_state", [&](const YAML::Node& n) { r.String(n, "tail_state", c.tail_state); }},
              {"cluster", [&](const YAML::Node& n) { r.String(n, "cluster", c.cluster); }},
              {"account", [&](const YAML::Node& n) { r.String(n, "account", c.account); }},
              {"region", [&](const YAML::Node& n) { r.String(n, "region", c.region); }},
              {"dead_letter",
               [&](const YAML::Node& n) { r.String(n, "dead_letter", c.dead_letter); }},
              {"dedup_window",
               [&](const YAML::Node& n) { r.Seconds(n, "dedup_window", c.dedup_window_seconds); }},
              {"shutdown_timeout",
               [&](const YAML::Node& n) { r.Seconds(n, "shutdown_timeout", c.shutdown_timeout); }},
              {"delivery_window",
               [&](const YAML::Node& n) { r.Seconds(n, "delivery_window", c.delivery_window); }},
              {"tls",
               [&](const YAML::Node& n) {
                 r.Map(n, "tls",
                       {
                           {"cert",
                            [&](const YAML::Node& v) { r.String(v, "tls.cert", c.tls.cert_file); }},
                           {"key",
                            [&](const YAML::Node& v) { r.String(v, "tls.key", c.tls.key_file); }},
                           {"client_ca",
                            [&](const YAML::Node& v) {
                              r.String(v, "tls.client_ca", c.tls.client_ca_file);
                            }},
                       });
               }},
              {"auth",
               [&](const YAML::Node& n) {
                 r.Map(n, "auth",
                       {
                           {"api_token_file",
                            [&](const YAML::Node& v) {
                              r.String(v, "auth.api_token_file", c.auth.api_token_file);
                            }},
                           {"webhook_token_file",
                            [&](const YAML::Node& v) {
                              r.String(v, "auth.webhook_token_file", c.auth.webhook_token_file);
                            }},
                       });
               }},
              {"limits",
               [&](const YAML::Node& n) {
                 Limits& l = c.limits;
                 r.Map(n, "limits",
                       {
                           {"max_body",
                            [&](const YAML::Node& v) {
                              r.Bytes(v, "limits.max_body", l.max_body_bytes);
                            }},
                           {"max_events_per_batch",
                            [&](const YAML::Node& v) {
                              r.Count(v, "limits.max_events_per_batch", l.max_events_per_batch);
                            }},
                           {"read_timeout",
                            [&](const YAML::Node& v) {
                              r.Seconds(v, "limits.read_timeout", l.read_timeout);
                            }},
                           {"queue_batches",
                            [&](const YAML::Node& v) {
                              r.Count(v, "limits.queue_batches", l.queue_batches);
                            }},
                           {"queue_bytes",
                            [&](const YAML::Node& v) {
                              r.Bytes(v, "limits.queue_bytes", l.queue_bytes);
                            }},
                           {"http_threads",
                            [&](const YAML::Node& v) {
                              r.Count(v, "limits.http_threads", l.http_threads);
                            }},
                           {"max_clusters",
                            [&](const YAML::Node& v) {
                              r.Count(v, "limits.max_clusters", l.max_clusters);
                            }},
                       });
               }},
              {"jetstream",
               [&](const YAML::Node& n) {
                 JetStreamConfig& j = c.jetstream;
                 auto seconds = [&](const char* key, std::chrono::seconds& out) {
                   return [&r, key, &out](const YAML::Node& v) {
                     r.Seconds(v, fmt::format("jetstream.{}", key), out);
                   };
                 };
                 r.Map(n, "jetstream",
                       {
                           {"urls",
                            [&](const YAML::Node& v) { r.Strings(v, "jetstream.urls", j.urls); }},
                           {"role",
                            [&](const YAML::Node& v) {
                              if (r.String(v, "jetstream.role", j.role) && j.role != "front" &&
                                  j.role != "worker") {
                                r.Fail(v, "jetstream.role: expected front or worker");
                              }
                            }},
                           {"stream",
                            [&](const YAML::Node& v) {
                              if (r.String(v, "jetstream.stream", j.stream) &&
                                  !jetstream::IsValidStreamName(j.stream)) {
                                r.Fail(v, "jetstream.stream: expected 1-64 of A-Z a-z 0-9 _ -");
                              }
                            }},
                           {"subject_prefix",
                            [&](const YAML::Node& v) {
                              if (r.String(v, "jetstream.subject_prefix", j.subject_prefix) &&
                                  !jetstream::IsValidSubjectPrefix(j.subject_prefix)) {
                                r.Fail(v,
                                       "jetstream.subject_prefix: expected tokens of A-Z a-z 0-9 "
                                       "_ - separated by dots, such as audit or k8s.audit");
                              }
                            }},
                           {"replicas",
                            [&](const YAML::Node& v) {
                              r.Count(v, "jetstream.replicas", j.replicas);
                              if (j.replicas > 5) r.Fail(v, "jetstream.replicas: at most 5");
                            }},
                           {"duplicate_window",
                            [&](const YAML::Node& v) {
                              r.Seconds(v, "jetstream.duplicate_window",
                                        j.duplicate_window_seconds);
                            }},
                           {"max_age",
                            [&](const YAML::Node& v) {
                              r.Seconds(v, "jetstream.max_age", j.max_age_seconds);
                            }},
                           {"publish_timeout", seconds("publish_timeout", j.publish_timeout)},
                           {"ack_wait", seconds("ack_wait", j.ack_wait)},
                           {"lease_ttl", seconds("lease_ttl", j.lease_ttl)},
                           {"fetch_batch",
                            [&](const YAML::Node& v) {
                              r.Count(v, "jetstream.fetch_batch", j.fetch_batch);
                            }},
                           {"worker_id",
                            [&](const YAML::Node& v) {
                              r.String(v, "jetstream.worker_id", j.worker_id);
                            }},
                           {"token_file",
                            [&](const YAML::Node& v) {
                              r.String(v, "jetstream.token_file", j.token_file);
                            }},
                           {"credentials_file",
                            [&](const YAML::Node& v) {
                              r.String(v, "jetstream.credentials_file", j.credentials_file);
                            }},
                           {"tls_ca",
                            [&](const YAML::Node& v) { r.String(v, "jetstream.tls_ca", j.tls_ca); }},
                           {"tls_cert",
                            [&](const YAML::Node& v) {
                              r.String(v, "jetstream.tls_cert", j.tls_cert);
                            }},
                           {"tls_key",
                            [&](const YAML::Node& v) {
                              r.String(v, "jetstream.tls_key", j.tls_key);
                            }},
                       });
               }},
          });
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kConfig, fmt::format("config: {}", e.msg),
                     SourcePos{std::string(source), e.mark.line + 1, e.mark.column + 1});
  }
  VIGIL_TRY_STATUS(r.Finish());
  return c;
}

Result<ServeConfig> LoadServeConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, fmt::format("cannot read config file '{}'", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto c = ParseServeConfig(buffer.str(), path);
  if (c) c->config_file = path;
  return c;
}

Status ValidateServeConfig(const ServeConfig& c) {
  VIGIL_TRY(ListenAddress addr, ParseListenAddress(c.listen));
  if (c.jetstream.enabled()) {
    const JetStreamConfig& j = c.jetstream;
    if (j.urls.empty()) {
      return MakeError(ErrorCode::kConfig,
                       "jetstream.role is set but jetstream.urls names no NATS server");
    }
    for (const auto& u : j.urls) {
      if (!u.starts_with("nats://") && !u.starts_with("tls://")) {
        return MakeError(ErrorCode::kConfig,
                         fmt::format("jetstream.urls: '{}' is not a nats:// or tls:// URL", u));
      }
      // nats://user:password@host or nats://token@host: a secret in a URL reaches logs and error
      // messages; it belongs in token_file or credentials_file. (The URL is not repeated here.)
      const std::string_view rest = std::string_view(u).substr(u.find("://") + 3);
      if (rest.substr(0, rest.find('/')).find('@') != std::string_view::npos) {
        return MakeError(ErrorCode::kConfig,
                         "jetstream.urls: a URL carries credentials (user@ or token@); give them "
                         "in jetstream.token_file or jetstream.credentials_file instead");
      }
    }
    if (!j.token_file.empty() && !j.credentials_file.empty()) {
      return MakeError(ErrorCode::kConfig,
                       "jetstream.token_file and jetstream.credentials_file: give one, not both");
    }
    if (j.tls_cert.empty() != j.tls_key.empty()) {
      return MakeError(ErrorCode::kConfig, "jetstream.tls_cert and jetstream.tls_key go together");
    }
    if (j.duplicate_window_seconds > j.max_age_seconds) {
      return MakeError(ErrorCode::kConfig,
                       "jetstream.duplicate_window must not be longer than jetstream.max_age");
    }
    if (j.worker() && j.ack_wait <= j.lease_ttl) {
      return MakeError(ErrorCode::kConfig,
                       "jetstream.ack_wait must be longer than jetstream.lease_ttl, so that a "
                       "message is not redelivered while its worker still holds the lease");
    }
  }
  if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
    return MakeError(
        ErrorCode::kConfig,
        "TLS needs both a certificate and a key (--tls-cert and --tls-key, or tls.cert "
        "and tls.key)");
  }
  if (!c.tls.client_ca_file.empty() && !c.tls.enabled()) {
    return MakeError(ErrorCode::kConfig,
                     "a client CA (--client-ca) needs TLS: set --tls-cert and --tls-key too");
  }
  if (c.limits.max_body_bytes < 1024) {
    return MakeError(ErrorCode::kConfig, "limits.max_body must be at least 1KiB");
  }
  if (IsLoopbackHost(addr.host) || c.insecure_listen) return Ok();
  std::vector<std::string> missing;
  if (!c.tls.enabled()) missing.push_back("TLS (--tls-cert, --tls-key)");
  if (c.auth.webhook_token_file.empty() && c.tls.client_ca_file.empty()) {
    missing.push_back("webhook authentication (--webhook-token-file or --client-ca)");
  }
  if (c.auth.api_token_file.empty()) missing.push_back("API tokens (--api-token-file)");
  if (missing.empty()) return Ok();
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  return MakeError(ErrorCode::kConfig,
                   fmt::format("refusing to listen on {}: it is not a loopback address, and audit "
                               "events and findings would travel without {}; configure them, "
                               "listen on 127.0.0.1, or pass --insecure-listen to accept the risk",
                               c.listen, list));
}

}  // namespace vigil::server
