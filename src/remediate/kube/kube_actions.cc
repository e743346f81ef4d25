#include "remediate/kube/kube_actions.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>

namespace vigil::remediate::kube {
namespace {

using json = nlohmann::json;

struct Target {
  std::string resource;  // plural, e.g. "clusterrolebindings"
  std::string ns;        // "" for cluster-scoped resources
  std::string name;
};

bool ClusterScoped(std::string_view resource) { return resource == "clusterrolebindings"; }

std::string ApiPrefix(std::string_view resource) {
  if (resource == "clusterrolebindings" || resource == "rolebindings") {
    return "/apis/rbac.authorization.k8s.io/v1";
  }
  if (resource == "deployments" || resource == "statefulsets" || resource == "replicasets") {
    return "/apis/apps/v1";
  }
  if (resource == "networkpolicies") return "/apis/networking.k8s.io/v1";
  return "/api/v1";
}

std::string CollectionPath(std::string_view resource, std::string_view ns) {
  return ApiPrefix(resource) + (ns.empty() ? "" : "/namespaces/" + std::string(ns)) + "/" +
         std::string(resource);
}

std::string ObjectPath(const Target& t) { return CollectionPath(t.resource, t.ns) + "/" + t.name; }

std::string Describe(const Target& t) {
  return t.ns.empty() ? fmt::format("{}/{}", t.resource, t.name)
                      : fmt::format("namespaces/{}/{}/{}", t.ns, t.resource, t.name);
}

// Kubernetes names are DNS subdomains; RBAC names may also hold ':' ("system:anonymous-admin").
// Anything else ('/', '?', '%', …) could change the request's path, so it is refused.
bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == ':' || c == '_';
  }) && s != "." && s != "..";
}

Result<std::string> ParamString(const json& params, const char* key, std::string fallback) {
  if (!params.is_object() || !params.contains(key)) return fallback;
  if (!params[key].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("param '{}' must be a string", key));
  }
  return params[key].get<std::string>();
}

Result<Target> ResolveTarget(std::string_view kind, const findings::Finding& f, const json& params,
                             std::initializer_list<std::string_view> resources) {
  Target t;
  VIGIL_TRY(t.resource, ParamString(params, "resource", f.resource.resource));
  VIGIL_TRY(t.ns, ParamString(params, "namespace", f.resource.ns));
  VIGIL_TRY(t.name, ParamString(params, "name", f.resource.name));
  if (std::find(resources.begin(), resources.end(), t.resource) == resources.end()) {
    std::string list;
    for (auto r : resources) list += (list.empty() ? "" : ", ") + std::string(r);
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} acts on {}; finding {} names resource '{}'", kind, list, f.id,
                                 t.resource));
  }
  if (ClusterScoped(t.resource)) t.ns.clear();
  if (!ValidName(t.name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: finding {} carries no usable {} name ('{}')", kind, f.id,
                                 t.resource, t.name));
  }
  if (!ClusterScoped(t.resource) && !ValidName(t.ns)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: finding {} carries no usable namespace for {} '{}'", kind,
                                 f.id, t.resource, t.name));
  }
  return t;
}

Status CheckProtected(std::string_view kind, const Target& t, const json& params,
                      const KubeActionOptions& options) {
  bool allow = false;
  if (params.is_object() && params.contains("allow_protected")) {
    if (!params["allow_protected"].is_boolean()) {
      return MakeError(ErrorCode::kInvalidArgument, "param 'allow_protected' must be true or false");
    }
    allow = params["allow_protected"].get<bool>();
  }
  if (allow) return Ok();
  const auto& p = options.protected_namespaces;
  if (!t.ns.empty() && std::find(p.begin(), p.end(), t.ns) != p.end()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} refused: namespace '{}' is protected (set allow_protected: "
                                 "true in the playbook's params to act there)",
                                 kind, t.ns));
  }
  if (t.resource.ends_with("rolebindings") && t.name.starts_with("system:")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} refused: '{}' is a system binding the control plane relies on "
                                 "(set allow_protected: true to act on it)",
                                 kind, t.name));
  }
  return Ok();
}

