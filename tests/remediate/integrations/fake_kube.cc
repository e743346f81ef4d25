#include "remediate/integrations/fake_kube.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sstream>

namespace vigil::remediate::testing {
namespace {

using json = nlohmann::json;

json StatusBody(int code, const std::string& reason, const std::string& message,
                const std::string& name, const std::string& resource) {
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Failure"},
          {"message", message},
          {"reason", reason},
          {"details", {{"name", name}, {"kind", resource}}},
          {"code", code}};
}

// "/apis/g/v/namespaces/ns/res/name[/sub]" → parts.
struct Parsed {
  std::string collection;  // path of the collection
  std::string resource;
  std::string name;
  std::string subresource;
};

Parsed ParsePath(const std::string& path) {
  std::vector<std::string> seg;
  std::stringstream ss(path);
  std::string s;
  while (std::getline(ss, s, '/')) {
    if (!s.empty()) seg.push_back(s);
  }
  // api/v1/... or apis/group/version/...
  size_t base = (!seg.empty() && seg[0] == "api") ? 2 : 3;
  Parsed p;
  std::string prefix;
  for (size_t i = 0; i < base && i < seg.size(); ++i) prefix += "/" + seg[i];
  size_t i = base;
  if (i + 1 < seg.size() && seg[i] == "namespaces" && i + 2 < seg.size()) {
    prefix += "/namespaces/" + seg[i + 1];
    i += 2;
  }
  if (i < seg.size()) p.resource = seg[i];
  p.collection = prefix + "/" + p.resource;
  if (i + 1 < seg.size()) p.name = seg[i + 1];
  if (i + 2 < seg.size()) p.subresource = seg[i + 2];
  return p;
}

std::string Verb(const std::string& method, const Parsed& p) {
  if (method == "GET") return p.name.empty() ? "list" : "get";
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  return "delete";
}

}  // namespace

FakeKubeApiServer::FakeKubeApiServer(const TestCa& ca, std::string token)
    : server_(ca.Issue("kube-apiserver", /*server=*/true), ca.cert_pem()), token_(std::move(token)) {
  auto h = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  server_.server().Get("/.*", h);
  server_.server().Post("/.*", h);
  server_.server().Put("/.*", h);
  server_.server().Patch("/.*", h);
  server_.server().Delete("/.*", h);
  server_.Start();
}

void FakeKubeApiServer::Put(const std::string& path, json object) {
  std::lock_guard<std::mutex> lock(mu_);
  object["metadata"]["uid"] = "uid-" + std::to_string(++uid_counter_);
  object["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  object["metadata"]["creationTimestamp"] = "2026-11-26T10:00:00Z";
  objects_[path] = std::move(object);
}

std::optional<json> FakeKubeApiServer::Get(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

void FakeKubeApiServer::Forbid(const std::string& verb, const std::string& resource) {
  std::lock_guard<std::mutex> lock(mu_);
  forbidden_.emplace(verb, resource);
}

std::vector<RecordedRequest> FakeKubeApiServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t FakeKubeApiServer::mutating_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& r : requests_) n += r.method != "GET";
  return n;
}

