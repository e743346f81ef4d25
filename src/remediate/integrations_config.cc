#include "remediate/integrations_config.h"

#include <fmt/format.h>

#include <cstdlib>

#include "remediate/config_yaml.h"

namespace vigil::remediate {
namespace {

using std::chrono::milliseconds;

// ca_file, timeout_seconds and retry: what every HTTP integration may set.
Status ParseHttpCommon(const YAML::Node& node, std::string_view file, HttpClientOptions& http) {
  VIGIL_TRY(auto ca, OptionalString(node, "ca_file", file));
  if (ca) http.ca_file = *ca;
  VIGIL_TRY(long long timeout, OptionalInt(node, "timeout_seconds", file, 30, 1, 600));
  http.read_timeout = milliseconds(timeout * 1000);
  http.connect_timeout = milliseconds(std::min<long long>(timeout, 10) * 1000);
  const YAML::Node retry = node["retry"];
  if (retry.IsDefined() && !retry.IsNull()) {
    VIGIL_TRY_STATUS(CheckKeys(retry,
                               {"max_attempts", "initial_backoff_ms", "max_backoff_ms",
                                "total_budget_seconds"},
                               file, "retry"));
    VIGIL_TRY(long long attempts, OptionalInt(retry, "max_attempts", file, 5, 1, 20));
    VIGIL_TRY(long long initial, OptionalInt(retry, "initial_backoff_ms", file, 500, 1, 600'000));
    VIGIL_TRY(long long max, OptionalInt(retry, "max_backoff_ms", file, 30'000, 1, 600'000));
    VIGIL_TRY(long long budget, OptionalInt(retry, "total_budget_seconds", file, 120, 1, 3600));
    if (max < initial) {
      return ConfigError(retry, file, "retry: max_backoff_ms is below initial_backoff_ms");
    }
    http.retry.max_attempts = static_cast<int>(attempts);
    http.retry.initial_backoff = milliseconds(initial);
    http.retry.max_backoff = milliseconds(max);
    http.retry.total_budget = milliseconds(budget * 1000);
  }
  return Ok();
}

// A URL checked now, so a typo fails at load time with its position rather than at first use.
Status CheckUrl(const YAML::Node& node, std::string_view key, std::string_view file,
                const std::string& url, bool secret) {
  HttpClientOptions probe;
  probe.base_url = url;
  auto c = HttpClient::Create(probe);
  if (!c) {
    // The URL of a secret (Slack) is not repeated in the error.
    return ConfigError(node[std::string(key)].IsDefined() ? node[std::string(key)] : node, file,
                       secret ? fmt::format("'{}': {}", key, "not a usable https:// URL")
                              : fmt::format("'{}': {}", key, c.error().message));
  }
  return Ok();
}

Result<std::vector<std::string>> StringList(const YAML::Node& node, std::string_view key,
                                            std::string_view file) {
  std::vector<std::string> out;
  const YAML::Node list = node[std::string(key)];
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) return ConfigError(list, file, fmt::format("'{}' must be a list", key));
  for (const auto& item : list) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      return ConfigError(item, file, fmt::format("'{}' entries must be non-empty strings", key));
    }
    out.push_back(item.Scalar());
  }
  return out;
}

}  // namespace