std::string WithDryRun(const std::string& path, bool dry_run) {
  return dry_run ? path + "?dryRun=All" : path;
}

// The object as it can be created again: without what the API server assigns.
json StripForCreate(json obj) {
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    for (const char* k : {"resourceVersion", "uid", "creationTimestamp", "managedFields",
                          "generation", "selfLink", "deletionTimestamp",
                          "deletionGracePeriodSeconds"}) {
      obj["metadata"].erase(k);
    }
  }
  obj.erase("status");
  return obj;
}

json BodyOrEmpty(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::string Uid(const json& obj) {
  if (obj.contains("metadata") && obj["metadata"].is_object() &&
      obj["metadata"].contains("uid") && obj["metadata"]["uid"].is_string()) {
    return obj["metadata"]["uid"].get<std::string>();
  }
  return "";
}

Result<Target> TargetOf(const PlannedChange& change) {
  const json& d = change.detail;
  if (!d.is_object() || !d.contains("resource") || !d.contains("name") || !d.contains("namespace") ||
      !d["resource"].is_string() || !d["name"].is_string() || !d["namespace"].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: the planned change lacks its target", change.action));
  }
  return Target{d["resource"], d["namespace"], d["name"]};
}

std::string DetailString(const PlannedChange& change, const char* key) {
  const json& d = change.detail;
  if (d.is_object() && d.contains(key) && d[key].is_string()) return d[key].get<std::string>();
  return "";
}

class KubeAction : public ActionExecutor {
 public:
  KubeAction(std::shared_ptr<KubeClient> client, KubeActionOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}
  bool mutating() const override { return true; }

 protected:
  // A request whose answer must be 2xx; its body as JSON.
  Result<json> Expect2xx(std::string_view method, const std::string& path, const json* body) {
    VIGIL_TRY(HttpResponse r, client_->Request(method, path, body));
    if (!r.ok()) return KubeStatusError(client_->http(), method, path, r);
    return BodyOrEmpty(r);
  }

  std::shared_ptr<KubeClient> client_;
  KubeActionOptions options_;
};

// delete-binding and delete-pod: DELETE with a uid precondition, the object saved first.
class DeleteObjectAction : public KubeAction {
 public:
  DeleteObjectAction(std::shared_ptr<KubeClient> client, KubeActionOptions options,
                     std::string kind, std::vector<std::string_view> resources, bool restorable)
      : KubeAction(std::move(client), std::move(options)),
        kind_(std::move(kind)),
        resources_(std::move(resources)),
        restorable_(restorable) {}

  std::string_view kind() const override { return kind_; }

  Result<std::vector<PlannedChange>> Plan(const findings::Finding& finding,
                                          const json& params) override {
    Result<Target> t = resources_.size() == 2
                           ? ResolveTarget(kind_, finding, params, {resources_[0], resources_[1]})
                           : ResolveTarget(kind_, finding, params, {resources_[0]});
    if (!t) return std::move(t).error();
    VIGIL_TRY_STATUS(CheckProtected(kind_, *t, params, options_));
    const std::string path = ObjectPath(*t);
    VIGIL_TRY(auto obj, client_->GetObject(path));
    if (!obj) return std::vector<PlannedChange>{};  // already gone
    PlannedChange c;
    c.action = kind_;
    c.target = Describe(*t);
    c.detail = {{"method", "DELETE"}, {"path", path},       {"resource", t->resource},
                {"namespace", t->ns}, {"name", t->name},    {"uid", Uid(*obj)}};
    std::string what;
    if (obj->contains("roleRef")) {
      c.detail["roleRef"] = (*obj)["roleRef"];
      c.detail["subjects"] = obj->value("subjects", json::array());
      std::string subjects;
      for (const auto& s : c.detail["subjects"]) {
        subjects += (subjects.empty() ? "" : ", ") + s.value("kind", std::string("?")) + "/" +
                    s.value("name", std::string("?"));
      }
      what = fmt::format(" ({} {} → {})", (*obj)["roleRef"].value("kind", std::string("?")),
                         (*obj)["roleRef"].value("name", std::string("?")), subjects);
    }
    if (obj->contains("metadata") && (*obj)["metadata"].contains("ownerReferences")) {
      c.detail["ownerReferences"] = (*obj)["metadata"]["ownerReferences"];
      what += " (its controller will re-create it)";
    }
    c.summary = fmt::format("delete {}{}", c.target, what);
    return std::vector<PlannedChange>{std::move(c)};
  }

  Result<ActionOutcome> Apply(const PlannedChange& change, bool dry_run) override {
    VIGIL_TRY(Target t, TargetOf(change));
    const std::string path = ObjectPath(t);
    const std::string uid = DetailString(change, "uid");
    VIGIL_TRY(auto obj, client_->GetObject(path));
    ActionOutcome out;
    if (!obj) {
      out.message = fmt::format("{} was already gone", change.target);
      return out;
    }
    if (!uid.empty() && Uid(*obj) != uid) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{} is a different object (uid {}) than the one planned (uid "
                                   "{}); plan again",
                                   change.target, Uid(*obj), uid));
    }
    out.before = *obj;
    json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
    if (!uid.empty()) options["preconditions"] = {{"uid", uid}};
    VIGIL_TRY(out.after, Expect2xx("DELETE", WithDryRun(path, dry_run), &options));
    out.applied = !dry_run;
    out.message = dry_run ? fmt::format("server-side dry run: the API server would delete {}",
                                        change.target)
                          : fmt::format("deleted {}", change.target);
    return out;
  }

  Result<Verification> Verify(const PlannedChange& change, const ActionOutcome&) override {
    VIGIL_TRY(Target t, TargetOf(change));
    VIGIL_TRY(auto obj, client_->GetObject(ObjectPath(t)));
    if (!obj) return Verification{Verdict::kFixed, fmt::format("{} no longer exists", change.target)};
    const std::string uid = DetailString(change, "uid");
    if (Uid(*obj) != uid) {
      if (t.resource == "pods") {
        return Verification{Verdict::kFixed,
                            fmt::format("{} was replaced by a new pod (uid {})", change.target,
                                        Uid(*obj))};
      }
      return Verification{Verdict::kNotFixed,
                          fmt::format("{} exists again (re-created, uid {})", change.target,
                                      Uid(*obj))};
    }
    return Verification{Verdict::kNotFixed, fmt::format("{} still exists", change.target)};
  }

  Result<ActionOutcome> Rollback(const PlannedChange& change,
                                 const ActionOutcome& outcome) override {
    if (!restorable_) {
      return MakeError(ErrorCode::kUnsupported,
                       fmt::format("{} cannot be undone: a deleted pod is not restored (its "
                                   "controller, if any, re-creates it)",
                                   kind_));
    }
    if (!outcome.applied || !outcome.before.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("nothing to roll back: {} was not deleted", change.target));
    }
    VIGIL_TRY(Target t, TargetOf(change));
    json body = StripForCreate(outcome.before);
    const std::string collection = CollectionPath(t.resource, t.ns);
    VIGIL_TRY(HttpResponse r, client_->Request("POST", collection, &body));
    ActionOutcome out;
    out.applied = true;
    if (r.status == 409) {
      // A retried create whose first attempt went through, or someone restored it already:
      // fine when what exists grants the same thing; refused (not overwritten) otherwise.
      VIGIL_TRY(auto now, client_->GetObject(ObjectPath(t)));
      if (now && now->value("roleRef", json()) == body.value("roleRef", json()) &&
          now->value("subjects", json()) == body.value("subjects", json())) {
        out.after = *now;
        out.message = fmt::format("{} already exists as saved", change.target);
        return out;
      }
      return KubeStatusError(client_->http(), "POST", collection, r);
    }
    if (!r.ok()) return KubeStatusError(client_->http(), "POST", collection, r);
    out.after = BodyOrEmpty(r);
    out.message = fmt::format("re-created {} from the saved object", change.target);
    return out;
  }

 private:
  std::string kind_;
  std::vector<std::string_view> resources_;
  bool restorable_;
};