void FakeKubeApiServer::Handle(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard<std::mutex> lock(mu_);
  RecordedRequest rec{req.method, req.path, "", req.body, "none", 0};
  if (req.has_param("dryRun")) rec.query = "dryRun=" + req.get_param_value("dryRun");
  const bool dry_run = req.get_param_value("dryRun") == "All";
  auto reply = [&](int code, const json& body) {
    res.status = code;
    res.set_content(body.dump(), "application/json");
    rec.status = code;
    requests_.push_back(rec);
  };

  // Authentication: a verified client certificate or the bearer token.
  if (req.ssl != nullptr) {
    if (X509* peer = SSL_get_peer_certificate(req.ssl)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      X509_free(peer);
      rec.auth = std::string("cert:") + cn;
    }
  }
  const std::string authz = req.get_header_value("Authorization");
  if (rec.auth == "none" && !authz.empty()) {
    if (authz != "Bearer " + token_) {
      return reply(401, StatusBody(401, "Unauthorized", "Unauthorized", "", ""));
    }
    rec.auth = "token";
  }
  if (rec.auth == "none") return reply(401, StatusBody(401, "Unauthorized", "Unauthorized", "", ""));

  const Parsed p = ParsePath(req.path);
  const std::string verb = Verb(req.method, p);
  if (forbidden_.count({verb, p.resource}) > 0) {
    return reply(403, StatusBody(403, "Forbidden",
                                 p.resource + " \"" + p.name + "\" is forbidden: User "
                                 "\"system:serviceaccount:vigil:vigil\" cannot " + verb +
                                 " resource \"" + p.resource + "\"",
                                 p.name, p.resource));
  }
  const std::string object_path = p.collection + "/" + p.name;
  auto not_found = [&] {
    return reply(404, StatusBody(404, "NotFound",
                                 p.resource + " \"" + p.name + "\" not found", p.name, p.resource));
  };
  json body;
  if (!req.body.empty()) {
    body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      return reply(400, StatusBody(400, "BadRequest", "the body is not JSON", p.name, p.resource));
    }
  }

  if (req.method == "POST") {
    if (!p.name.empty()) return reply(405, StatusBody(405, "MethodNotAllowed", "POST to an object", p.name, p.resource));
    const std::string name = body["metadata"].value("name", std::string());
    if (name.empty()) return reply(422, StatusBody(422, "Invalid", "metadata.name: Required value", "", p.resource));
    if (body["metadata"].contains("resourceVersion")) {
      return reply(500, StatusBody(500, "InternalError",
                                   "resourceVersion should not be set on objects to be created",
                                   name, p.resource));
    }
    const std::string path = p.collection + "/" + name;
    if (objects_.count(path) > 0) {
      return reply(409, StatusBody(409, "AlreadyExists",
                                   p.resource + " \"" + name + "\" already exists", name, p.resource));
    }
    body["metadata"]["uid"] = "uid-" + std::to_string(++uid_counter_);
    body["metadata"]["resourceVersion"] = std::to_string(resource_version_ + 1);
    body["metadata"]["creationTimestamp"] = "2026-11-27T00:00:00Z";
    if (!dry_run) {
      ++resource_version_;
      objects_[path] = body;
    }
    return reply(201, body);
  }

  auto it = objects_.find(object_path);
  if (it == objects_.end()) return not_found();
  json& obj = it->second;

  if (p.subresource == "scale") {
    auto scale_of = [&](const json& o) {
      return json{{"kind", "Scale"},
                  {"apiVersion", "autoscaling/v1"},
                  {"metadata",
                   {{"name", p.name},
                    {"resourceVersion", o["metadata"]["resourceVersion"]},
                    {"uid", o["metadata"]["uid"]}}},
                  {"spec", {{"replicas", o["spec"].value("replicas", 1)}}}};
    };
    if (req.method == "GET") return reply(200, scale_of(obj));
    if (req.method != "PATCH") return reply(405, StatusBody(405, "MethodNotAllowed", "", p.name, p.resource));
    json updated = obj;
    updated["spec"]["replicas"] = body["spec"]["replicas"];
    updated["metadata"]["resourceVersion"] = std::to_string(resource_version_ + 1);
    if (!dry_run) {
      ++resource_version_;
      obj = updated;
    }
    return reply(200, scale_of(updated));
  }
  if (req.method == "GET") return reply(200, obj);
  if (req.method == "DELETE") {
    if (body.is_object() && body.contains("preconditions") &&
        body["preconditions"].value("uid", std::string()) != obj["metadata"]["uid"]) {
      return reply(409, StatusBody(409, "Conflict",
                                   "Precondition failed: UID in precondition: " +
                                       body["preconditions"].value("uid", std::string()) +
                                       ", UID in object meta: " +
                                       obj["metadata"]["uid"].get<std::string>(),
                                   p.name, p.resource));
    }
    json gone = obj;
    if (!dry_run) objects_.erase(it);
    return reply(200, json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Success"},
                           {"details", {{"name", p.name}, {"kind", p.resource}, {"uid", gone["metadata"]["uid"]}}}});
  }
  if (req.method == "PATCH") {
    if (req.get_header_value("Content-Type") != "application/merge-patch+json") {
      return reply(415, StatusBody(415, "UnsupportedMediaType", "merge patch expected", p.name, p.resource));
    }
    json updated = obj;
    updated.merge_patch(body);
    updated["metadata"]["resourceVersion"] = std::to_string(resource_version_ + 1);
    if (!dry_run) {
      ++resource_version_;
      obj = updated;
    }
    return reply(200, updated);
  }
  if (req.method == "PUT") {
    if (body["metadata"].value("resourceVersion", std::string()) != obj["metadata"]["resourceVersion"]) {
      return reply(409, StatusBody(409, "Conflict",
                                   "Operation cannot be fulfilled on " + p.resource + " \"" + p.name +
                                       "\": the object has been modified; please apply your changes "
                                       "to the latest version and try again",
                                   p.name, p.resource));
    }
    body["metadata"]["uid"] = obj["metadata"]["uid"];
    body["metadata"]["resourceVersion"] = std::to_string(resource_version_ + 1);
    if (!dry_run) {
      ++resource_version_;
      obj = body;
    }
    return reply(200, body);
  }
  return reply(405, StatusBody(405, "MethodNotAllowed", "", p.name, p.resource));
}

}  // namespace vigil::remediate::testing
