#include "detect/sequence.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "detect/resource_kinds.h"
#include "findings/aggregator.h"

namespace vigil::detect {
namespace {

using findings::MitreRef;

constexpr std::size_t kMaxResourcesPerSignal = 8;
constexpr std::size_t kMaxAuditIdsPerSignal = 8;
constexpr std::size_t kMaxPendingPerSignal = 10000;
constexpr int kStages = 4;

bool IsRbacResource(std::string_view r) {
  return r == "roles" || r == "clusterroles" || r == "rolebindings" || r == "clusterrolebindings";
}

bool IsReadVerb(std::string_view v) { return v == "get" || v == "list" || v == "watch"; }

// Cluster components whose workload creation and secret reads are their job, not a signal.
bool IsClusterComponent(std::string_view user) {
  return user.starts_with("system:node:") || user.starts_with("system:kube-") ||
         user.starts_with("system:serviceaccount:kube-system:") || user == "system:apiserver";
}

bool IsLoopback(std::string_view ip) {
  return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

// The tactic a finding type names before ':' ("PrivilegeEscalation:Kubernetes/..." →
// "PrivilegeEscalation"); "" when it names none.
std::string_view TypeTactic(std::string_view type) {
  auto colon = type.find(':');
  return colon == std::string_view::npos ? std::string_view() : type.substr(0, colon);
}

std::string_view StageTacticName(int stage) {
  static constexpr std::array<std::string_view, kStages> kNames = {
      "InitialAccess", "Discovery/CredentialAccess",
      "PrivilegeEscalation/Persistence/DefenseEvasion", "Execution/Impact"};
  return stage >= 0 && stage < kStages ? kNames[static_cast<std::size_t>(stage)] : "";
}

std::string_view LastString(std::optional<simdjson::dom::element> list) {
  simdjson::dom::array arr;
  if (!list || list->get_array().get(arr) != simdjson::SUCCESS) return {};
  std::string_view last;
  for (auto item : arr) last = event::AsString(item);
  return last;
}

std::string_view FirstString(std::optional<simdjson::dom::element> v) {
  if (!v) return {};
  simdjson::dom::array arr;
  if (v->get_array().get(arr) == simdjson::SUCCESS) {
    for (auto item : arr) return event::AsString(item);
    return {};
  }
  return event::AsString(*v);
}

// Union-find over actor keys.
class Actors {
 public:
  int Id(const std::string& key) {
    auto [it, inserted] = ids_.try_emplace(key, static_cast<int>(parent_.size()));
    if (inserted) parent_.push_back(it->second);
    return it->second;
  }
  int Find(int x) {
    while (parent_[static_cast<std::size_t>(x)] != x) {
      auto& p = parent_[static_cast<std::size_t>(x)];
      p = parent_[static_cast<std::size_t>(p)];
      x = p;
    }
    return x;
  }
  void Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
  }

 private:
  std::unordered_map<std::string, int> ids_;
  std::vector<int> parent_;
};

std::string ActorLabel(std::string_view principal, std::string_view ip) {
  if (!principal.empty() && !ip.empty()) return fmt::format("{} from {}", principal, ip);
  if (!principal.empty()) return std::string(principal);
  return std::string(ip);
}

}  // namespace

int KillChainStage(std::string_view tactic) {
  // The tactic without spaces, in a fixed buffer: every match (not only attack sequences) asks,
  // and a std::string of "PrivilegeEscalation" would be allocated each time. Longer than any
  // name below means no stage.
  std::array<char, 32> buffer;
  size_t size = 0;
  for (char c : tactic) {
    if (c == ' ') continue;
    if (size == buffer.size()) return -1;
    buffer[size++] = c;
  }
  const std::string_view t(buffer.data(), size);
  if (t == "InitialAccess") return 0;
  if (t == "Discovery" || t == "CredentialAccess") return 1;
  if (t == "PrivilegeEscalation" || t == "Persistence" || t == "DefenseEvasion") return 2;
  if (t == "Execution" || t == "Impact") return 3;
  return -1;
}

SequenceCorrelator::SequenceCorrelator(SequenceOptions options) : options_(std::move(options)) {}

bool SequenceCorrelator::MayBeWeakSignal(const ingest::EventKeys& k) {
  // What OnEvent() looks at, decided from the keys as far as they go (OnEvent() also needs a
  // response code below 400 and, for secrets, a principal it has not seen read secrets before).
  if (k.resource.empty()) return false;
  if (k.stage != "ResponseComplete" && k.stage != "Panic") return false;
  if (k.verb == "create" &&
      (k.resource == "selfsubjectaccessreviews" || k.resource == "selfsubjectrulesreviews")) {
    return true;
  }
  if (k.resource == "secrets") return IsReadVerb(k.verb) && !IsClusterComponent(k.user_name);
  if (IsRbacResource(k.resource)) return IsWriteVerb(k.verb) && !IsClusterComponent(k.user_name);
  if (k.resource == "pods" && (k.subresource == "exec" || k.subresource == "attach")) {
    return k.verb == "create" || k.verb == "get";
  }
  return k.verb == "create" && k.subresource.empty() && IsWorkloadResource(k.resource) &&
         !IsClusterComponent(k.user_name);
}

void SequenceCorrelator::OnEvent(const event::AuditEvent& ev, bool made_finding) {
  const UnixNanos time = ev.time();
  if (time > latest_) latest_ = time;
  if (made_finding) return;
  if (ev.stage() != event::Stage::kResponseComplete && ev.stage() != event::Stage::kPanic) return;
  const std::string_view verb = ev.verb();
  const std::string_view resource = ev.resource();
  const std::string_view sub = ev.subresource();
  if (resource.empty()) return;
  const int code = ev.response_code();
  if (code >= 400) return;  // only what succeeded

  std::string_view name;
  std::string_view tactic;
  MitreRef technique;
  const std::string_view user = ev.user_name();
  if (verb == "create" &&
      (resource == "selfsubjectaccessreviews" || resource == "selfsubjectrulesreviews")) {
    name = "API:PermissionChecked";
    tactic = "Discovery";
    technique = {"Discovery", "T1069", "Permission Groups Discovery"};
  } else if (resource == "secrets" && IsReadVerb(verb)) {
    if (IsClusterComponent(user)) return;
    if (secret_readers_.contains(std::string(user))) return;
    if (secret_readers_.size() >= options_.max_secret_readers) {
      secret_readers_.clear();
      new_readers_.clear();
      readers_reset_ = true;
    }
    secret_readers_.emplace(user);
    new_readers_.emplace_back(user);
    name = "API:SecretsReadByNewPrincipal";
    tactic = "CredentialAccess";
    technique = {"Credential Access", "T1552.007", "Unsecured Credentials: Container API"};
  } else if (IsRbacResource(resource) && IsWriteVerb(verb)) {
    if (IsClusterComponent(user)) return;
    name = "API:RbacChanged";
    tactic = "PrivilegeEscalation";
    technique = {"Privilege Escalation", "T1098.006",
                 "Account Manipulation: Additional Container Cluster Roles"};
  } else if (resource == "pods" && (sub == "exec" || sub == "attach") &&
             (verb == "create" || verb == "get")) {
    name = "API:ExecInPod";
    tactic = "Execution";
    technique = {"Execution", "T1609", "Container Administration Command"};
  } else if (verb == "create" && sub.empty() && IsWorkloadResource(resource)) {
    if (IsClusterComponent(user)) return;
    name = "API:WorkloadCreated";
    tactic = "Execution";
    technique = {"Execution", "T1610", "Deploy Container"};
  } else {
    return;
  }
  auto user_elem = ev.Get(event::Member::kUser);
  std::string_view credential;
  if (user_elem) {
    if (auto extra = event::FindKey(*user_elem, "extra")) {
      credential = FirstString(event::FindKey(*extra, "authentication.kubernetes.io/credential-id"));
    }
  }
  std::string resource_label = fmt::format("{}/{}/{}{}{}", ev.ns(), resource, ev.name(),
                                           sub.empty() ? "" : "/", sub);
  Add(name, false, tactic, technique, findings::Severity::kInformational, user,
      LastString(ev.Get(event::Member::kSourceIps)), credential, resource_label, ev.audit_id(),
      ev.stage_name(), time, nullptr);
}

void SequenceCorrelator::OnObservation(const findings::Observation& obs) {
  if (obs.time > latest_) latest_ = obs.time;
  if (obs.type == kAttackSequenceType) return;
  std::string_view tactic = TypeTactic(obs.type);
  if (KillChainStage(tactic) < 0 && !obs.mitre.empty()) tactic = obs.mitre.front().tactic;
  if (KillChainStage(tactic) < 0) return;  // Policy:, Custom: without a tactic
  MitreRef technique;
  for (const MitreRef& m : obs.mitre) {
    if (KillChainStage(m.tactic) == KillChainStage(tactic)) {
      technique = m;
      break;
    }
  }
  if (technique.tactic.empty() && !obs.mitre.empty()) technique = obs.mitre.front();
  const findings::TargetResource& r = obs.resource;
  std::string resource_label =
      r.resource.empty() ? r.request_uri
                         : fmt::format("{}/{}/{}{}{}", r.ns, r.resource, r.name,
                                       r.subresource.empty() ? "" : "/", r.subresource);
  std::string_view ip = obs.source_ips.empty() ? std::string_view() : obs.source_ips.back();
  Add(obs.type, true, tactic, technique, obs.severity, obs.principal.username, ip, {},
      resource_label, obs.audit_id, obs.stage, obs.time, &obs);
}

void SequenceCorrelator::Add(std::string_view name,
                             bool is_finding,
                             std::string_view tactic,
                             const MitreRef& technique,
                             findings::Severity severity,
                             std::string_view principal,
                             std::string_view ip,
                             std::string_view credential,
                             std::string_view resource,
                             std::string_view audit_id,
                             std::string_view stage,
                             UnixNanos time,
                             const findings::Observation* obs) {
  key_.assign(name);
  for (std::string_view part : {principal, ip, credential}) {
    key_ += '\x1f';
    key_ += part;
  }
  if (is_finding && obs != nullptr) {  // one signal per finding, as the finding's dedup key says
    key_ += '\x1e';
    key_ += obs->rule;
    key_ += '\x1e';
    key_ += obs->dedup_key.empty() ? findings::DefaultDedupKey(*obs) : obs->dedup_key;
  }
  auto [it, inserted] = signals_.try_emplace(key_);
  Signal& s = it->second;
  dirty_.insert(key_);
  if (inserted) {
    s.key = it->first;
    s.name.assign(name);
    s.is_finding = is_finding;
    s.tactic.assign(tactic);
    s.stage = KillChainStage(tactic);
    s.technique = technique;
    s.principal.assign(principal);
    s.ip.assign(ip);
    s.credential.assign(credential);
    s.first_seen = time;
    s.last_seen = time;
    if (obs != nullptr) {
      s.rule = obs->rule;
      s.dedup_key = obs->dedup_key.empty() ? findings::DefaultDedupKey(*obs) : obs->dedup_key;
      s.finding_id = findings::FindingId(s.rule, s.dedup_key);
    }
  }
  s.first_seen = std::min(s.first_seen, time);
  s.last_seen = std::max(s.last_seen, time);
  s.severity = std::max(s.severity, severity);
  ++s.count;
  if (!resource.empty() && s.resources.size() < kMaxResourcesPerSignal &&
      std::find(s.resources.begin(), s.resources.end(), resource) == s.resources.end()) {
    s.resources.emplace_back(resource);
  }
  if (!audit_id.empty() && s.audit_ids.size() < kMaxAuditIdsPerSignal &&
      std::find(s.audit_ids.begin(), s.audit_ids.end(), audit_id) == s.audit_ids.end()) {
    s.audit_ids.emplace_back(audit_id);
  }
  if (s.pending.size() < kMaxPendingPerSignal) {
    findings::Observation ref_of;
    ref_of.audit_id.assign(audit_id);
    // One event can be two signals (a privileged pod is a finding and a new workload): the
    // signal's name is part of its identity, so a store counts each once.
    ref_of.stage.assign(stage);
    ref_of.stage += '\x1f';
    ref_of.stage += name;
    ref_of.time = time;
    if (audit_id.empty()) ref_of.evidence = key_;
    s.pending.push_back(findings::EventRefOf(ref_of));
  }
  if (signals_.size() > options_.max_signals) Expire();
}

void SequenceCorrelator::Forget(const std::string& key) {
  removed_.insert(key);
  dirty_.erase(key);
  refs_cleared_.erase(key);
}

void SequenceCorrelator::Expire() {
  const UnixNanos horizon = latest_ - options_.window_seconds * 1'000'000'000LL;
  std::erase_if(signals_, [&](const auto& kv) {
    if (kv.second.last_seen >= horizon) return false;
    Forget(kv.first);
    return true;
  });
  if (signals_.size() <= options_.max_signals) return;
  // Still too many: drop the oldest tenth.
  std::vector<UnixNanos> last;
  last.reserve(signals_.size());
  for (const auto& [k, s] : signals_) last.push_back(s.last_seen);
  auto nth = last.begin() + static_cast<std::ptrdiff_t>(last.size() / 10);
  std::nth_element(last.begin(), nth, last.end());
  const UnixNanos cut = *nth;
  std::erase_if(signals_, [&](const auto& kv) {
    if (kv.second.last_seen > cut) return false;
    Forget(kv.first);
    return true;
  });
}

std::vector<std::string> SequenceCorrelator::FindingIds() const {
  std::vector<std::string> ids;
  for (const auto& [key, s] : signals_) {
    if (s.is_finding && !s.finding_id.empty()) ids.push_back(s.finding_id);
  }
  return ids;
}

std::vector<findings::Finding> SequenceCorrelator::TakeFindings(UnixNanos now,
                                                                const SuppressedFn& suppressed) {
  Expire();
  Actors actors;
  std::vector<Signal*> live;
  std::vector<int> root_of;
  live.reserve(signals_.size());
  for (auto& [key, s] : signals_) {
    if (s.is_finding && suppressed && suppressed(s.finding_id)) continue;
    int first = -1;
    auto link = [&](const std::string& actor) {
      int id = actors.Id(actor);
      if (first < 0) {
        first = id;
      } else {
        actors.Union(first, id);
      }
    };
    if (!s.principal.empty()) link("user:" + s.principal);
    if (!s.ip.empty() && !IsLoopback(s.ip)) link("ip:" + s.ip);
    if (!s.credential.empty()) link("cred:" + s.credential);
    if (first < 0) link("signal:" + key);
    live.push_back(&s);
    root_of.push_back(first);
  }
  std::map<int, std::vector<Signal*>> groups;
  for (std::size_t i = 0; i < live.size(); ++i) {
    groups[actors.Find(root_of[i])].push_back(live[i]);
  }

  std::vector<findings::Finding> out;
  for (auto& [root, group] : groups) {
    bool has_finding = false;
    std::set<std::string_view> requests;  // distinct auditIDs, up to two
    std::array<UnixNanos, kStages> min_first;
    std::array<UnixNanos, kStages> max_last;
    min_first.fill(std::numeric_limits<UnixNanos>::max());
    max_last.fill(std::numeric_limits<UnixNanos>::min());
    for (const Signal* s : group) {
      has_finding |= s->is_finding;
      for (const auto& a : s->audit_ids) {
        if (requests.size() < 2) requests.insert(a);
      }
      if (s->stage < 0) continue;
      auto st = static_cast<std::size_t>(s->stage);
      min_first[st] = std::min(min_first[st], s->first_seen);
      max_last[st] = std::max(max_last[st], s->last_seen);
    }
    bool ordered = false;
    for (std::size_t a = 0; a < kStages && !ordered; ++a) {
      for (std::size_t b = a + 1; b < kStages && !ordered; ++b) {
        ordered = min_first[a] != std::numeric_limits<UnixNanos>::max() &&
                  max_last[b] != std::numeric_limits<UnixNanos>::min() &&
                  min_first[a] <= max_last[b];
      }
    }
    if (!has_finding || !ordered || requests.size() < 2) continue;

    std::sort(group.begin(), group.end(), [](const Signal* x, const Signal* y) {
      return std::tie(x->first_seen, x->name, x->principal, x->ip) <
             std::tie(y->first_seen, y->name, y->principal, y->ip);
    });
    // The id: kept from the earliest signal that already belongs to a sequence, else made from
    // the earliest signal's actor and time, so a replay of the same log gives the same id.
    std::string id;
    std::string dedup_key;
    for (const Signal* s : group) {
      if (!s->sequence_id.empty()) {
        id = s->sequence_id;
        break;
      }
    }
    if (id.empty()) {
      const Signal* first = group.front();
      dedup_key = fmt::format("{}\x1f{}\x1f{}", options_.cluster,
                              first->principal.empty() ? first->ip : first->principal,
                              first->first_seen);
      id = findings::FindingId(kAttackSequenceRule, dedup_key);
    }
    bool pending = false;
    for (Signal* s : group) {
      if (s->sequence_id != id) {
        s->sequence_id = id;
        dirty_.emplace(s->key);
      }
      pending |= !s->pending.empty();
    }
    // Only new signal events change a sequence; each hand-out carries them so a store counts
    // every event once.
    if (!pending) continue;
    findings::Finding f = Build(group, id, now);
    if (!dedup_key.empty()) f.dedup_key = std::move(dedup_key);
    for (Signal* s : group) {
      s->pending.clear();
      if (s->saved_refs > 0) refs_cleared_.emplace(s->key);
      s->saved_refs = 0;
    }
    out.push_back(std::move(f));
  }
  return out;
}

// A signal's stored document. Field names are stable: stores keep them across versions.
std::string SequenceCorrelator::ToDocument(const Signal& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["finding"] = s.is_finding;
  if (s.is_finding) {
    j["rule"] = s.rule;
    j["dedup_key"] = s.dedup_key;
    j["finding_id"] = s.finding_id;
  }
  j["tactic"] = s.tactic;
  j["technique"] = {s.technique.tactic, s.technique.technique_id, s.technique.technique};
  j["severity"] = static_cast<int>(s.severity);
  j["principal"] = s.principal;
  j["ip"] = s.ip;
  j["credential"] = s.credential;
  j["first_seen"] = s.first_seen;
  j["last_seen"] = s.last_seen;
  j["count"] = s.count;
  j["resources"] = s.resources;
  j["audit_ids"] = s.audit_ids;
  j["sequence_id"] = s.sequence_id;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Status SequenceCorrelator::Restore(const SequenceWindowState& state) {
  signals_.clear();
  secret_readers_.clear();
  dirty_.clear();
  removed_.clear();
  refs_cleared_.clear();
  new_readers_.clear();
  readers_reset_ = false;
  latest_ = state.latest;
  for (std::size_t n = 0; n < state.signals.size(); ++n) {
    const auto& [key, doc] = state.signals[n];
    auto parsed = nlohmann::json::parse(doc, nullptr, /*allow_exceptions=*/false);
    auto fail = [&](std::string_view what) {
      signals_.clear();
      secret_readers_.clear();
      latest_ = 0;
      return MakeError(ErrorCode::kParse,
                       fmt::format("stored attack-sequence window of cluster '{}', signal {}: {}",
                                   options_.cluster, n + 1, what));
    };
    if (!parsed.is_object()) return fail("not a JSON object");
    try {
      auto [it, inserted] = signals_.try_emplace(key);
      Signal& s = it->second;
      s.key = it->first;
      s.name = parsed.at("name").get<std::string>();
      s.is_finding = parsed.at("finding").get<bool>();
      if (s.is_finding) {
        s.rule = parsed.at("rule").get<std::string>();
        s.dedup_key = parsed.at("dedup_key").get<std::string>();
        s.finding_id = parsed.at("finding_id").get<std::string>();
      }
      s.tactic = parsed.at("tactic").get<std::string>();
      s.stage = KillChainStage(s.tactic);
      const auto& t = parsed.at("technique");
      s.technique = {t.at(0).get<std::string>(), t.at(1).get<std::string>(),
                     t.at(2).get<std::string>()};
      s.severity = static_cast<findings::Severity>(
          std::clamp(parsed.at("severity").get<int>(), 0, 4));
      s.principal = parsed.at("principal").get<std::string>();
      s.ip = parsed.at("ip").get<std::string>();
      s.credential = parsed.at("credential").get<std::string>();
      s.first_seen = parsed.at("first_seen").get<UnixNanos>();
      s.last_seen = parsed.at("last_seen").get<UnixNanos>();
      s.count = parsed.at("count").get<std::uint64_t>();
      s.resources = parsed.at("resources").get<std::vector<std::string>>();
      s.audit_ids = parsed.at("audit_ids").get<std::vector<std::string>>();
      s.sequence_id = parsed.at("sequence_id").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      return fail(e.what());
    }
  }
  for (const auto& [key, ref] : state.refs) {
    auto it = signals_.find(key);
    if (it == signals_.end() || it->second.pending.size() >= kMaxPendingPerSignal) continue;
    it->second.pending.push_back(ref);
  }
  for (auto& [key, s] : signals_) s.saved_refs = s.pending.size();
  secret_readers_.insert(state.secret_readers.begin(), state.secret_readers.end());
  return Ok();
}

SequenceWindowChanges SequenceCorrelator::TakeChanges() {
  SequenceWindowChanges c;
  c.cluster = options_.cluster;
  c.latest = latest_;
  c.readers_reset = readers_reset_;
  c.removed.assign(removed_.begin(), removed_.end());
  c.refs_cleared.assign(refs_cleared_.begin(), refs_cleared_.end());
  for (const std::string& key : dirty_) {
    auto it = signals_.find(key);
    if (it == signals_.end()) continue;
    Signal& s = it->second;
    c.signals.emplace_back(key, ToDocument(s));
    for (std::size_t i = s.saved_refs; i < s.pending.size(); ++i) {
      c.refs.emplace_back(key, s.pending[i]);
    }
    s.saved_refs = s.pending.size();
  }
  c.readers = std::move(new_readers_);
  new_readers_.clear();
  readers_reset_ = false;
  dirty_.clear();
  removed_.clear();
  refs_cleared_.clear();
  return c;
}

findings::Finding SequenceCorrelator::Build(const std::vector<Signal*>& group,
                                            const std::string& id,
                                            UnixNanos now) const {
  using ojson = nlohmann::ordered_json;
  findings::Finding f;
  f.id = id;
  f.rule = std::string(kAttackSequenceRule);
  f.type = std::string(kAttackSequenceType);
  f.severity = findings::Severity::kCritical;
  f.cumulative = true;
  f.cluster = options_.cluster;
  f.account = options_.account;
  f.region = options_.region;
  f.dedup_key = fmt::format("{}\x1f{}", options_.cluster, id);
  f.first_seen = group.front()->first_seen;
  f.last_seen = group.front()->last_seen;
  f.created_at = now;
  f.updated_at = now;
  f.tags = {"attack-sequence"};
  f.principal.username = group.front()->principal;
  f.remediation.text =
      "Treat every actor in the sequence as compromised: revoke their credentials and tokens, "
      "remove the RBAC bindings and workloads they created, and review what they read.";

  std::set<std::string> actor_set;
  std::set<std::string> resource_set;
  std::array<bool, kStages> stage_seen{};
  std::vector<std::string> tactics;
  std::vector<UnixNanos> audit_times;
  ojson signals = ojson::array();
  ojson timeline = ojson::array();
  for (const Signal* s : group) {
    f.count += s->count;
    f.first_seen = std::min(f.first_seen, s->first_seen);
    f.last_seen = std::max(f.last_seen, s->last_seen);
    if (!s->ip.empty()) findings::AddSourceIp(f.source_ips, s->ip);
    for (const auto& ref : s->pending) f.events.push_back(ref);
    for (const auto& a : s->audit_ids) {
      findings::AddAuditId(f.audit_ids, audit_times, f.audit_ids_truncated, a, s->first_seen);
    }
    if (s->audit_ids.size() < s->count && s->audit_ids.size() >= kMaxAuditIdsPerSignal) {
      f.audit_ids_truncated = true;
    }
    ojson actor_ids = ojson::array();
    if (!s->principal.empty()) {
      actor_set.insert("user:" + s->principal);
      actor_ids.push_back("user:" + s->principal);
    }
    if (!s->ip.empty()) {
      actor_set.insert("ip:" + s->ip);
      actor_ids.push_back("ip:" + s->ip);
    }
    if (!s->credential.empty()) {
      actor_set.insert("credential:" + s->credential);
      actor_ids.push_back("credential:" + s->credential);
    }
    for (const auto& r : s->resources) resource_set.insert(r);
    if (s->stage >= 0 && !stage_seen[static_cast<std::size_t>(s->stage)]) {
      stage_seen[static_cast<std::size_t>(s->stage)] = true;
    }
    if (std::find(tactics.begin(), tactics.end(), s->tactic) == tactics.end()) {
      tactics.push_back(s->tactic);
    }
    if (!s->technique.technique_id.empty() &&
        std::find(f.mitre.begin(), f.mitre.end(), s->technique) == f.mitre.end()) {
      f.mitre.push_back(s->technique);
    }
    ojson sig;
    sig["name"] = s->name;
    sig["type"] = s->is_finding ? "FINDING" : "API";
    if (s->is_finding) {
      sig["finding_id"] = s->finding_id;
      sig["severity"] = std::string(findings::SeverityName(s->severity));
    }
    sig["tactic"] = s->tactic;
    if (!s->technique.technique_id.empty()) {
      sig["technique_id"] = s->technique.technique_id;
      sig["technique"] = s->technique.technique;
    }
    sig["first_seen"] = FormatRfc3339(s->first_seen);
    sig["last_seen"] = FormatRfc3339(s->last_seen);
    sig["count"] = s->count;
    sig["actor_ids"] = std::move(actor_ids);
    sig["resources"] = s->resources;
    signals.push_back(std::move(sig));
    timeline.push_back(ojson{{"at", FormatRfc3339(s->first_seen)},
                             {"signal", s->name},
                             {"tactic", s->tactic},
                             {"actor", ActorLabel(s->principal, s->ip)}});
  }
  // Tactics in kill-chain order (stable within a stage: first seen first).
  std::stable_sort(tactics.begin(), tactics.end(), [](const std::string& a, const std::string& b) {
    return KillChainStage(a) < KillChainStage(b);
  });
  std::stable_sort(f.mitre.begin(), f.mitre.end(), [](const MitreRef& a, const MitreRef& b) {
    return KillChainStage(a.tactic) < KillChainStage(b.tactic);
  });
  std::string chain;
  for (const auto& t : tactics) {
    if (!chain.empty()) chain += " -> ";
    chain += t;
  }
  std::string actor_list;
  for (const auto& a : actor_set) {
    if (!actor_list.empty()) actor_list += ", ";
    actor_list += a;
  }
  f.title = fmt::format("Attack sequence in cluster {}: {}", options_.cluster, chain);
  f.description = fmt::format(
      "{} signals ({} occurrences) by related actors ({}) between {} and {} show the tactics {} "
      "in kill-chain order; first: {} by {}.",
      group.size(), f.count, actor_list, FormatRfc3339(f.first_seen, 0),
      FormatRfc3339(f.last_seen, 0), chain, group.front()->name,
      ActorLabel(group.front()->principal, group.front()->ip));

  ojson seq;
  seq["window_seconds"] = options_.window_seconds;
  seq["tactics"] = tactics;
  ojson techniques = ojson::array();
  for (const MitreRef& m : f.mitre) {
    techniques.push_back(ojson{{"tactic", m.tactic}, {"id", m.technique_id}, {"name", m.technique}});
  }
  seq["techniques"] = std::move(techniques);
  seq["actors"] = actor_set;
  seq["resources"] = resource_set;
  seq["signals"] = std::move(signals);
  seq["timeline"] = std::move(timeline);
  ojson stages = ojson::array();
  for (int st = 0; st < kStages; ++st) {
    if (stage_seen[static_cast<std::size_t>(st)]) stages.push_back(std::string(StageTacticName(st)));
  }
  seq["kill_chain_stages"] = std::move(stages);
  f.context["sequence"] = seq.dump(-1, ' ', false, ojson::error_handler_t::replace);
  f.context["tactics"] = chain;
  f.context["actors"] = actor_list;
  f.context["signals"] = std::to_string(group.size());
  return f;
}

}  // namespace vigil::detect