class ScaleToZeroAction : public KubeAction {
 public:
  using KubeAction::KubeAction;
  std::string_view kind() const override { return "kubernetes.scale-to-zero"; }

  Result<std::vector<PlannedChange>> Plan(const findings::Finding& finding,
                                          const json& params) override {
    VIGIL_TRY(Target t, ResolveTarget(kind(), finding, params,
                                      {"deployments", "statefulsets", "replicasets"}));
    VIGIL_TRY_STATUS(CheckProtected(kind(), t, params, options_));
    const std::string path = ObjectPath(t) + "/scale";
    VIGIL_TRY(auto scale, client_->GetObject(path));
    if (!scale) return std::vector<PlannedChange>{};
    const int replicas = Replicas(*scale);
    if (replicas == 0) return std::vector<PlannedChange>{};
    PlannedChange c;
    c.action = std::string(kind());
    c.target = Describe(t);
    c.detail = {{"method", "PATCH"},      {"path", path},        {"resource", t.resource},
                {"namespace", t.ns},      {"name", t.name},
                {"body", {{"spec", {{"replicas", 0}}}}}};
    c.summary = fmt::format("scale {} from {} replicas to 0", c.target, replicas);
    return std::vector<PlannedChange>{std::move(c)};
  }

  Result<ActionOutcome> Apply(const PlannedChange& change, bool dry_run) override {
    VIGIL_TRY(Target t, TargetOf(change));
    const std::string path = ObjectPath(t) + "/scale";
    VIGIL_TRY(auto scale, client_->GetObject(path));
    if (!scale) {
      return MakeError(ErrorCode::kNotFound, fmt::format("{} no longer exists", change.target));
    }
    ActionOutcome out;
    out.before = {{"replicas", Replicas(*scale)}};
    const json patch = {{"spec", {{"replicas", 0}}}};
    VIGIL_TRY(out.after, Expect2xx("PATCH", WithDryRun(path, dry_run), &patch));
    out.applied = !dry_run;
    out.message = fmt::format("{}scaled {} from {} to 0 replicas",
                              dry_run ? "server-side dry run: would have " : "", change.target,
                              Replicas(*scale));
    return out;
  }

