#include "remediate/kube/kube_client.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "remediate/base64.h"
#include "remediate/config_yaml.h"

namespace vigil::remediate::kube {
namespace {

// The entry of `list` (clusters, users, contexts) whose name is `name`, and its `inner` mapping.
Result<YAML::Node> FindNamed(const YAML::Node& root, const char* list, const char* inner,
                             const std::string& name, const std::string& file) {
  const YAML::Node entries = root[list];
  if (entries.IsDefined() && !entries.IsNull() && !entries.IsSequence()) {
    return ConfigError(entries, file, fmt::format("'{}' must be a list", list));
  }
  // yaml-cpp throws when a missing node is asked its type, so IsDefined() comes first.
  if (entries.IsDefined() && entries.IsSequence()) {
    for (const auto& e : entries) {
      if (!e.IsDefined() || !e.IsMap()) {
        return ConfigError(e, file, fmt::format("an entry of '{}' must be a mapping", list));
      }
      const YAML::Node n = e["name"];
      if (n.IsDefined() && n.IsScalar() && n.Scalar() == name) {
        const YAML::Node v = e[inner];
        if (!v.IsDefined() || !v.IsMap()) {
          return ConfigError(e, file, fmt::format("{} '{}' has no '{}' mapping", list, name, inner));
        }
        return v;
      }
    }
  }
  return ConfigError(entries.IsDefined() ? entries : root, file,
                     fmt::format("no entry named '{}' in '{}'", name, list));
}

// PEM from `<key>-data` (base64) or from the file `<key>` (relative to `dir`).
Result<std::string> PemFrom(const YAML::Node& map, const std::string& key, const std::string& dir,
                            const std::string& file) {
  VIGIL_TRY(auto data, OptionalString(map, key + "-data", file));
  if (data) {
    auto pem = Base64Decode(*data);
    if (!pem) return ConfigError(map[key + "-data"], file, fmt::format("'{}-data' is not base64", key));
    return *pem;
  }
  VIGIL_TRY(auto path, OptionalString(map, key, file));
  if (!path) return std::string();
  std::filesystem::path p(*path);
  if (p.is_relative()) p = std::filesystem::path(dir) / p;
  auto text = ReadTextFile(p.string());
  if (!text) return MakeError(ErrorCode::kIo, text.error().message, PosOf(map[key], file));
  return *text;
}

}  // namespace

Result<KubeCredentials> ParseKubeconfig(std::string_view text, const std::string& file,
                                        std::string_view context) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kConfig, e.msg,
                     SourcePos{file, e.mark.line + 1, e.mark.column + 1});
  }
  if (!root.IsMap()) return MakeError(ErrorCode::kConfig, "a kubeconfig must be a mapping", SourcePos{file, 1, 1});
  std::string ctx_name(context);
  if (ctx_name.empty()) {
    VIGIL_TRY(auto cur, OptionalString(root, "current-context", file));
    if (!cur || cur->empty()) {
      return ConfigError(root, file, "no current-context is set and no context was named");
    }
    ctx_name = *cur;
  }
  const std::string dir = std::filesystem::path(file).parent_path().string();
  VIGIL_TRY(YAML::Node ctx, FindNamed(root, "contexts", "context", ctx_name, file));
  VIGIL_TRY(std::string cluster_name, RequiredString(ctx, "cluster", file));
  VIGIL_TRY(std::string user_name, RequiredString(ctx, "user", file));
  VIGIL_TRY(YAML::Node cluster, FindNamed(root, "clusters", "cluster", cluster_name, file));
  VIGIL_TRY(YAML::Node user, FindNamed(root, "users", "user", user_name, file));

  KubeCredentials c;
  c.source = fmt::format("kubeconfig {} (context {})", file, ctx_name);
  VIGIL_TRY(auto ns, OptionalString(ctx, "namespace", file));
  c.ns = ns.value_or("");
  VIGIL_TRY(c.server, RequiredString(cluster, "server", file));
  VIGIL_TRY(bool insecure, OptionalBool(cluster, "insecure-skip-tls-verify", file, false));
  if (insecure) {
    return ConfigError(cluster["insecure-skip-tls-verify"], file,
                       "insecure-skip-tls-verify is refused: vigil always verifies the API "
                       "server's certificate; give certificate-authority(-data)");
  }
  VIGIL_TRY(c.ca_pem, PemFrom(cluster, "certificate-authority", dir, file));
  if (user["exec"].IsDefined() || user["auth-provider"].IsDefined()) {
    return ConfigError(user, file,
                       fmt::format("user '{}' needs an exec or auth-provider plugin, which vigil "
                                   "does not run; use a token, tokenFile or client certificate",
                                   user_name));
  }
  VIGIL_TRY(c.client_cert_pem, PemFrom(user, "client-certificate", dir, file));
  VIGIL_TRY(c.client_key_pem, PemFrom(user, "client-key", dir, file));
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return ConfigError(user, file, "a client certificate needs both the certificate and the key");
  }
  VIGIL_TRY(auto token, OptionalString(user, "token", file));
  VIGIL_TRY(auto token_file, OptionalString(user, "tokenFile", file));
  if (token) c.token = *token;
  if (token_file) {
    std::filesystem::path p(*token_file);
    if (p.is_relative()) p = std::filesystem::path(dir) / p;
    c.token_file = p.string();
  }
  if (c.token.empty() && c.token_file.empty() && c.client_cert_pem.empty()) {
    return ConfigError(user, file,
                       fmt::format("user '{}' has no credentials (token, tokenFile or "
                                   "client-certificate/client-key)",
                                   user_name));
  }
  return c;
}