Result<JiraOptions> ParseJiraOptions(const YAML::Node& node, std::string_view name,
                                     std::string_view file) {
  VIGIL_TRY_STATUS(CheckKeys(node,
                             {"type", "url", "project", "issue_type", "labels", "priorities",
                              "transitions", "auth", "ca_file", "timeout_seconds", "retry",
                              "page_size"},
                             file, fmt::format("tracker '{}'", name)));
  JiraOptions o;
  o.name = std::string(name);
  VIGIL_TRY(o.http.base_url, RequiredString(node, "url", file));
  VIGIL_TRY_STATUS(CheckUrl(node, "url", file, o.http.base_url, false));
  VIGIL_TRY(o.project_key, RequiredString(node, "project", file));
  VIGIL_TRY(auto type, OptionalString(node, "issue_type", file));
  if (type) o.issue_type = *type;
  VIGIL_TRY(o.labels, StringList(node, "labels", file));
  VIGIL_TRY(long long page, OptionalInt(node, "page_size", file, 50, 1, 1000));
  o.page_size = static_cast<int>(page);
  VIGIL_TRY_STATUS(ParseHttpCommon(node, file, o.http));
  const YAML::Node priorities = node["priorities"];
  if (priorities.IsDefined() && !priorities.IsNull()) {
    VIGIL_TRY_STATUS(CheckKeys(priorities, {"critical", "high", "medium", "low", "informational"},
                               file, "priorities"));
    for (const auto& kv : priorities) {
      auto sev = findings::ParseSeverity(kv.first.Scalar());
      if (!sev) return ConfigError(kv.first, file, "unknown severity");
      if (!kv.second.IsScalar()) return ConfigError(kv.second, file, "a priority must be a name");
      if (kv.second.Scalar().empty()) {
        o.priorities.erase(*sev);  // "" sets no priority for that severity
      } else {
        o.priorities[*sev] = kv.second.Scalar();
      }
    }
  }
  const YAML::Node transitions = node["transitions"];
  if (transitions.IsDefined() && !transitions.IsNull()) {
    VIGIL_TRY_STATUS(CheckKeys(transitions, {"close", "reopen"}, file, "transitions"));
    VIGIL_TRY(auto close, OptionalString(transitions, "close", file));
    VIGIL_TRY(auto reopen, OptionalString(transitions, "reopen", file));
    if (close) o.close_transition = *close;
    if (reopen) o.reopen_transition = *reopen;
  }
  const YAML::Node auth = node["auth"];
  if (!auth.IsDefined() || auth.IsNull()) return ConfigError(node, file, "'auth' is required");
  VIGIL_TRY_STATUS(CheckKeys(auth, {"email", "token_env", "token_file", "bearer_token_env",
                                    "bearer_token_file"},
                             file, "auth"));
  VIGIL_TRY(auto email, OptionalString(auth, "email", file));
  if (email) {
    o.email = *email;
    VIGIL_TRY(o.api_token, ReadSecret(auth, "token", file));
    if (auth["bearer_token_env"].IsDefined() || auth["bearer_token_file"].IsDefined()) {
      return ConfigError(auth, file, "use email + token_* (basic) or bearer_token_*, not both");
    }
  } else {
    if (auth["token_env"].IsDefined() || auth["token_file"].IsDefined()) {
      return ConfigError(auth, file, "token_env/token_file need 'email' (basic auth); for a "
                                     "personal access token use bearer_token_env/_file");
    }
    VIGIL_TRY(o.bearer_token, ReadSecret(auth, "bearer_token", file));
  }
  return o;
}

Result<std::unique_ptr<Tracker>> MakeJiraTracker(const YAML::Node& node, std::string_view name,
                                                 std::string_view file) {
  VIGIL_TRY(JiraOptions o, ParseJiraOptions(node, name, file));
  auto t = JiraTracker::Create(std::move(o));
  if (!t) return ConfigError(node, file, t.error().message);
  return std::unique_ptr<Tracker>(std::move(*t));
}

Result<WebhookOptions> ParseWebhookOptions(const YAML::Node& node, std::string_view name,
                                           std::string_view file) {
  VIGIL_TRY_STATUS(CheckKeys(node,
                             {"type", "url", "secret_env", "secret_file", "ca_file",
                              "timeout_seconds", "retry"},
                             file, fmt::format("notifier '{}'", name)));
  WebhookOptions o;
  o.name = std::string(name);
  VIGIL_TRY(o.http.base_url, RequiredString(node, "url", file));
  VIGIL_TRY_STATUS(CheckUrl(node, "url", file, o.http.base_url, false));
  VIGIL_TRY(o.secret, ReadSecret(node, "secret", file));
  VIGIL_TRY_STATUS(ParseHttpCommon(node, file, o.http));
  return o;
}

Result<std::unique_ptr<Notifier>> MakeWebhookNotifier(const YAML::Node& node,
                                                      std::string_view name,
                                                      std::string_view file) {
  VIGIL_TRY(WebhookOptions o, ParseWebhookOptions(node, name, file));
  auto n = WebhookNotifier::Create(std::move(o));
  if (!n) return ConfigError(node, file, n.error().message);
  return std::unique_ptr<Notifier>(std::move(*n));
}