  Result<Verification> Verify(const PlannedChange& change, const ActionOutcome&) override {
    VIGIL_TRY(Target t, TargetOf(change));
    VIGIL_TRY(auto scale, client_->GetObject(ObjectPath(t) + "/scale"));
    if (!scale) return Verification{Verdict::kFixed, fmt::format("{} no longer exists", change.target)};
    const int n = Replicas(*scale);
    if (n == 0) return Verification{Verdict::kFixed, fmt::format("{} has 0 replicas", change.target)};
    return Verification{Verdict::kNotFixed,
                        fmt::format("{} has {} replicas (scaled back up?)", change.target, n)};
  }

  Result<ActionOutcome> Rollback(const PlannedChange& change,
                                 const ActionOutcome& outcome) override {
    if (!outcome.applied || !outcome.before.contains("replicas") ||
        !outcome.before["replicas"].is_number_integer()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("nothing to roll back: {} was not scaled", change.target));
    }
    VIGIL_TRY(Target t, TargetOf(change));
    const json patch = {{"spec", {{"replicas", outcome.before["replicas"]}}}};
    ActionOutcome out;
    VIGIL_TRY(out.after, Expect2xx("PATCH", ObjectPath(t) + "/scale", &patch));
    out.applied = true;
    out.message = fmt::format("scaled {} back to {} replicas", change.target,
                              outcome.before["replicas"].get<int>());
    return out;
  }

 private:
  static int Replicas(const json& scale) {
    if (scale.contains("spec") && scale["spec"].is_object() && scale["spec"].contains("replicas") &&
        scale["spec"]["replicas"].is_number_integer()) {
      return scale["spec"]["replicas"].get<int>();
    }
    return 0;  // the API server omits 0
  }
};

class QuarantinePodAction : public KubeAction {
 public:
  using KubeAction::KubeAction;
  std::string_view kind() const override { return "kubernetes.quarantine-pod"; }

