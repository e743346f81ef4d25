// SequenceCorrelator: GuardDuty's AttackSequence:EKS/CompromisedCluster for one cluster
// (reference guardduty-securityhub.md §1d, §4).
//
// It keeps a sliding window (24 hours of event time by default) of signals:
//  - findings of every type (each Observation the engine emits), with the tactic their type names
//    (the part before ':', e.g. "PrivilegeEscalation");
//  - weak signals read from events that on their own make no finding: permission checks
//    (create selfsubjectaccessreviews / selfsubjectrulesreviews), secret reads by a principal not
//    seen reading secrets before, RBAC changes (create/update/patch of roles, clusterroles,
//    rolebindings, clusterrolebindings), new workloads created by a principal that is not a
//    cluster component, and exec/attach into pods. Only successful requests on their final stage
//    count.
// A signal is aggregated per (name, principal, caller IP, credential): first/last seen and count.
// Actors are linked when they share a principal, a caller IP (loopback addresses never link), or a
// service-account credential id (user.extra "authentication.kubernetes.io/credential-id", so a
// token used from another address joins its owner). A linked group of signals is a sequence when:
//  - it holds at least one finding (weak signals alone never make one: they are what benign
//    automation does all day), and
//  - its signals come from at least two distinct requests (auditIDs), and
//  - it shows two tactics of different kill-chain stages in order: a signal of an earlier stage
//    (InitialAccess < Discovery, CredentialAccess < PrivilegeEscalation, Persistence,
//    DefenseEvasion < Execution, Impact) first seen no later than the last sighting of a signal of
//    a later stage.
// Each sequence becomes ONE CRITICAL finding whose id is fixed when it first qualifies (cluster and
// the earliest signal's actor), so it is updated as the sequence grows; its context["sequence"]
// holds the signals, timeline, actors, resources, tactics and techniques as JSON.
//
// Findings that a store holds as SUPPRESSED (by hand or by a suppression rule) do not count: the
// caller passes a predicate over finding ids to TakeFindings().
//
// Memory is bounded: at most max_signals signal records and max_secret_readers remembered secret
// readers; the oldest signal records go first.
//
// The window survives restarts: Restore() loads what a SequenceWindowStore kept, TakeChanges()
// hands over what changed since the last call (signal records, the events of signals not yet part
// of a sequence, new secret readers), so `vigil serve` saves only the difference after each commit.
//
// Thread-safety: not thread-safe; one per cluster, used by one thread at a time.
#ifndef VIGIL_DETECT_SEQUENCE_H_
#define VIGIL_DETECT_SEQUENCE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "event/audit_event.h"
#include "findings/finding.h"
#include "ingest/event_keys.h"

namespace vigil::detect {

inline constexpr std::string_view kAttackSequenceType = "AttackSequence:EKS/CompromisedCluster";
inline constexpr std::string_view kAttackSequenceRule = "vigil:attack-sequence";

struct SequenceOptions {
  std::string cluster = "default";
  std::string account{};
  std::string region{};
  std::int64_t window_seconds = 24 * 3600;
  std::size_t max_signals = 100000;
  std::size_t max_secret_readers = 100000;
};

// A correlator's window as a store keeps it: each signal as a JSON document under its key, the
// events of signals that are not yet part of a handed-out sequence (so a sequence that forms after
// a restart counts them, as one that formed before would), and the principals seen reading
// secrets.
struct SequenceWindowState {
  std::string cluster{};
  UnixNanos latest = 0;                                            // latest event time seen
  std::vector<std::pair<std::string, std::string>> signals{};      // key → document
  std::vector<std::pair<std::string, findings::EventRef>> refs{};  // key → event not handed out
  std::vector<std::string> secret_readers{};
};

// What changed in a window since the last TakeChanges(). A store applies it in member order:
// forget all readers (readers_reset), delete the removed signals with their events, delete the
// handed-out events, then insert or replace `signals`, add `refs` and `readers`.
struct SequenceWindowChanges {
  std::string cluster{};
  UnixNanos latest = 0;
  bool readers_reset = false;
  std::vector<std::string> removed{};       // signal keys that left the window
  std::vector<std::string> refs_cleared{};  // signal keys whose events were handed out
  std::vector<std::pair<std::string, std::string>> signals{};
  std::vector<std::pair<std::string, findings::EventRef>> refs{};
  std::vector<std::string> readers{};

