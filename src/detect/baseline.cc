#include "detect/baseline.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <nlohmann/json.hpp>

#include "detect/ip_set.h"
#include "detect/resource_kinds.h"
#include "detect/observation.h"
#include "event/redact.h"

namespace vigil::detect {
namespace {

using event::AsString;
using event::FindKey;
using findings::MitreRef;
using findings::Severity;
using ojson = nlohmann::ordered_json;

constexpr UnixNanos kNanos = 1'000'000'000LL;
constexpr std::array<std::string_view, kBaselineDimensions> kDimensionNames = {
    "network", "user_agent", "namespace", "api", "image", "permission", "asn"};

enum class Kind : std::uint8_t {
  kNone,
  kSecrets,
  kRoleBinding,
  kExec,
  kWorkload,
  kRole,
  kPermissionCheck,
};


std::string_view Str(std::optional<simdjson::dom::element> e) {
  return e ? AsString(*e) : std::string_view();
}

std::optional<simdjson::dom::element> Path(std::optional<simdjson::dom::element> e,
                                           std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (!e) return std::nullopt;
    e = FindKey(*e, k);
  }
  return e;
}

template <typename F>
void ForEach(std::optional<simdjson::dom::element> list, F&& f) {
  simdjson::dom::array arr;
  if (!list || list->get_array().get(arr) != simdjson::SUCCESS) return;
  for (auto item : arr) f(item);
}

bool Contains(std::optional<simdjson::dom::element> list, std::string_view value) {
  bool found = false;
  ForEach(list, [&](simdjson::dom::element e) { found |= AsString(e) == value; });
  return found;
}

std::string Network(std::string_view ip) {
  auto a = IpAddress::Parse(ip);
  if (!a) return {};
  const auto& b = a->bytes;
  if (a->v4) return fmt::format("{}.{}.{}.0/24", b[12], b[13], b[14]);
  return fmt::format("{:x}:{:x}:{:x}::/48", b[0] << 8 | b[1], b[2] << 8 | b[3], b[4] << 8 | b[5]);
}

std::string_view Product(std::string_view ua) {
  auto end = ua.find_first_of("/ ");
  return ua.substr(0, end);
}

constexpr std::array<std::string_view, 14> kSuspiciousImages = {
    "xmrig", "minerd", "cgminer", "cpuminer", "monero", "kali", "metasploit", "nmap", "masscan",
    "sliver", "mimikatz", "peirates", "kube-hunter", "cryptonight"};
constexpr std::array<std::string_view, 8> kSuspiciousCommands = {
    "/dev/tcp/", "nc -e", "ncat ", "bash -i", "stratum+tcp", "| sh", "|sh", "xmrig"};
constexpr std::array<std::string_view, 13> kSensitivePaths = {
    "/", "/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/home", "/var/lib/kubelet",
    "/var/lib/docker", "/var/run/docker.sock", "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock"};

bool SensitivePath(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  for (std::string_view s : kSensitivePaths) {
    if (p == s) return true;
    if (s != "/" && p.starts_with(s) && p.size() > s.size() && p[s.size()] == '/') return true;
  }
  return false;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The pod spec of a workload request object (Pod, pod-template workloads, CronJob).
std::optional<simdjson::dom::element> PodSpec(std::optional<simdjson::dom::element> obj) {
  if (!obj) return std::nullopt;
  if (auto s = Path(obj, {"spec", "jobTemplate", "spec", "template", "spec"})) return s;
  if (auto s = Path(obj, {"spec", "template", "spec"})) return s;
  return Path(obj, {"spec"});
}

bool PermissiveRole(std::optional<simdjson::dom::element> obj) {
  bool permissive = false;
  ForEach(Path(obj, {"rules"}), [&](simdjson::dom::element rule) {
    auto verbs = FindKey(rule, "verbs");
    auto resources = FindKey(rule, "resources");
    const bool any_verb = Contains(verbs, "*");
    const bool any_resource = Contains(resources, "*");
    if (any_verb || any_resource) permissive = true;
    for (std::string_view v : {"escalate", "bind", "impersonate"}) {
      if (Contains(verbs, v)) permissive = true;
    }
    if (Contains(resources, "secrets") &&
        (any_verb || Contains(verbs, "get") || Contains(verbs, "list") || Contains(verbs, "watch"))) {
      permissive = true;
    }
    if (Contains(resources, "pods/exec") && (any_verb || Contains(verbs, "create"))) {
      permissive = true;
    }
  });
  return permissive;
}

bool PowerfulCheck(std::string_view verb, std::string_view resource, std::string_view sub) {
  if (verb == "*" || verb == "escalate" || verb == "bind" || verb == "impersonate") return true;
  if (resource == "*" || resource == "secrets" || resource == "clusterrolebindings" ||
      resource == "rolebindings" || resource == "clusterroles" || resource == "roles") {
    return true;
  }
  if (resource == "pods" && (sub == "exec" || sub == "attach")) return true;
  return (verb == "create" || verb == "delete" || verb == "patch" || verb == "update") &&
         (resource == "pods" || resource == "nodes" || resource == "daemonsets" ||
          resource == "deployments");
}

struct TypeInfo {
  std::string_view type;
  std::string_view short_name;
  Severity severity;
  MitreRef mitre;
  std::string_view title;
};

const TypeInfo kSecretsAccessed{"CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed",
                                "SecretsAccessed", Severity::kMedium,
                                {"Credential Access", "T1552.007",
                                 "Unsecured Credentials: Container API"},
                                "Anomalous API call to retrieve secrets"};
const TypeInfo kRoleBindingCreated{
    "PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated", "RoleBindingCreated",
    Severity::kMedium,
    {"Privilege Escalation", "T1098.006", "Account Manipulation: Additional Container Cluster Roles"},
    "Anomalous role binding created or modified"};
const TypeInfo kExecInPod{"Execution:Kubernetes/AnomalousBehavior.ExecInPod", "ExecInPod",
                          Severity::kMedium,
                          {"Execution", "T1609", "Container Administration Command"},
                          "Anomalous command execution in a pod"};
const TypeInfo kPrivileged{
    "PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer",
    "WorkloadDeployed!PrivilegedContainer", Severity::kHigh,
    {"Privilege Escalation", "T1611", "Escape to Host"},
    "Workload with a privileged container deployed anomalously"};
const TypeInfo kSensitiveMount{
    "Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount",
    "WorkloadDeployed!ContainerWithSensitiveMount", Severity::kHigh,
    {"Persistence", "T1611", "Escape to Host"},
    "Workload with a sensitive host path mounted deployed anomalously"};
const TypeInfo kWorkloadDeployed{"Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed",
                                 "WorkloadDeployed", Severity::kLow,
                                 {"Execution", "T1610", "Deploy Container"},
                                 "Workload deployed anomalously"};
const TypeInfo kRoleCreated{"PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated",
                            "RoleCreated", Severity::kLow,
                            {"Privilege Escalation", "T1098.006",
                             "Account Manipulation: Additional Container Cluster Roles"},
                            "Highly permissive role created or modified anomalously"};
const TypeInfo kPermissionChecked{"Discovery:Kubernetes/AnomalousBehavior.PermissionChecked",
                                  "PermissionChecked", Severity::kLow,
                                  {"Discovery", "T1069", "Permission Groups Discovery"},
                                  "Powerful permission checked anomalously"};

std::string Time(UnixNanos t) { return FormatRfc3339(t, 0); }

}  // namespace

std::string_view BaselineDimensionName(BaselineDimension d) {
  return kDimensionNames[static_cast<std::size_t>(d)];
}

// What one event says about its principal, and what kind of request it is.
struct BaselineDetector::Facts {
  std::string_view principal;
  Kind kind = Kind::kNone;
  std::array<std::vector<std::string>, kBaselineDimensions> values;
  bool privileged = false;
  std::string sensitive_mount;
  std::string suspicious;  // why the image or command is suspicious
  std::string role_ref;
};

BaselineDetector::BaselineDetector(BaselineOptions options, BaselineState state)
    : options_(std::move(options)), state_(std::move(state)), geo_(options_.geoip) {
  if (state_.cluster.empty()) state_.cluster = options_.cluster;
}

void BaselineDetector::OnEvent(const event::AuditEvent& ev,
                               std::optional<Severity> finding_severity,
                               std::vector<findings::Observation>& out) {
  if (ev.stage() != event::Stage::kResponseComplete && ev.stage() != event::Stage::kPanic) return;
  const int code = ev.response_code();
  if (code >= 400) return;
  const UnixNanos time = ev.time();
  if (time == 0) return;
  Facts facts;
  facts.principal = ev.user_name();
  if (facts.principal.empty()) return;

  const std::string_view verb = ev.verb();
  const std::string_view resource = ev.resource();
  const std::string_view sub = ev.subresource();
  auto& values = facts.values;
  using D = BaselineDimension;
  auto put = [&](D d, std::string v) {
    if (!v.empty()) values[static_cast<std::size_t>(d)].push_back(std::move(v));
  };
  std::string_view caller;
  ForEach(ev.Get(event::Member::kSourceIps), [&](simdjson::dom::element e) { caller = AsString(e); });
  put(D::kNetwork, Network(caller));
  if (options_.geoip && !caller.empty()) {
    const GeoInfo& geo = geo_.Lookup(caller);
    if (geo.asn != 0) put(D::kAsn, "AS" + geo.asn_text);
  }
  put(D::kUserAgent, std::string(Product(ev.user_agent())));
  put(D::kNamespace, std::string(ev.ns()));
  if (!resource.empty()) {
    put(D::kApi, sub.empty() ? fmt::format("{} {}", verb, resource)
                             : fmt::format("{} {}/{}", verb, resource, sub));
  }

  auto request = ev.Get(event::Member::kRequestObject);
  if (resource == "secrets" && (verb == "get" || verb == "list" || verb == "watch")) {
    facts.kind = Kind::kSecrets;
  } else if ((resource == "rolebindings" || resource == "clusterrolebindings") &&
             IsWriteVerb(verb) && sub.empty()) {
    facts.kind = Kind::kRoleBinding;
    facts.role_ref = std::string(Str(Path(request, {"roleRef", "name"})));
  } else if (resource == "pods" && sub == "exec" && (verb == "create" || verb == "get")) {
    facts.kind = Kind::kExec;
  } else if (IsWorkloadResource(resource) && sub.empty() && IsWriteVerb(verb)) {
    facts.kind = Kind::kWorkload;
    auto spec = PodSpec(request);
    for (std::string_view list : {"containers", "initContainers", "ephemeralContainers"}) {
      ForEach(Path(spec, {list}), [&](simdjson::dom::element c) {
        std::string image(Str(FindKey(c, "image")));
        if (auto p = Path(c, {"securityContext", "privileged"})) {
          bool b = false;
          if (p->get_bool().get(b) == simdjson::SUCCESS && b) facts.privileged = true;
        }
        const std::string lower = Lower(image);
        for (std::string_view s : kSuspiciousImages) {
          if (facts.suspicious.empty() && lower.find(s) != std::string::npos) {
            facts.suspicious = fmt::format("image {} looks like {}", image, s);
          }
        }
        std::string command;
        for (std::string_view key : {"command", "args"}) {
          ForEach(FindKey(c, key), [&](simdjson::dom::element a) {
            command += AsString(a);
            command += ' ';
          });
        }
        const std::string lower_cmd = Lower(command);
        for (std::string_view s : kSuspiciousCommands) {
          if (facts.suspicious.empty() && lower_cmd.find(s) != std::string::npos) {
            facts.suspicious = fmt::format("command contains '{}'", s);
          }
        }
        put(D::kImage, std::move(image));
      });
    }
    ForEach(Path(spec, {"volumes"}), [&](simdjson::dom::element v) {
      std::string_view path = Str(Path(v, {"hostPath", "path"}));
      if (facts.sensitive_mount.empty() && !path.empty() && SensitivePath(path)) {
        facts.sensitive_mount = std::string(path);
      }
    });
  } else if ((resource == "roles" || resource == "clusterroles") && IsWriteVerb(verb) &&
             sub.empty()) {
    if (PermissiveRole(request)) facts.kind = Kind::kRole;
  } else if (resource == "selfsubjectaccessreviews" && verb == "create") {
    auto attrs = Path(request, {"spec", "resourceAttributes"});
    std::string_view v = Str(Path(attrs, {"verb"}));
    std::string_view r = Str(Path(attrs, {"resource"}));
    std::string_view s = Str(Path(attrs, {"subresource"}));
    if (!v.empty() || !r.empty()) {
      put(D::kPermission, s.empty() ? fmt::format("{} {}", v, r) : fmt::format("{} {}/{}", v, r, s));
    }
    bool allowed = false;
    if (auto a = Path(ev.Get(event::Member::kResponseObject), {"status", "allowed"})) {
      if (a->get_bool().get(allowed) != simdjson::SUCCESS) allowed = false;
    }
    if (allowed && PowerfulCheck(v, r, s)) facts.kind = Kind::kPermissionCheck;
  }

  if (state_.started == 0) {
    state_.started = time;
    dirty_ = true;
  }
  if (!learned_ && time >= state_.started + options_.learning_seconds * kNanos) learned_ = true;

  std::optional<Severity> worst = finding_severity;
  if (learned_ && facts.kind != Kind::kNone) {
    const TypeInfo* info = nullptr;
    std::vector<D> dims = {D::kNetwork, D::kUserAgent, D::kNamespace, D::kApi, D::kAsn};
    switch (facts.kind) {
      case Kind::kSecrets: info = &kSecretsAccessed; break;
      case Kind::kRoleBinding: info = &kRoleBindingCreated; break;
      case Kind::kExec: info = &kExecInPod; break;
      case Kind::kWorkload:
        info = !facts.privileged                ? (facts.sensitive_mount.empty() ? &kWorkloadDeployed
                                                                                 : &kSensitiveMount)
               : &kPrivileged;
        dims.push_back(D::kImage);
        break;
      case Kind::kRole: info = &kRoleCreated; break;
      case Kind::kPermissionCheck:
        info = &kPermissionChecked;
        dims.push_back(D::kPermission);
        break;
      case Kind::kNone: break;
    }
    auto known = state_.principals.find(std::string(facts.principal));
    ojson unusual = ojson::array();
    std::vector<std::string> summary;
    if (known == state_.principals.end()) {
      unusual.push_back(ojson{{"dimension", "principal"},
                              {"value", std::string(facts.principal)},
                              {"baseline", "never seen in this cluster since " +
                                               Time(state_.started)}});
      summary.push_back(fmt::format("principal {} never seen before", facts.principal));
    } else {
      for (D d : dims) {
        const auto& seen = known->second.values[static_cast<std::size_t>(d)];
        // No ASN learned yet (no database then, or only private addresses): nothing to compare.
        if (d == D::kAsn && seen.empty()) continue;
        for (const std::string& v : values[static_cast<std::size_t>(d)]) {
          if (seen.contains(v)) continue;
          ojson known_values = ojson::array();
          UnixNanos since = 0;
          for (const auto& [value, when] : seen) {
            if (known_values.size() < 5) known_values.push_back(value);
            if (since == 0 || when.first < since) since = when.first;
          }
          unusual.push_back(ojson{{"dimension", std::string(BaselineDimensionName(d))},
                                  {"value", event::RedactText(v)},
                                  {"known", std::move(known_values)},
                                  {"known_count", seen.size()},
                                  {"known_since", since == 0 ? "" : Time(since)}});
          summary.push_back(fmt::format("{} {} (new; {} known)", BaselineDimensionName(d), v,
                                        seen.size()));
        }
      }
    }
    if (!unusual.empty() && info != nullptr) {
      Severity severity = info->severity;
      std::string escalation;
      if (facts.kind == Kind::kRoleBinding &&
          (facts.role_ref == "cluster-admin" || facts.role_ref == "admin")) {
        severity = Severity::kHigh;
        escalation = fmt::format("binds {}", facts.role_ref);
      }
      if (facts.kind == Kind::kWorkload && info == &kWorkloadDeployed && !facts.suspicious.empty()) {
        severity = Severity::kMedium;
        escalation = facts.suspicious;
      }
      findings::Observation obs;
      FillFromEvent(ev, obs);
      obs.rule = fmt::format("vigil:anomaly/{}", info->short_name);
      obs.type = std::string(info->type);
      obs.severity = severity;
      obs.title = std::string(info->title);
      obs.cluster = options_.cluster;
      obs.account = options_.account;
      obs.region = options_.region;
      obs.mitre = {info->mitre};
      obs.tags = {"anomaly"};
      std::string what;
      for (const auto& s : summary) {
        if (!what.empty()) what += "; ";
        what += s;
      }
      obs.description = event::RedactText(fmt::format(
          "{}: {} {} {}{}{} by {}: unusual for this principal: {}{}", info->title, verb, resource,
          ev.ns().empty() ? "" : std::string(ev.ns()) + "/", ev.name(),
          sub.empty() ? "" : "/" + std::string(sub), facts.principal, what,
          escalation.empty() ? "" : "; " + escalation));
      const auto& p = known == state_.principals.end() ? PrincipalBaseline{} : known->second;
      ojson anomaly;
      anomaly["unusual"] = std::move(unusual);
      anomaly["principal_first_seen"] = p.first_seen == 0 ? "" : Time(p.first_seen);
      anomaly["training_period"] = ojson{
          {"start", Time(state_.started)},
          {"end", Time(state_.started + options_.learning_seconds * kNanos)}};
      if (!escalation.empty()) anomaly["escalation"] = escalation;
      obs.context["anomaly"] = anomaly.dump(-1, ' ', false, ojson::error_handler_t::replace);
      obs.context["unusual"] = event::RedactText(what);
      obs.evidence = event::RedactedJson(ev);
      obs.dedup_key = fmt::format("{}\x1f{}\x1f{}\x1f{}", options_.cluster, facts.principal,
                                  info->short_name, ev.ns());
      if (!worst || severity > *worst) worst = severity;
      out.push_back(std::move(obs));
    }
  }
  if (!worst || *worst < Severity::kHigh) Learn(facts, time);
  if (time > last_aged_ + 3600 * kNanos) Age(time);
}

void BaselineDetector::Learn(const Facts& facts, UnixNanos time) {
  auto [it, inserted] = state_.principals.try_emplace(std::string(facts.principal));
  PrincipalBaseline& p = it->second;
  if (inserted) {
    if (state_.principals.size() > options_.max_principals) {
      // Forget the principal seen least recently (not the one just added).
      auto oldest = state_.principals.end();
      for (auto i = state_.principals.begin(); i != state_.principals.end(); ++i) {
        if (i == it) continue;
        if (oldest == state_.principals.end() || i->second.last_seen < oldest->second.last_seen) {
          oldest = i;
        }
      }
      if (oldest != state_.principals.end()) state_.principals.erase(oldest);
    }
    p.first_seen = time;
    dirty_ = true;
  }
  p.first_seen = std::min(p.first_seen, time);
  p.last_seen = std::max(p.last_seen, time);
  for (std::size_t d = 0; d < kBaselineDimensions; ++d) {
    auto& seen = p.values[d];
    for (const std::string& v : facts.values[d]) {
      auto [s, added] = seen.try_emplace(v, BaselineSeen{time, time});
      if (added) {
        dirty_ = true;
        if (seen.size() > options_.max_values) {
          auto lru = seen.begin();
          for (auto i = seen.begin(); i != seen.end(); ++i) {
            if (i->second.last < lru->second.last) lru = i;
          }
          seen.erase(lru);
        }
      } else {
        s->second.first = std::min(s->second.first, time);
        s->second.last = std::max(s->second.last, time);
      }
    }
  }
}

void BaselineDetector::Age(UnixNanos now) {
  last_aged_ = now;
  const UnixNanos horizon = now - options_.max_age_seconds * kNanos;
  for (auto it = state_.principals.begin(); it != state_.principals.end();) {
    if (it->second.last_seen < horizon) {
      it = state_.principals.erase(it);
      dirty_ = true;
      continue;
    }
    for (auto& seen : it->second.values) {
      dirty_ |= std::erase_if(seen, [&](const auto& kv) { return kv.second.last < horizon; }) > 0;
    }
    ++it;
  }
}

std::string BaselineToJson(const BaselineState& state, std::int64_t learning_seconds) {
  ojson j;
  j["version"] = 1;
  j["cluster"] = state.cluster;
  j["started"] = state.started == 0 ? "" : FormatRfc3339(state.started, 9);
  j["learning_seconds"] = learning_seconds;
  ojson principals = ojson::object();
  for (const auto& [name, p] : state.principals) {
    ojson pj;
    pj["first_seen"] = FormatRfc3339(p.first_seen, 9);
    pj["last_seen"] = FormatRfc3339(p.last_seen, 9);
    for (std::size_t d = 0; d < kBaselineDimensions; ++d) {
      if (d == static_cast<std::size_t>(BaselineDimension::kAsn) && p.values[d].empty()) continue;
      ojson values = ojson::object();
      for (const auto& [v, seen] : p.values[d]) {
        values[v] = ojson::array({FormatRfc3339(seen.first, 9), FormatRfc3339(seen.last, 9)});
      }
      pj[std::string(kDimensionNames[d])] = std::move(values);
    }
    principals[name] = std::move(pj);
  }
  j["principals"] = std::move(principals);
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

Result<BaselineState> BaselineFromJson(std::string_view text) {
  const ojson j = ojson::parse(text, nullptr, false);
  auto bad = [](std::string where, std::string_view what) -> Error {
    return MakeError(ErrorCode::kParse, fmt::format("baseline: {}: {}", where, what));
  };
  if (j.is_discarded()) return bad("(document)", "not valid JSON");
  if (!j.is_object()) return bad("(document)", "expected an object");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"] != 1) {
    return bad("version", "expected 1");
  }
  BaselineState state;
  if (!j.contains("cluster") || !j["cluster"].is_string() || j["cluster"].get<std::string>().empty()) {
    return bad("cluster", "expected a non-empty string");
  }
  state.cluster = j["cluster"].get<std::string>();
  auto time_of = [](const ojson& v) -> std::optional<UnixNanos> {
    if (!v.is_string()) return std::nullopt;
    return ParseRfc3339(v.get<std::string>());
  };
  if (j.contains("started")) {
    const ojson& s = j["started"];
    if (s.is_string() && s.get<std::string>().empty()) {
      state.started = 0;
    } else if (auto t = time_of(s)) {
      state.started = *t;
    } else {
      return bad("started", "expected an RFC 3339 time");
    }
  }
  if (!j.contains("principals") || !j["principals"].is_object()) {
    return bad("principals", "expected an object");
  }
  for (const auto& [name, pj] : j["principals"].items()) {
    const std::string where = "principals." + name;
    if (name.empty()) return bad("principals", "empty principal name");
    if (!pj.is_object()) return bad(where, "expected an object");
    PrincipalBaseline p;
    auto first = pj.contains("first_seen") ? time_of(pj["first_seen"]) : std::nullopt;
    auto last = pj.contains("last_seen") ? time_of(pj["last_seen"]) : std::nullopt;
    if (!first) return bad(where + ".first_seen", "expected an RFC 3339 time");
    if (!last) return bad(where + ".last_seen", "expected an RFC 3339 time");
    p.first_seen = *first;
    p.last_seen = *last;
    for (const auto& [key, values] : pj.items()) {
      if (key == "first_seen" || key == "last_seen") continue;
      auto dim = std::find(kDimensionNames.begin(), kDimensionNames.end(), key);
      if (dim == kDimensionNames.end()) return bad(where + "." + key, "unknown dimension");
      if (!values.is_object()) return bad(where + "." + key, "expected an object");
      auto& out = p.values[static_cast<std::size_t>(dim - kDimensionNames.begin())];
      for (const auto& [value, seen] : values.items()) {
        if (!seen.is_array() || seen.size() != 2) {
          return bad(where + "." + key + "." + value, "expected [first, last]");
        }
        auto f = time_of(seen[0]);
        auto l = time_of(seen[1]);
        if (!f || !l) return bad(where + "." + key + "." + value, "expected RFC 3339 times");
        out[value] = BaselineSeen{*f, *l};
      }
    }
    state.principals.emplace(name, std::move(p));
  }
  return state;
}

}  // namespace vigil::detect
