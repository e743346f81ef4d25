// Internals of TrafficGenerator, shared by its source files and by nothing else:
//   traffic.cc    identities, stages and writing events
//   templates.cc  benign requests, by caller, and their weights
//   bodies.cc     request objects (pods, workloads, ConfigMaps, bindings)
//   attacks.cc    the attack requests
#ifndef VIGIL_BENCH_GEN_TRAFFIC_IMPL_H_
#define VIGIL_BENCH_GEN_TRAFFIC_IMPL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gen/cluster.h"
#include "gen/json_writer.h"
#include "gen/random.h"
#include "gen/traffic.h"

namespace vigil::bench {

// An authenticated caller, with its `user` object pre-rendered.
struct Identity {
  std::string username;
  std::string user_json;
  std::string user_agent;
  std::string source_ip;
  std::string authz_reason;  // annotation value when this caller is allowed
  UserClass cls = UserClass::kNode;
};

enum class Stage { kRequestReceived, kResponseStarted, kResponseComplete };

// One API request, from which one to three stage events are written.
struct Request {
  const Identity* user = nullptr;
  std::string impersonated_json;  // the impersonatedUser object, or empty
  std::string_view impersonated_name;
  std::string_view level = "Metadata";
  std::string uri;
  std::string_view verb;
  bool has_object = false;
  std::string_view resource;
  std::string_view api_group;
  std::string_view api_version = "v1";
  std::string_view subresource;
  std::string ns;
  std::string name;
  int code = 200;
  std::string status_json;  // whole responseStatus when it is more than {"metadata":{},"code":N}
  std::string request_object;
  std::string response_object;
  std::string_view decision = "allow";
  std::string reason;  // authorization.k8s.io/reason; the caller's default if unset
  bool reason_set = false;
  std::string extra_annotations;  // further `,"key":"value"` members of annotations
  std::int64_t latency_us = 3000;
  bool log_request_received = false;
  bool long_running = false;  // watch / exec: ResponseStarted now, ResponseComplete later
  int started_code = 200;
  std::int64_t duration_us = 0;
  bool attack = false;
  UserClass cls = UserClass::kNode;
  // Set when the first stage is written.
  std::string audit_id;
  std::int64_t received_us = 0;
};

// A later stage of a request already begun, due at event index `due`.
struct Pending {
  std::uint64_t due = 0;
  std::uint64_t seq = 0;  // tie-break, keeps the order deterministic
  Stage stage = Stage::kResponseComplete;
  std::shared_ptr<Request> request;
  bool operator>(const Pending& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

// Weighted request templates. Weights are per ~10,000 events; a watch or exec request writes two
// events, so its weight counts twice towards the verb mix.
using TemplateFn = void (*)(TrafficGenerator::Impl&, Request&);
struct Template {
  std::uint32_t weight;
  std::string_view verb;  // for warm-starting open watches; the function sets the real verb
  TemplateFn fn;
};

// "RBAC: allowed by <binding kind> "<binding>" of <role kind> "<role>" to <subject kind>
// "<subject>"", the authorization.k8s.io/reason annotation as kube-apiserver writes it.
std::string RbacReason(std::string_view binding_kind,
                       std::string_view binding,
                       std::string_view role_kind,
                       std::string_view role,
                       std::string_view subject_kind,
                       std::string_view subject);

// A duration as Go's time.Duration prints it ("7m36s").
std::string GoDuration(int secs);

struct TrafficGenerator::Impl {
  explicit Impl(const TrafficOptions& o);
  void Next(std::string& out, EventInfo& info);

  // --- state ---
  TrafficOptions opts;
  Rng rng;
  Cluster cluster;
  std::uint64_t index = 0;     // events written so far
  std::uint64_t requests = 0;  // requests begun so far
  std::uint64_t seq = 0;
  std::uint64_t audit_key;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending;

  // identities
  std::vector<Identity> node_ids;        // by node index
  std::vector<Identity> pod_ids;         // by pod index (pod-bound service-account tokens)
  std::vector<Identity> controller_ids;  // kube-controller-manager's per-controller accounts
  std::vector<Identity> component_ids;
  std::vector<Identity> human_ids;
  std::vector<Identity> attacker_ids;
  std::vector<std::vector<int>> pods_by_node;
  std::vector<std::string> impersonation_targets;  // impersonatedUser JSON objects
  std::vector<std::string> impersonation_names;    // and their usernames
  void Impersonate(Request& r) {
    const std::size_t i = rng.Below(impersonation_targets.size());
    r.impersonated_json = impersonation_targets[i];
    r.impersonated_name = impersonation_names[i];
  }

  // --- helpers used by the templates ---
  std::string ResourceVersion() {
    return std::to_string(1'843'000'000ULL + index * 3 + rng.Below(3));
  }
  const Node& RandomNode() { return cluster.nodes[rng.Below(cluster.nodes.size())]; }
  int RandomPodIndex() { return static_cast<int>(rng.Below(cluster.pods.size())); }
  int PodOfWorkload(std::string_view ns, std::string_view name) {
    const auto& w = cluster.workloads[cluster.WorkloadIndex(ns, name)];
    return w.pods[rng.Below(w.pods.size())];
  }
  const Identity& PodIdentity(std::string_view ns, std::string_view name) {
    return pod_ids[PodOfWorkload(ns, name)];
  }
  const Identity& Controller(std::string_view name) {
    static constexpr std::string_view kPrefix = "system:serviceaccount:kube-system:";
    for (const auto& id : controller_ids) {
      if (id.username.size() == kPrefix.size() + name.size() && id.username.ends_with(name)) {
        return id;
      }
    }
    std::fprintf(stderr, "gen: no controller %.*s\n", static_cast<int>(name.size()), name.data());
    std::abort();
  }
  const Identity& Component(std::string_view username, int replica = 0) {
    int seen = 0;
    for (const auto& id : component_ids) {
      if (id.username == username && seen++ == replica) return id;
    }
    std::fprintf(stderr, "gen: no component %.*s\n", static_cast<int>(username.size()),
                 username.data());
    std::abort();
  }
  const std::string& RandomNamespace() {
    return cluster.namespaces[rng.Below(cluster.namespaces.size())].name;
  }
  const Namespace& AppNamespace() {
    static constexpr std::string_view kApps[] = {"payments", "checkout", "catalog", "auth"};
    return cluster.Ns(kApps[rng.Below(4)]);
  }

  // objectRef and the matching request path.
  static void Obj(Request& r,
                  std::string_view resource,
                  std::string ns,
                  std::string name,
                  std::string_view group = "",
                  std::string_view version = "v1",
                  std::string_view subresource = "") {
    r.has_object = true;
    r.resource = resource;
    r.ns = std::move(ns);
    r.name = std::move(name);
    r.api_group = group;
    r.api_version = version;
    r.subresource = subresource;
    // Appends only: GCC 12 at -O3 reports a false -Wrestrict on `"/" + std::string(...)`.
    auto segment = [&r](std::string_view part) {
      r.uri += '/';
      r.uri += part;
    };
    r.uri.clear();
    if (group.empty()) {
      r.uri = "/api/v1";
    } else {
      segment("apis");
      segment(group);
      segment(version);
    }
    if (!r.ns.empty() && resource != "namespaces") {
      segment("namespaces");
      segment(r.ns);
    }
    segment(resource);
    if (!r.name.empty()) segment(r.name);
    if (!subresource.empty()) segment(subresource);
  }

  void Watch(Request& r,
             std::string_view field_selector = "",
             std::string_view label_selector = "") {
    const int secs = 300 + static_cast<int>(rng.Below(300));
    r.verb = "watch";
    r.uri += "?allowWatchBookmarks=true";
    if (!field_selector.empty()) r.uri += "&fieldSelector=" + std::string(field_selector);
    if (!label_selector.empty()) r.uri += "&labelSelector=" + std::string(label_selector);
    r.uri += "&resourceVersion=" + ResourceVersion() + "&timeout=" + GoDuration(secs) +
             "&timeoutSeconds=" + std::to_string(secs) + "&watch=true";
    r.long_running = true;
    r.started_code = 200;
    r.duration_us = static_cast<std::int64_t>(secs) * 1'000'000 + rng.Between(0, 999'999);
  }
  void List(Request& r, bool informer = true) {
    r.verb = "list";
    r.uri += informer ? "?limit=500&resourceVersion=0" : "?limit=500";
    r.latency_us = rng.Between(2'000, 80'000);
    if (rng.Chance(30'000)) {
      r.latency_us = rng.Between(500'000, 2'500'000);
      SlowAnnotations(r);
    }
  }
  void SlowAnnotations(Request& r) {
    const std::int64_t total = r.latency_us;
    auto ms = [](std::int64_t us) {
      char b[32];
      std::snprintf(b, sizeof b, "%lld.%03lldms", static_cast<long long>(us / 1000),
                    static_cast<long long>(us % 1000));
      return std::string(b);
    };
    r.extra_annotations += ",\"apiserver.latency.k8s.io/etcd\":\"" + ms(total * 7 / 10) +
                           "\",\"apiserver.latency.k8s.io/response-write\":\"" + ms(total / 50) +
                           "\",\"apiserver.latency.k8s.io/serialize-response-object\":\"" +
                           ms(total / 5) + "\",\"apiserver.latency.k8s.io/total\":\"" + ms(total) +
                           "\",\"apiserver.latency.k8s.io/transform-response-object\":\"" +
                           ms(total / 100) + "\"";
  }
  void Fail(Request& r,
            int code,
            std::string_view reason,
            const std::string& message,
            std::string_view details_kind = "") {
    r.code = code;
    std::string out;
    JsonWriter j(out);
    j.BeginObject().Key("metadata").BeginObject().EndObject();
    j.Field("status", "Failure").Field("message", message).Field("reason", reason);
    if (!details_kind.empty()) {
      j.Key("details").BeginObject();
      if (!r.name.empty()) j.Field("name", r.name);
      if (!r.api_group.empty()) j.Field("group", r.api_group);
      j.Field("kind", details_kind).EndObject();
    }
    j.Field("code", code).EndObject();
    r.status_json = std::move(out);
  }
  void NotFound(Request& r) {
    Fail(r, 404, "NotFound",
         std::string(r.resource) + (r.api_group.empty() ? "" : "." + std::string(r.api_group)) +
             " \"" + r.name + "\" not found",
         r.resource);
  }
  void Conflict(Request& r) {
    Fail(r, 409, "Conflict",
         "Operation cannot be fulfilled on " + std::string(r.resource) +
             (r.api_group.empty() ? "" : "." + std::string(r.api_group)) + " \"" + r.name +
             "\": the object has been modified; please apply your changes to the latest version "
             "and try again",
         r.resource);
  }
  void Forbidden(Request& r) {
    r.decision = "forbid";
    r.reason = "";
    r.reason_set = true;
    // Authorization applies to the impersonated identity when there is one.
    const std::string who(r.impersonated_json.empty() ? std::string_view(r.user->username)
                                                      : r.impersonated_name);
    std::string msg = std::string(r.resource) + " is forbidden: User \"" + who + "\" cannot " +
                      std::string(r.verb) + " resource \"" + std::string(r.resource) +
                      "\" in API group \"" + std::string(r.api_group) + "\"";
    msg += r.ns.empty() ? " at the cluster scope" : " in the namespace \"" + r.ns + "\"";
    Fail(r, 403, "Forbidden", msg, r.resource);
  }

  // Request bodies.
  void PodSpec(JsonWriter& j, const Workload& w, const Node* node);
  std::string PodBody(const Workload& w, const Pod& pod, bool generate_name);
  std::string WorkloadBody(const Workload& w,
                           std::string_view image_override = "",
                           std::string_view managed_by = "argocd");
  std::string ApplyPatch(const Workload& w);
  std::string ConfigMapBody(std::string_view ns, std::string_view name, int approx_bytes);
  static std::string BindingBody(std::string_view kind,
                                 std::string_view name,
                                 std::string_view role,
                                 std::vector<std::array<std::string_view, 3>> subjects);
  void PodSecurity(Request& r, const Workload& w);

  // Attacks.
  void Attack(Request& r);
  void FollowUp(std::shared_ptr<Request> r, std::uint64_t delay_events);

  // Writing.
  void Begin(std::shared_ptr<Request> r, std::int64_t now_us, std::string& out, EventInfo& info);
  void Write(
      const Request& r, Stage stage, std::int64_t stage_us, std::string& out, EventInfo& info);
  std::int64_t Now() const;
  void WarmStartWatches();
  std::span<const Template> Templates();
};

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_GEN_TRAFFIC_IMPL_H_