Result<SlackOptions> ParseSlackOptions(const YAML::Node& node, std::string_view name,
                                       std::string_view file) {
  if (!node.IsDefined() || !node.IsMap()) {
    return ConfigError(node, file, fmt::format("notifier '{}' must be a mapping", name));
  }
  if (node["url"].IsDefined()) {
    return ConfigError(node["url"], file,
                       "a Slack webhook URL is a secret: give url_env or url_file, not url");
  }
  VIGIL_TRY_STATUS(CheckKeys(node, {"type", "url_env", "url_file", "timeout_seconds", "retry"},
                             file, fmt::format("notifier '{}'", name)));
  SlackOptions o;
  o.name = std::string(name);
  VIGIL_TRY(o.http.base_url, ReadSecret(node, "url", file));
  const YAML::Node at = node["url_env"].IsDefined() ? node["url_env"] : node["url_file"];
  if (!o.http.base_url.starts_with("https://")) {
    return ConfigError(at, file, "the Slack webhook URL must start with https://");
  }
  VIGIL_TRY_STATUS(CheckUrl(node, node["url_env"].IsDefined() ? "url_env" : "url_file", file,
                            o.http.base_url, true));
  VIGIL_TRY_STATUS(ParseHttpCommon(node, file, o.http));
  o.http.path_is_secret = true;
  return o;
}

Result<std::unique_ptr<Notifier>> MakeSlackNotifier(const YAML::Node& node, std::string_view name,
                                                    std::string_view file) {
  VIGIL_TRY(SlackOptions o, ParseSlackOptions(node, name, file));
  auto n = SlackNotifier::Create(std::move(o));
  if (!n) return ConfigError(node, file, n.error().message);
  return std::unique_ptr<Notifier>(std::move(*n));
}

Result<KubernetesConfig> ParseKubernetesConfig(const YAML::Node& node, std::string_view file) {
  VIGIL_TRY_STATUS(CheckKeys(node,
                             {"kubeconfig", "context", "in_cluster", "protected_namespaces",
                              "quarantine_label", "timeout_seconds", "retry"},
                             file, "kubernetes"));
  KubernetesConfig c;
  VIGIL_TRY(c.in_cluster, OptionalBool(node, "in_cluster", file, false));
  VIGIL_TRY(auto kubeconfig, OptionalString(node, "kubeconfig", file));
  VIGIL_TRY(auto context, OptionalString(node, "context", file));
  if (c.in_cluster && (kubeconfig || context)) {
    return ConfigError(node, file, "in_cluster: true takes no kubeconfig or context");
  }
  if (!c.in_cluster) {
    if (!kubeconfig || kubeconfig->empty()) {
      return ConfigError(node, file, "give 'kubeconfig' (a path) or 'in_cluster: true'");
    }
    c.kubeconfig = *kubeconfig;
    if (c.kubeconfig.starts_with("~/")) {
      const char* home = std::getenv("HOME");
      if (home != nullptr) c.kubeconfig = std::string(home) + c.kubeconfig.substr(1);
    }
    c.context = context.value_or("");
  }
  if (node["protected_namespaces"].IsDefined()) {
    VIGIL_TRY(c.actions.protected_namespaces, StringList(node, "protected_namespaces", file));
  }
  VIGIL_TRY(auto label, OptionalString(node, "quarantine_label", file));
  if (label) {
    // A label key: optional DNS prefix and '/', then a name of at most 63 characters.
    const std::string& l = *label;
    const std::string name_part = l.substr(l.find('/') == std::string::npos ? 0 : l.find('/') + 1);
    bool ok = !name_part.empty() && name_part.size() <= 63 && l.size() <= 316;
    for (char ch : l) {
      ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '/');
    }
    if (!ok) return ConfigError(node["quarantine_label"], file, "not a valid label key");
    c.actions.quarantine_label = l;
  }
  HttpClientOptions http;
  VIGIL_TRY_STATUS(ParseHttpCommon(node, file, http));
  if (!http.ca_file.empty()) {
    return ConfigError(node["ca_file"], file, "the CA comes from the kubeconfig or the pod");
  }
  c.retry = http.retry;
  return c;
}

Result<std::vector<std::unique_ptr<ActionExecutor>>> MakeKubernetesExecutors(
    const YAML::Node& node, std::string_view file) {
  VIGIL_TRY(KubernetesConfig c, ParseKubernetesConfig(node, file));
  auto creds = c.in_cluster ? kube::InClusterCredentials() : kube::LoadKubeconfig(c.kubeconfig, c.context);
  if (!creds) {
    Error e = std::move(creds).error();
    if (!e.pos.known()) e.pos = PosOf(node, file);
    return e;
  }
  auto client = kube::KubeClient::Create(*creds, c.retry);
  if (!client) return ConfigError(node, file, client.error().message);
  return kube::MakeKubeExecutors(std::shared_ptr<kube::KubeClient>(std::move(*client)), c.actions);
}

}  // namespace vigil::remediate
