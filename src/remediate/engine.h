// The remediation engine: for each finding, the playbook that matches it decides the ticket and
// the changes; the gates decide whether a change may happen; the journal records all of it.
//
//   finding ──FindPlaybook──▶ ticket (open / comment / reopen / close after verification)
//                         └─▶ Plan (changes + hash) ─gates─▶ dry-run | awaiting approval | apply
//                                                              └─▶ verify ─▶ RESOLVED + close
//
// Process(..., execute=false) is `vigil remediate plan`: it reads state but writes nothing and
// calls no tracker or action; the report says what a run would do. With execute=true every
// decision is carried out and journaled.
//
// Not thread-safe: one Engine per thread (its stores are single-threaded too).
#ifndef VIGIL_REMEDIATE_ENGINE_H_
#define VIGIL_REMEDIATE_ENGINE_H_

#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/time.h"
#include "findings/finding.h"
#include "remediate/config.h"
#include "remediate/interfaces.h"
#include "remediate/state_store.h"
#include "store/finding_store.h"

namespace vigil::remediate {

// SHA-256 (hex) of the changes' action, target and detail, in order: what an approval is bound to.
std::string PlanHash(const nlohmann::json& changes);
nlohmann::json ChangeToJson(const PlannedChange& c);
PlannedChange ChangeFromJson(const nlohmann::json& j);

struct TicketOp {
  std::string op;  // "open", "rebuild", "comment", "close", "reopen"
  std::string finding_id;
  std::string tracker;
  std::string key;  // empty for a ticket not opened yet
  std::string url;
  std::string title;
  std::string reason;
  bool failed = false;  // the tracker call failed (retried); it is tried again on the next run
};

// Something a gate or the lifecycle decided that people must see.
struct RunNote {
  std::string finding_id;
  std::string playbook;
  std::string kind;  // "refused", "rate_limited", "escalated", "flapping", "suppressed", "error",...
  std::string text;
};

struct RunReport {
  bool executed = false;
  std::vector<TicketOp> tickets;
  std::vector<PlanRecord> plans;
  std::vector<RunNote> notes;
  std::size_t findings_seen = 0;
  std::size_t findings_matched = 0;
};

// The reviewable artefact: every ticket operation and every change, with each plan's hash.
std::string ReportText(const RunReport& report);
nlohmann::json ReportJson(const RunReport& report);
nlohmann::json PlanJson(const PlanRecord& plan);  // the API's plan object

struct ApprovalOutcome {
  enum class Kind : std::uint8_t { kApproved, kRejected, kHashMismatch, kNotAwaiting, kExpired };
  Kind kind = Kind::kApproved;
  PlanRecord plan;
  std::string message;
};

struct EngineDeps {
  const RemediationConfig* config = nullptr;
  RemediationStateStore* state = nullptr;
  store::FindingStore* findings = nullptr;  // optional: workflow status updates
  std::map<std::string, Tracker*> trackers;          // by configured name
  std::map<std::string, ActionExecutor*> executors;  // by kind
  std::map<std::string, Notifier*> notifiers;        // by configured name
  std::string actor = "vigil";
  // Who this engine is when it claims a finding (RemediationStateStore::TryClaim); empty: made
  // from host, pid and a random part, unique per Engine.
  std::string claim_owner;
  // How long a claim lasts when its engine dies without releasing it. Processing one finding
  // (tracker calls, actions) must fit well inside it.
  UnixNanos claim_ttl = 5LL * 60 * 1'000'000'000;
};

// Whether `e` is ClaimOrBusy's "another engine is processing the finding" (retry shortly).
bool IsBusy(const Error& e);

class Engine {
 public:
  explicit Engine(EngineDeps deps);

  // The owner name this engine claims findings under.
  const std::string& claim_owner() const { return d_.claim_owner; }

  // Walks `findings` (each the latest state of one finding, as stored). Errors only when the
  // state store fails; tracker and action failures become notes (and are retried next run).
  // Each finding is claimed first (RemediationStateStore::TryClaim) and released after; one
  // another engine holds is skipped with a "busy" note and picked up on a later run.
  Result<RunReport> Process(std::span<const findings::Finding> findings,
                            UnixNanos now,
                            bool execute);

  // Approves a plan awaiting approval when `hash` is its current hash and it has not expired. The
  // change is applied on the next Process. kNotFound for an unknown plan.
  Result<ApprovalOutcome> Approve(std::string_view plan_id,
                                  std::string_view hash,
                                  std::string_view note,
                                  std::string_view actor,
                                  UnixNanos now);
  Result<ApprovalOutcome> Reject(std::string_view plan_id,
                                 std::string_view note,
                                 std::string_view actor,
                                 UnixNanos now);
  // Approve, Reject and Rollback claim the plan's finding too: a kIo error
  // "busy: another engine is processing finding ..." when another engine holds it.
  // Undoes an applied action from its saved state. kNotFound for an unknown action,
  // kInvalidArgument for one that was not applied or was already rolled back, kUnsupported when
  // its kind cannot be undone. Returns the journal entry.
  Result<JournalEntry> Rollback(std::string_view action_id, std::string_view actor, UnixNanos now);

  // The API's status object.
  Result<nlohmann::json> StatusJson(UnixNanos now);

 private:
  struct Ctx;
  vigil::Status ProcessOne(const findings::Finding& f, Ctx& ctx);
  // Takes the finding's claim, or an error saying another engine holds it.
  vigil::Status ClaimOrBusy(std::string_view finding_id, UnixNanos now);
  Result<JournalEntry> Journal(std::string_view kind,
                               std::string_view finding,
                               std::string_view plan,
                               std::string_view action,
                               nlohmann::json detail,
                               UnixNanos now);
  vigil::Status Record(std::string_view kind,
                       std::string_view finding,
                       std::string_view plan,
                       std::string_view action,
                       nlohmann::json detail,
                       UnixNanos now);
  Tracker* TrackerFor(const Playbook* pb) const;
  // Tells the playbook's notifiers (its `notify:` list, default all) about `event`. A notifier
  // that fails is logged and journaled ("notification", ok false) and never stops remediation.
  vigil::Status Notify(const Playbook* pb,
                       std::string_view event,
                       const findings::Finding& f,
                       std::string text,
                       nlohmann::json payload,
                       UnixNanos now);
  Mode EffectiveMode(const Playbook& pb) const;

  EngineDeps d_;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_ENGINE_H_
