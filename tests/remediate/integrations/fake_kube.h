// FakeKubeApiServer: a loopback HTTPS server that answers the parts of the Kubernetes REST API
// vigil's actions use as kube-apiserver does: objects under /api/v1 and /apis/<group>/<version>
// (GET, POST to a collection, PUT, merge PATCH, DELETE with uid preconditions), the scale
// subresource of apps workloads, resourceVersion and uid assignment, `?dryRun=All` that validates
// but never persists, Status error bodies (kind: Status, reason NotFound/AlreadyExists/Conflict/
// Forbidden/Unauthorized, code), bearer-token and client-certificate authentication, and RBAC-like
// denials configured per verb and resource. Every request is recorded.
#ifndef VIGIL_TESTS_REMEDIATE_INTEGRATIONS_FAKE_KUBE_H_
#define VIGIL_TESTS_REMEDIATE_INTEGRATIONS_FAKE_KUBE_H_

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "remediate/integrations/loopback_server.h"
#include "remediate/integrations/test_pki.h"

namespace vigil::remediate::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string query;  // "dryRun=All" or ""
  std::string body;
  std::string auth;  // "token", "cert:<CN>" or "none"
  int status = 0;
};

class FakeKubeApiServer {
 public:
  // Serves HTTPS with a certificate from `ca`, accepts `token` as a bearer token and client
  // certificates signed by `ca`.
  FakeKubeApiServer(const TestCa& ca, std::string token);

  std::string url() const { return server_.url("https"); }

  // Stores an object at its path (e.g. "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x")
  // as if created: uid, resourceVersion and creationTimestamp assigned.
  void Put(const std::string& path, nlohmann::json object);
  std::optional<nlohmann::json> Get(const std::string& path) const;
  // Requests for `verb` ("delete", "patch", "create", "get") on `resource` (plural) answer 403.
  void Forbid(const std::string& verb, const std::string& resource);

  std::vector<RecordedRequest> requests() const;
  // Requests that would change something (not GET).
  size_t mutating_requests() const;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);

  LoopbackServer server_;
  std::string token_;
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> objects_;
  std::set<std::pair<std::string, std::string>> forbidden_;
  std::vector<RecordedRequest> requests_;
  long long resource_version_ = 1000;
  long long uid_counter_ = 0;
};

}  // namespace vigil::remediate::testing

#endif  // VIGIL_TESTS_REMEDIATE_INTEGRATIONS_FAKE_KUBE_H_
