#include "findings/aggregator.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>

#include "base/hash.h"

namespace vigil::findings {
namespace {

// The fields a finding shows from its representative (earliest) observation.
void MoveRepresentative(Finding& f, Observation&& obs) {
  f.title = std::move(obs.title);
  f.description = std::move(obs.description);
  f.cluster = std::move(obs.cluster);
  f.account = std::move(obs.account);
  f.region = std::move(obs.region);
  f.principal = std::move(obs.principal);
  f.resource = std::move(obs.resource);
  f.type = std::move(obs.type);
  f.mitre = std::move(obs.mitre);
  f.remediation = std::move(obs.remediation);
  f.tags = std::move(obs.tags);
  f.output_fields = std::move(obs.output_fields);
  f.context = std::move(obs.context);
  f.evidence = std::move(obs.evidence);
}

void CopyRepresentative(Finding& f, const Observation& obs) {
  f.title = obs.title;
  f.description = obs.description;
  f.cluster = obs.cluster;
  f.account = obs.account;
  f.region = obs.region;
  f.principal = obs.principal;
  f.resource = obs.resource;
  f.type = obs.type;
  f.mitre = obs.mitre;
  f.remediation = obs.remediation;
  f.tags = obs.tags;
  f.output_fields = obs.output_fields;
  f.context = obs.context;
  f.evidence = obs.evidence;
}

void CopyRepresentative(Finding& f, const Finding& from) {
  f.description = from.description;
  f.cluster = from.cluster;
  f.account = from.account;
  f.region = from.region;
  f.principal = from.principal;
  f.resource = from.resource;
  f.output_fields = from.output_fields;
  f.context = from.context;
  f.evidence = from.evidence;
}

// The tie-break key of an observation: auditID, 0x1f, stage.
void AssignTieKey(std::string& out, const Observation& obs) {
  out.assign(obs.audit_id);
  out += '\x1f';
  out += obs.stage;
}

// Compares obs's tie-break key with `key` as AssignTieKey() would build it, without building it.
int CompareTieKey(const Observation& obs, std::string_view key) {
  const std::string_view pieces[] = {obs.audit_id, std::string_view("\x1f", 1), obs.stage};
  for (std::string_view piece : pieces) {
    const std::string_view head = key.substr(0, piece.size());
    if (const int c = piece.substr(0, head.size()).compare(head); c != 0) return c;
    if (head.size() < piece.size()) return 1;  // key is a proper prefix of the built key
    key.remove_prefix(piece.size());
  }
  return key.empty() ? 0 : -1;
}

void AddAuditIdImpl(std::vector<std::string>& ids,
                    std::vector<UnixNanos>& times,
                    std::vector<std::uint64_t>* hashes,
                    bool& truncated,
                    std::string_view id,
                    UnixNanos time);

// (time, tie-break key) of obs compared with (time, key).
int CompareOrder(const Observation& obs, UnixNanos time, std::string_view key) {
  if (obs.time != time) return obs.time < time ? -1 : 1;
  return CompareTieKey(obs, key);
}

}  // namespace

size_t FindingAggregator::DigestHash::operator()(const std::array<std::uint8_t, 16>& d) const {
  size_t h;
  std::memcpy(&h, d.data(), sizeof h);  // already a cryptographic digest
  return h;
}

FindingAggregator::FindingAggregator(Options options)
    : options_(options), ids_(options.max_cached_ids) {}

bool FindingAggregator::ShouldFlush() const {
  return (options_.max_findings > 0 && entries_.size() > options_.max_findings) ||
         (options_.max_pending_events > 0 && pending_events_ > options_.max_pending_events);
}

const Finding& FindingAggregator::Add(const Observation& obs, UnixNanos now) {
  return AddImpl(obs, now);
}

const Finding& FindingAggregator::Add(Observation&& obs, UnixNanos now) {
  return AddImpl(std::move(obs), now);
}

FindingAggregator::Lookup FindingAggregator::Locate(std::string_view rule,
                                                    std::string_view dedup_key) {
  IdCache::Item& item = ids_.Lookup(rule, dedup_key);
  Entry* entry = ids_.ValueOf(item);
  if (entry == nullptr) {
    // Not attached (a new key, or the cache was dropped or invalidated since): ask entries_.
    auto it = entries_.find(item.id);
    if (it != entries_.end()) {
      entry = &it->second;
      ids_.Attach(item, entry);
    }
  }
  return {item, entry};
}

bool FindingAggregator::NeedsDetail(const Observation& brief) {
  std::string_view dedup_key = brief.dedup_key;
  if (dedup_key.empty()) {
    default_key_.clear();
    AppendDefaultDedupKey(brief, default_key_);
    dedup_key = default_key_;
  }
  const Entry* entry = Locate(brief.rule, dedup_key).entry;
  if (entry == nullptr) return true;
  return CompareOrder(brief, entry->finding.first_seen, entry->rep_audit_id) < 0;
}

template <typename Obs>
const Finding& FindingAggregator::AddImpl(Obs&& obs, UnixNanos now) {
  std::string_view dedup_key = obs.dedup_key;
  if (dedup_key.empty()) {
    default_key_.clear();
    AppendDefaultDedupKey(obs, default_key_);
    dedup_key = default_key_;
  }
  Lookup found = Locate(obs.rule, dedup_key);
  if (found.entry != nullptr) {
    Merge(*found.entry, obs, now);
    return found.entry->finding;
  }
  Entry entry;
  if (!obs.audit_id.empty()) {
    entry.audit_id_times.push_back(obs.time);
    entry.audit_id_hashes.push_back(FastHash64(obs.audit_id));
  }
  AssignTieKey(entry.rep_audit_id, obs);
  entry.latest_audit_id = entry.rep_audit_id;
  std::optional<EventRef> ref;
  if (options_.track_events) {
    ref = EventRefOf(obs);
    entry.seen.insert(ref->digest);
  }
  std::string key(dedup_key);  // before obs is moved from: dedup_key may view obs.dedup_key
  entry.finding = FindingFromObservation(std::forward<Obs>(obs), found.item.id, now);
  entry.finding.dedup_key = std::move(key);
  if (ref) {
    entry.finding.events.push_back(*ref);
    ++pending_events_;
  }
  auto it = entries_.emplace(found.item.id, std::move(entry)).first;
  ids_.Attach(found.item, &it->second);
  return it->second.finding;
}

void FindingAggregator::Merge(Entry& entry, const Observation& obs, UnixNanos now) {
  Finding& f = entry.finding;
  if (options_.track_events) {
    EventRef ref = EventRefOf(obs);
    if (!entry.seen.insert(ref.digest).second) return;  // the same event again
    f.events.push_back(ref);
    ++pending_events_;
  }
  ++f.count;
  if (CompareOrder(obs, f.first_seen, entry.rep_audit_id) < 0) {
    f.first_seen = obs.time;
    AssignTieKey(entry.rep_audit_id, obs);
    CopyRepresentative(f, obs);
  }
  if (CompareOrder(obs, f.last_seen, entry.latest_audit_id) > 0) {
    f.last_seen = obs.time;
    AssignTieKey(entry.latest_audit_id, obs);
    f.user_agent = obs.user_agent;
  }
  if (obs.severity > f.severity) {
    f.severity = obs.severity;
    f.priority = obs.priority;
  }
  AddAuditIdImpl(f.audit_ids, entry.audit_id_times, &entry.audit_id_hashes, f.audit_ids_truncated,
                 obs.audit_id, obs.time);
  for (const std::string& ip : obs.source_ips) AddSourceIp(f.source_ips, ip);
  f.updated_at = std::max(f.updated_at, now);
}

std::vector<Finding> FindingAggregator::TakeAll(size_t extra_capacity) {
  std::vector<Finding> out;
  out.reserve(entries_.size() + extra_capacity);
  for (auto& [id, entry] : entries_) out.push_back(std::move(entry.finding));
  entries_.clear();
  ids_.Invalidate();
  pending_events_ = 0;
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.first_seen, a.id) < std::tie(b.first_seen, b.id);
  });
  return out;
}