  Result<std::vector<PlannedChange>> Plan(const findings::Finding& finding,
                                          const json& params) override {
    VIGIL_TRY(Target t, ResolveTarget(kind(), finding, params, {"pods"}));
    VIGIL_TRY_STATUS(CheckProtected(kind(), t, params, options_));
    const std::string pod_path = ObjectPath(t);
    VIGIL_TRY(auto pod, client_->GetObject(pod_path));
    if (!pod) return std::vector<PlannedChange>{};
    const std::string uid = Uid(*pod);
    if (uid.empty()) {
      return MakeError(ErrorCode::kIo, fmt::format("{} has no metadata.uid", Describe(t)));
    }
    const json policy = QuarantinePolicy(t.ns, uid, options_.quarantine_label);
    const std::string policy_path =
        CollectionPath("networkpolicies", t.ns) + "/" + policy["metadata"]["name"].get<std::string>();
    VIGIL_TRY(auto existing, client_->GetObject(policy_path));
    if (existing && LabelOf(*pod) == uid) return std::vector<PlannedChange>{};
    PlannedChange c;
    c.action = std::string(kind());
    c.target = Describe(t);
    c.detail = {{"resource", "pods"},
                {"namespace", t.ns},
                {"name", t.name},
                {"uid", uid},
                {"steps",
                 {{{"method", "PATCH"},
                   {"path", pod_path},
                   {"body", {{"metadata", {{"labels", {{options_.quarantine_label, uid}}}}}}}},
                  {{"method", "POST"},
                   {"path", CollectionPath("networkpolicies", t.ns)},
                   {"body", policy}}}}};
    c.summary = fmt::format("quarantine {}: label {}={} and deny all its traffic with "
                            "NetworkPolicy {}",
                            c.target, options_.quarantine_label, uid,
                            policy["metadata"]["name"].get<std::string>());
    return std::vector<PlannedChange>{std::move(c)};
  }

  Result<ActionOutcome> Apply(const PlannedChange& change, bool dry_run) override {
    VIGIL_TRY(Target t, TargetOf(change));
    const std::string uid = DetailString(change, "uid");
    VIGIL_TRY(auto pod, client_->GetObject(ObjectPath(t)));
    if (!pod || Uid(*pod) != uid) {
      return MakeError(ErrorCode::kNotFound,
                       fmt::format("{} (uid {}) no longer exists; plan again", change.target, uid));
    }
    const json policy = QuarantinePolicy(t.ns, uid, options_.quarantine_label);
    const std::string policy_name = policy["metadata"]["name"];
    const std::string collection = CollectionPath("networkpolicies", t.ns);
    VIGIL_TRY(auto existing, client_->GetObject(collection + "/" + policy_name));
    ActionOutcome out;
    const std::string previous = LabelOf(*pod);
    out.before = {{"label", previous.empty() ? json(nullptr) : json(previous)},
                  {"policy_existed", existing.has_value()},
                  {"policy", policy_name}};
    const json patch = {{"metadata", {{"labels", {{options_.quarantine_label, uid}}}}}};
    VIGIL_TRY(json labelled, Expect2xx("PATCH", WithDryRun(ObjectPath(t), dry_run), &patch));
    json created = existing.value_or(json());
    if (!existing) {
      VIGIL_TRY(HttpResponse r, client_->Request("POST", WithDryRun(collection, dry_run), &policy));
      // 409: a retried create whose first attempt went through; the policy is there either way.
      if (!r.ok() && r.status != 409) {
        return KubeStatusError(client_->http(), "POST", collection, r);
      }
      created = BodyOrEmpty(r);
    }
    out.after = {{"labels", labelled.contains("metadata") ? labelled["metadata"].value("labels", json::object()) : json::object()},
                 {"policy", created}};
    out.applied = !dry_run;
    out.message = fmt::format("{}quarantined {} with NetworkPolicy {}",
                              dry_run ? "server-side dry run: would have " : "", change.target,
                              policy_name);
    return out;
  }