  bool empty() const {
    return !readers_reset && removed.empty() && refs_cleared.empty() && signals.empty() &&
           refs.empty() && readers.empty();
  }
};

// Where windows live between runs (SQLite: store/sqlite/sequence_windows.h, schema version 8).
class SequenceWindowStore {
 public:
  virtual ~SequenceWindowStore() = default;
  // nullopt when nothing is stored for `cluster`.
  virtual Result<std::optional<SequenceWindowState>> LoadSequenceWindow(
      std::string_view cluster) = 0;
  // Applies `changes` atomically.
  virtual Status SaveSequenceChanges(const SequenceWindowChanges& changes) = 0;
};

// Kill-chain stage of a tactic written as in GuardDuty type names ("PrivilegeEscalation") or as
// MITRE names it ("Privilege Escalation"): 0 InitialAccess, 1 Discovery/CredentialAccess,
// 2 PrivilegeEscalation/Persistence/DefenseEvasion, 3 Execution/Impact; -1 for anything else
// (Policy, Custom, ...).
int KillChainStage(std::string_view tactic);

class SequenceCorrelator {
 public:
  explicit SequenceCorrelator(SequenceOptions options);

  // Whether an event with these keys could be a weak signal: the reader must build it so that
  // OnEvent() sees it. Cheap: a few string comparisons.
  static bool MayBeWeakSignal(const ingest::EventKeys& keys);

  // Reads one event for weak signals (a no-op for most events). `made_finding`: the event already
  // produced a finding, which is its signal; it then only advances the window's clock.
  void OnEvent(const event::AuditEvent& ev, bool made_finding = false);
  // Records a finding's observation as a signal.
  void OnObservation(const findings::Observation& obs);

  // Returns true when the finding with this id is suppressed or archived.
  using SuppressedFn = std::function<bool(std::string_view finding_id)>;

  // Evaluates the window (ending at the latest event time seen) and returns every sequence finding
  // that is new or changed since the last call; each carries in Finding::events the signal events
  // added since then, so a FindingStore counts idempotently. `now` is the wall clock for
  // created_at/updated_at. `suppressed` may be empty.
  std::vector<findings::Finding> TakeFindings(UnixNanos now, const SuppressedFn& suppressed = {});

  // Replaces the window with a stored one (the options stay). kParse naming the signal when a
  // document does not parse; the window is then empty.
  Status Restore(const SequenceWindowState& state);
  // What changed since the last call (or Restore()); marks it saved.
  SequenceWindowChanges TakeChanges();

  // The ids of the findings in the window (for asking the store, in one query, which of them are
  // suppressed before TakeFindings).
  std::vector<std::string> FindingIds() const;

  std::size_t signal_count() const { return signals_.size(); }
  UnixNanos latest_event_time() const { return latest_; }

 private:
  struct Signal {
    std::string name;  // finding type, or "API:<what>" for a weak signal
    bool is_finding = false;
    std::string rule;       // for findings: the rule and dedup key, for the finding id
    std::string dedup_key;
    std::string finding_id;  // computed on first evaluation
    int stage = -1;
    std::string tactic;
    findings::MitreRef technique;
    findings::Severity severity = findings::Severity::kInformational;
    std::string principal;
    std::string ip;
    std::string credential;
    UnixNanos first_seen = 0;
    UnixNanos last_seen = 0;
    std::uint64_t count = 0;
    std::vector<std::string> resources;  // "namespace/resource/name", first few
    std::vector<std::string> audit_ids;  // earliest few
    std::vector<findings::EventRef> pending;  // events added since the last TakeFindings()
    std::string sequence_id;  // the sequence it belongs to, once it is part of one
    std::string_view key;     // its key in signals_ (node keys do not move)
    std::size_t saved_refs = 0;  // pending[0, saved_refs) are in the store
  };

  void Add(std::string_view name,
           bool is_finding,
           std::string_view tactic,
           const findings::MitreRef& technique,
           findings::Severity severity,
           std::string_view principal,
           std::string_view ip,
           std::string_view credential,
           std::string_view resource,
           std::string_view audit_id,
           std::string_view stage,
           UnixNanos time,
           const findings::Observation* obs);
  void Expire();
  void Forget(const std::string& key);  // records an erased signal for TakeChanges()
  static std::string ToDocument(const Signal& s);
  findings::Finding Build(const std::vector<Signal*>& group,
                          const std::string& id,
                          UnixNanos now) const;

  SequenceOptions options_;
  std::unordered_map<std::string, Signal> signals_;
  std::unordered_set<std::string> secret_readers_;
  UnixNanos latest_ = 0;
  std::string key_;  // scratch
  // Since the last TakeChanges():
  std::unordered_set<std::string> dirty_;         // signals added to or changed
  std::unordered_set<std::string> removed_;       // signals erased
  std::unordered_set<std::string> refs_cleared_;  // signals whose saved events were handed out
  std::vector<std::string> new_readers_;
  bool readers_reset_ = false;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_SEQUENCE_H_