const Finding* FindingAggregator::Find(std::string_view id) const {
  auto it = entries_.find(std::string(id));
  return it == entries_.end() ? nullptr : &it->second.finding;
}

Finding FindingFromObservation(Observation obs, std::string id, UnixNanos now) {
  Finding f;
  f.id = std::move(id);
  f.rule = std::move(obs.rule);
  f.severity = obs.severity;
  f.priority = std::move(obs.priority);
  f.dedup_key = std::move(obs.dedup_key);
  f.count = 1;
  if (!obs.audit_id.empty()) f.audit_ids.push_back(std::move(obs.audit_id));
  f.first_seen = obs.time;
  f.last_seen = obs.time;
  f.user_agent = std::move(obs.user_agent);
  for (const std::string& ip : obs.source_ips) AddSourceIp(f.source_ips, ip);
  MoveRepresentative(f, std::move(obs));
  f.workflow = WorkflowStatus::kNew;
  f.created_at = now;
  f.updated_at = now;
  return f;
}

namespace {

// AddAuditId, optionally keeping `hashes` (FastHash64 of each kept id, parallel to ids): the
// duplicate check then reads 8 contiguous bytes per kept id instead of each id's own storage,
// which a busy finding's 20 ids scatter over as many cache lines.
void AddAuditIdImpl(std::vector<std::string>& ids,
                    std::vector<UnixNanos>& times,
                    std::vector<std::uint64_t>* hashes,
                    bool& truncated,
                    std::string_view id,
                    UnixNanos time) {
  if (id.empty()) return;
  // The common case for a busy finding: the list is full and already marked truncated, and this
  // event is later than every kept one. Nothing changes, whether or not the id is in the list.
  if (truncated && ids.size() >= Finding::kMaxAuditIds && !times.empty() && time > times.back()) {
    return;
  }
  std::uint64_t hash = 0;
  if (hashes != nullptr) {
    hash = FastHash64(id);
    for (size_t i = 0; i < hashes->size(); ++i) {
      if ((*hashes)[i] == hash && ids[i] == id) return;
    }
  } else if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
    return;
  }
  size_t pos = 0;
  // (time, id) order; a pair of views rather than std::tie, whose mixed string/string_view
  // comparison clang rejects with libstdc++ 12 in C++20 mode (the fuzz build is clang).
  auto before = [&](size_t i) {
    return std::pair<UnixNanos, std::string_view>(times[i], ids[i]) <
           std::pair<UnixNanos, std::string_view>(time, id);
  };
  while (pos < ids.size() && before(pos)) ++pos;
  if (ids.size() >= Finding::kMaxAuditIds) {
    truncated = true;
    if (pos >= ids.size()) return;  // later than every kept one
    ids.pop_back();
    times.pop_back();
    if (hashes != nullptr) hashes->pop_back();
  }
  const auto at = static_cast<std::ptrdiff_t>(pos);
  ids.insert(ids.begin() + at, std::string(id));
  times.insert(times.begin() + at, time);
  if (hashes != nullptr) hashes->insert(hashes->begin() + at, hash);
}

}  // namespace