Result<KubeCredentials> LoadKubeconfig(const std::string& path, std::string_view context) {
  VIGIL_TRY(std::string text, ReadTextFile(path));
  return ParseKubeconfig(text, path, context);
}

Result<KubeCredentials> InClusterCredentials(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return MakeError(ErrorCode::kConfig,
                     "in-cluster credentials need KUBERNETES_SERVICE_HOST and "
                     "KUBERNETES_SERVICE_PORT (is vigil running in a pod?)");
  }
  KubeCredentials c;
  c.source = "in-cluster";
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = fmt::format("https://{}:{}", h, port);
  c.token_file = sa_dir + "/token";
  VIGIL_TRY(c.ca_pem, ReadTextFile(sa_dir + "/ca.crt"));
  VIGIL_TRY(std::string probe, ReadTextFile(c.token_file));
  if (auto ns = ReadTextFile(sa_dir + "/namespace")) c.ns = *ns;
  return c;
}

Error KubeStatusError(const HttpClient& http, std::string_view method, std::string_view path,
                      const HttpResponse& response) {
  std::string reason;
  std::string message;
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object() && j.value("kind", "") == "Status") {
    if (j.contains("reason") && j["reason"].is_string()) reason = j["reason"].get<std::string>();
    if (j.contains("message") && j["message"].is_string()) message = j["message"].get<std::string>();
  }
  if (reason.empty()) reason = "HTTP error";
  if (message.empty()) message = "(no Status body)";
  std::string hint;
  if (response.status == 401) hint = " — the credentials were not accepted";
  if (response.status == 403) hint = " — vigil's identity lacks this permission (see the RBAC in docs/remediation-integrations.md)";
  return MakeError(response.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo,
                   fmt::format("{}: {} ({}): {}{}", http.Describe(method, path), reason,
                               response.status, message, hint));
}

Result<std::unique_ptr<KubeClient>> KubeClient::Create(const KubeCredentials& creds,
                                                       RetryPolicy retry) {
  HttpClientOptions o;
  o.base_url = creds.server;
  o.ca_pem = creds.ca_pem;
  o.client_cert_pem = creds.client_cert_pem;
  o.client_key_pem = creds.client_key_pem;
  o.retry = retry;
  if (!creds.token.empty()) o.headers.emplace_back("Authorization", "Bearer " + creds.token);
  auto http = HttpClient::Create(std::move(o));
  if (!http) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("{}: {}", creds.source, http.error().message));
  }
  return std::unique_ptr<KubeClient>(new KubeClient(creds, std::move(*http)));
}

Result<HttpResponse> KubeClient::Request(std::string_view method, const std::string& path,
                                         const nlohmann::json* body) {
  HttpRequest r;
  r.method = std::string(method);
  r.path = path;
  if (body != nullptr) {
    r.body = body->dump();
    r.content_type = method == "PATCH" ? "application/merge-patch+json" : "application/json";
  }
  if (!creds_.token_file.empty()) {
    auto token = ReadTextFile(creds_.token_file);
    if (!token) return MakeError(ErrorCode::kIo, "bearer token: " + token.error().message);
    std::string t = std::move(*token);
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    r.headers.emplace_back("Authorization", "Bearer " + t);
  }
  // Every Kubernetes write vigil makes is safe to repeat: creates answer 409 AlreadyExists,
  // deletes 404, merge patches set the same value.
  r.idempotent = true;
  return http_->Send(r);
}

Result<std::optional<nlohmann::json>> KubeClient::GetObject(const std::string& path) {
  VIGIL_TRY(HttpResponse r, Request("GET", path));
  if (r.status == 404) return std::optional<nlohmann::json>();
  if (!r.ok()) return KubeStatusError(*http_, "GET", path, r);
  VIGIL_TRY(auto j, ParseJsonBody(r, http_->Describe("GET", path)));
  return std::optional<nlohmann::json>(std::move(j));
}

}  // namespace vigil::remediate::kube