  Result<Verification> Verify(const PlannedChange& change, const ActionOutcome&) override {
    VIGIL_TRY(Target t, TargetOf(change));
    const std::string uid = DetailString(change, "uid");
    VIGIL_TRY(auto pod, client_->GetObject(ObjectPath(t)));
    if (!pod || Uid(*pod) != uid) {
      return Verification{Verdict::kFixed, fmt::format("{} no longer runs", change.target)};
    }
    if (LabelOf(*pod) != uid) {
      return Verification{Verdict::kNotFixed,
                          fmt::format("{} lacks the label {}", change.target,
                                      options_.quarantine_label)};
    }
    const json policy = QuarantinePolicy(t.ns, uid, options_.quarantine_label);
    const std::string name = policy["metadata"]["name"];
    VIGIL_TRY(auto existing, client_->GetObject(CollectionPath("networkpolicies", t.ns) + "/" + name));
    if (!existing) {
      return Verification{Verdict::kNotFixed, fmt::format("NetworkPolicy {} is missing", name)};
    }
    return Verification{Verdict::kFixed,
                        fmt::format("{} is labelled and NetworkPolicy {} denies its traffic",
                                    change.target, name)};
  }

  Result<ActionOutcome> Rollback(const PlannedChange& change,
                                 const ActionOutcome& outcome) override {
    if (!outcome.applied || !outcome.before.is_object() || !outcome.before.contains("policy")) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("nothing to roll back: {} was not quarantined", change.target));
    }
    VIGIL_TRY(Target t, TargetOf(change));
    ActionOutcome out;
    const json patch = {{"metadata", {{"labels", {{options_.quarantine_label, outcome.before["label"]}}}}}};
    VIGIL_TRY(HttpResponse r, client_->Request("PATCH", ObjectPath(t), &patch));
    if (!r.ok() && r.status != 404) return KubeStatusError(client_->http(), "PATCH", ObjectPath(t), r);
    if (!outcome.before.value("policy_existed", true)) {
      const std::string path = CollectionPath("networkpolicies", t.ns) + "/" +
                               outcome.before["policy"].get<std::string>();
      VIGIL_TRY(HttpResponse d, client_->Request("DELETE", path));
      if (!d.ok() && d.status != 404) return KubeStatusError(client_->http(), "DELETE", path, d);
    }
    out.applied = true;
    out.message = fmt::format("released {} from quarantine", change.target);
    return out;
  }

 private:
  std::string LabelOf(const json& pod) const {
    const json& m = pod.value("metadata", json::object());
    const json labels = m.value("labels", json::object());
    if (labels.contains(options_.quarantine_label) && labels[options_.quarantine_label].is_string()) {
      return labels[options_.quarantine_label].get<std::string>();
    }
    return "";
  }
};

}  // namespace

json QuarantinePolicy(const std::string& ns, const std::string& pod_uid, const std::string& label) {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", "vigil-quarantine-" + pod_uid},
            {"namespace", ns},
            {"labels", {{"app.kubernetes.io/managed-by", "vigil"}}}}},
          {"spec",
           {{"podSelector", {{"matchLabels", {{label, pod_uid}}}}},
            {"policyTypes", {"Ingress", "Egress"}}}}};
}

std::vector<std::unique_ptr<ActionExecutor>> MakeKubeExecutors(std::shared_ptr<KubeClient> client,
                                                               KubeActionOptions options) {
  std::vector<std::unique_ptr<ActionExecutor>> out;
  out.push_back(std::make_unique<DeleteObjectAction>(
      client, options, "kubernetes.delete-binding",
      std::vector<std::string_view>{"clusterrolebindings", "rolebindings"}, true));
  out.push_back(std::make_unique<ScaleToZeroAction>(client, options));
  out.push_back(std::make_unique<DeleteObjectAction>(client, options, "kubernetes.delete-pod",
                                                     std::vector<std::string_view>{"pods"}, false));
  out.push_back(std::make_unique<QuarantinePodAction>(client, options));
  return out;
}

}  // namespace vigil::remediate::kube