void AddAuditId(std::vector<std::string>& ids,
                std::vector<UnixNanos>& times,
                bool& truncated,
                std::string_view id,
                UnixNanos time) {
  AddAuditIdImpl(ids, times, nullptr, truncated, id, time);
}

void AddSourceIp(std::vector<std::string>& ips, std::string_view ip) {
  if (ip.empty()) return;
  auto pos = std::lower_bound(ips.begin(), ips.end(), ip);
  if (pos != ips.end() && *pos == ip) return;
  if (ips.size() >= Finding::kMaxSourceIps && pos == ips.end()) return;
  ips.insert(pos, std::string(ip));
  if (ips.size() > Finding::kMaxSourceIps) ips.pop_back();
}

MergeOutcome MergeFinding(Finding& stored, const Finding& incoming, std::uint64_t new_events) {
  const Finding before = stored;
  MergeOutcome outcome;
  stored.count += new_events;
  const bool incoming_earlier = incoming.first_seen < stored.first_seen;
  if (incoming_earlier) {
    stored.first_seen = incoming.first_seen;
    CopyRepresentative(stored, incoming);
  }
  if (incoming.last_seen > stored.last_seen ||
      (incoming.last_seen == stored.last_seen && stored.user_agent.empty())) {
    stored.last_seen = incoming.last_seen;
    stored.user_agent = incoming.user_agent;
  }

  // audit_ids: the earlier batch's ids first, then the other's; capped.
  const Finding& earlier = incoming_earlier ? incoming : before;
  const Finding& later = incoming_earlier ? before : incoming;
  std::vector<std::string> ids;
  bool truncated = before.audit_ids_truncated || incoming.audit_ids_truncated;
  for (const auto* list : {&earlier.audit_ids, &later.audit_ids}) {
    for (const std::string& id : *list) {
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      if (ids.size() >= Finding::kMaxAuditIds) {
        truncated = true;
        continue;
      }
      ids.push_back(id);
    }
  }
  stored.audit_ids = std::move(ids);
  stored.audit_ids_truncated = truncated;

  for (const std::string& ip : incoming.source_ips) AddSourceIp(stored.source_ips, ip);
  if (incoming.severity > stored.severity) {
    stored.severity = incoming.severity;
    stored.priority = incoming.priority;
  }
  if (new_events > 0) {
    stored.rule = incoming.rule;
    stored.type = incoming.type;
    stored.title = incoming.title;
    stored.mitre = incoming.mitre;
    stored.remediation = incoming.remediation;
    stored.tags = incoming.tags;
    if (stored.workflow == WorkflowStatus::kResolved) {
      stored.workflow = WorkflowStatus::kNew;
      outcome.reopened = true;
    }
  }
  if (incoming.cumulative && incoming.last_seen >= before.last_seen) {
    stored.title = incoming.title;
    stored.description = incoming.description;
    stored.principal = incoming.principal;
    stored.resource = incoming.resource;
    stored.mitre = incoming.mitre;
    stored.context = incoming.context;
    stored.output_fields = incoming.output_fields;
  }
  outcome.changed = !SameContent(before, stored);
  return outcome;
}

}  // namespace vigil::findings
