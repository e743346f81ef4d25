// KubeClient: the Kubernetes API server's REST API over HttpClient, with the credentials of a
// kubeconfig (its current context or a named one) or of the pod vigil runs in (in-cluster
// service-account token and CA). TLS is always verified; `insecure-skip-tls-verify` and `exec`
// credential plugins are refused with a message that says so.
//
// Thread-safety: as HttpClient. A bearer token from a file is re-read for every request, so a
// rotated (projected) service-account token is picked up without a restart.
#ifndef VIGIL_REMEDIATE_KUBE_KUBE_CLIENT_H_
#define VIGIL_REMEDIATE_KUBE_KUBE_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "remediate/http_client.h"

namespace vigil::remediate::kube {

struct KubeCredentials {
  std::string server;  // https://host:port
  std::string ca_pem;  // empty: the system's CA store
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // a bearer token, or
  std::string token_file;  // a file holding one (re-read per request)
  std::string ns;          // the context's default namespace, "" when none
  std::string source;      // "kubeconfig PATH (context NAME)" or "in-cluster": for messages
};

// Reads a kubeconfig. `context` empty means current-context. Relative file paths in it are read
// relative to the kubeconfig's folder. kConfig with file:line:col when a reference does not
// resolve, a field has the wrong type, or the user needs an exec/auth-provider plugin; kIo when a
// referenced file cannot be read.
Result<KubeCredentials> LoadKubeconfig(const std::string& path, std::string_view context);
// The same over text already read (`file` names it in errors).
Result<KubeCredentials> ParseKubeconfig(std::string_view text, const std::string& file,
                                        std::string_view context);

// The pod's own credentials: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, and the token
// and ca.crt under `sa_dir` (default /var/run/secrets/kubernetes.io/serviceaccount). kConfig
// naming what is missing when vigil does not run in a pod.
Result<KubeCredentials> InClusterCredentials(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// A Kubernetes API answer that is not 2xx, as an error: "VERB PATH: Reason (code): message",
// from the Status body the API server sends (kind: Status). kNotFound for 404, kIo otherwise.
Error KubeStatusError(const HttpClient& http, std::string_view method, std::string_view path,
                      const HttpResponse& response);

class KubeClient {
 public:
  static Result<std::unique_ptr<KubeClient>> Create(const KubeCredentials& creds,
                                                    RetryPolicy retry = {});

  // One request; the answer whatever its status. `body` null means none. PATCH bodies are sent
  // as application/merge-patch+json.
  Result<HttpResponse> Request(std::string_view method, const std::string& path,
                               const nlohmann::json* body = nullptr);

  // GET path: the object, nullopt on 404, an error (KubeStatusError) otherwise.
  Result<std::optional<nlohmann::json>> GetObject(const std::string& path);

  const KubeCredentials& credentials() const { return creds_; }
  const HttpClient& http() const { return *http_; }

 private:
  KubeClient(KubeCredentials creds, std::unique_ptr<HttpClient> http)
      : creds_(std::move(creds)), http_(std::move(http)) {}
  KubeCredentials creds_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace vigil::remediate::kube

#endif  // VIGIL_REMEDIATE_KUBE_KUBE_CLIENT_H_
