// FindingAggregator: folds Observations into Findings, one per FindingId(rule, dedup key).
//
// The result does not depend on the order observations arrive in: first_seen/last_seen are the
// min/max event times; the "representative" observation whose description, evidence, principal,
// resource, output_fields and context a finding shows is the earliest one (by event time, then
// auditID); user_agent is the latest one's; audit_ids are the earliest kMaxAuditIds distinct
// auditIDs in time order; source_ips is the sorted union, the kMaxSourceIps smallest kept;
// severity is the highest seen.
//
// Two ways to use it (DESIGN.md "Fast and bounded"):
//  - print at the end: Add() everything, then TakeAll() and encode;
//  - feed a FindingStore: create it with track_events and limits, Add(), and whenever
//    ShouldFlush() says so (and at the end, and before acknowledging input) hand TakeAll() to
//    FindingStore::Upsert, which merges. Memory then stays flat however long the input.
// After TakeAll() the aggregator is empty; a repeat of a handed-out finding starts a fresh Finding
// with the same id that the store merges into the stored one.
//
// Not thread-safe; use one per worker. Findings are owned by the aggregator until handed out.
#ifndef VIGIL_FINDINGS_AGGREGATOR_H_
#define VIGIL_FINDINGS_AGGREGATOR_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/time.h"
#include "findings/finding.h"
#include "findings/id_cache.h"

namespace vigil::findings {

class FindingAggregator {
 public:
  struct Options {
    // Record each observation's EventRef in Finding::events so a store counts idempotently, and
    // ignore an observation whose (auditID, stage) this finding already holds. Costs about 40
    // bytes per pending event until TakeAll().
    bool track_events = false;
    // ShouldFlush() turns true when more findings than this are held (0: no limit).
    size_t max_findings = 0;
    // ... or when more tracked events than this are pending (0: no limit).
    size_t max_pending_events = 0;
    // How many (rule, dedup key) → id answers are remembered (the cache is dropped when full).
    size_t max_cached_ids = FindingIdCache<int>::kDefaultMaxEntries;
  };

  FindingAggregator() : FindingAggregator(Options{}) {}
  explicit FindingAggregator(Options options);

  // Merges a copy of `obs` into its finding, creating the finding if needed. `now` is the wall
  // clock, used for created_at (on creation) and updated_at. The dedup key is obs.dedup_key, or
  // DefaultDedupKey(obs) when that is empty. Returns the finding as it now stands; the reference
  // is valid until the next Add() or TakeAll().
  const Finding& Add(const Observation& obs, UnixNanos now);
  // The same, taking the observation's strings when it starts a new finding.
  const Finding& Add(Observation&& obs, UnixNanos now);

  // False when an observation like `brief` (everything but description, evidence, output_fields
  // and context filled in) would only add to a finding already held and could not become its
  // representative (it is not earlier than the representative). Then the caller may skip building
  // those expensive fields and Add() the brief observation. True for a new finding.
  bool NeedsDetail(const Observation& brief);

  // Number of findings held.
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Number of tracked events held across all findings (0 unless track_events).
  size_t pending_events() const { return pending_events_; }
  // True when a limit in Options is exceeded; the caller should TakeAll() into a store.
  bool ShouldFlush() const;

  // Hands out every held finding, ordered by (first_seen, id), and empties the aggregator. The
  // vector has room for `extra_capacity` more findings, so a caller that appends some (attack
  // sequences) does not reallocate it while the held findings' memory is still in use.
  std::vector<Finding> TakeAll(size_t extra_capacity = 0);

  // The held finding with this id, or nullptr. Valid until the next Add() or TakeAll().
  const Finding* Find(std::string_view id) const;

 private:
  struct DigestHash {
    size_t operator()(const std::array<std::uint8_t, 16>& d) const;
  };
  struct Entry {
    Finding finding;
    std::vector<UnixNanos> audit_id_times;  // parallel to finding.audit_ids, ascending
    std::vector<std::uint64_t> audit_id_hashes;  // parallel: FastHash64 of each
    std::string rep_audit_id;               // representative observation's auditID (tie-break)
    std::string latest_audit_id;            // latest observation's auditID (tie-break)
    std::unordered_set<std::array<std::uint8_t, 16>, DigestHash> seen;  // when track_events
  };
  using IdCache = FindingIdCache<Entry>;

  template <typename Obs>
  const Finding& AddImpl(Obs&& obs, UnixNanos now);
  // The cached id for (rule, dedup key) and the entry held for it, if any (nullptr: none).
  struct Lookup {
    IdCache::Item& item;
    Entry* entry;
  };
  Lookup Locate(std::string_view rule, std::string_view dedup_key);
  void Merge(Entry& entry, const Observation& obs, UnixNanos now);

  Options options_;
  std::unordered_map<std::string, Entry> entries_;  // node-based: an Entry never moves
  IdCache ids_;  // entries attached; invalidated when TakeAll() empties entries_
  std::string default_key_;  // reused for DefaultDedupKey()
  size_t pending_events_ = 0;
};

// Builds a one-observation Finding (count 1) with the given id; `obs` is moved from.
Finding FindingFromObservation(Observation obs, std::string id, UnixNanos now);

// Adds `id` seen at `time` to a time-ordered, capped audit-id list (the earliest kMaxAuditIds by
// (time, id) are kept; `truncated` is set when one is dropped or not admitted). A no-op if `id` is
// empty or already present. `times` is parallel to `ids`.
void AddAuditId(std::vector<std::string>& ids,
                std::vector<UnixNanos>& times,
                bool& truncated,
                std::string_view id,
                UnixNanos time);

// What MergeFinding changed.
struct MergeOutcome {
  bool changed = false;   // any field of `stored` differs afterwards
  bool reopened = false;  // the workflow went from RESOLVED back to NEW
};

// Merges a later batch's finding (same id) into a stored one, with the aggregator's semantics
// across batches: count += new_events (the caller decides how many of incoming's events are new;
// see FindingStore::Upsert); first_seen/last_seen min/max; representative fields replaced when
// incoming starts earlier; user_agent from whichever ends later; audit_ids the union, the earlier
// batch's first, capped; source_ips the capped sorted union; severity the higher. When new_events
// is positive, the rule-definition fields (type, title, priority, mitre, remediation, tags) take
// incoming's values, so an edited rule shows on its next match, and a RESOLVED finding goes back
// to NEW (Security Hub semantics; SUPPRESSED and NOTIFIED stay). A `cumulative` incoming finding
// at least as recent as the stored one replaces title, description, principal, resource, mitre,
// output_fields and context (it describes the whole sequence so far). Timestamps (created_at,
// updated_at) and `events` are left to the caller.
MergeOutcome MergeFinding(Finding& stored, const Finding& incoming, std::uint64_t new_events);

// Adds `ip` to a sorted list capped at Finding::kMaxSourceIps (the smallest kept).
void AddSourceIp(std::vector<std::string>& ips, std::string_view ip);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_AGGREGATOR_H_
