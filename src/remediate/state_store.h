// RemediationStateStore: what the remediation engine remembers between runs — the ticket of each
// finding, per-finding counters (attempts, flapping, accepted risk), plans and their approvals,
// applied actions (for rate limits and rollback) and the hash-chained journal. An interface apart
// from FindingStore so that a PostgreSQL implementation can follow the SQLite one
// (store/sqlite/remediation_state.h, migration 5).
//
// Thread-safety: an implementation object is used by one thread at a time; open one per thread.
// Several connections (a `vigil serve` worker and a `vigil remediate` CLI) may share one database.
#ifndef VIGIL_REMEDIATE_STATE_STORE_H_
#define VIGIL_REMEDIATE_STATE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/time.h"

namespace vigil::remediate {

// The ticket of a finding in one tracker.
struct TicketLink {
  std::string finding_id;
  std::string tracker;
  std::string key;
  std::string url;
  bool open = true;
  std::string playbook;
  UnixNanos opened_at = 0;
  UnixNanos last_comment_at = 0;
  // What the ticket last said about the finding ("FAILED", "count 12", ...): a change adds a
  // comment.
  std::string last_status;
};

// Per-finding automation state.
struct FindingState {
  std::string finding_id;
  std::uint32_t attempts = 0;       // applied actions that did not (yet) fix it
  bool escalated = false;           // handed to a human: no more automatic actions
  bool flapping = false;            // fixed, then failing again within the flap window
  UnixNanos fixed_at = 0;           // last verified fix
  UnixNanos awaiting_verification_since = 0;  // an action was applied; the next check decides
  UnixNanos suppressed_until = 0;   // accepted risk until then
  std::string note;                 // why escalated/flapping/suppressed
};

enum class PlanState : std::uint8_t {
  kPlanned,           // dry-run: reviewed, not applied
  kAwaitingApproval,  // approve mode: waits for an approval bound to `hash`
  kApproved,          // approved; applied on the next run
  kApplied,           // applied (every change)
  kRejected,
  kExpired,
  kFailed,            // applying failed or was refused by a gate
  kNotified,          // notify mode: nothing to apply
};
std::string_view PlanStateName(PlanState s);  // "planned", "awaiting_approval", ...
std::optional<PlanState> ParsePlanState(std::string_view name);

struct PlanRecord {
  std::string id;
  std::string finding_id;
  std::string playbook;
  std::string mode;
  PlanState state = PlanState::kPlanned;
  UnixNanos created_at = 0;
  UnixNanos expires_at = 0;  // approve mode only
  std::string hash;          // PlanHash(changes)
  nlohmann::json changes = nlohmann::json::array();  // [{action, target, summary, detail}]
  nlohmann::json ticket;     // {tracker, key, url} or null
  std::string note;          // approval/rejection note, refusal reason
};

struct ActionRecord {
  std::string id;
  std::string plan_id;
  std::string finding_id;
  std::string playbook;
  nlohmann::json change;   // the PlannedChange
  nlohmann::json outcome;  // the ActionOutcome
  bool applied = false;
  UnixNanos at = 0;
  UnixNanos rolled_back_at = 0;
};

struct JournalEntry {
  std::int64_t seq = 0;
  UnixNanos time = 0;
  std::string kind;  // "plan", "approval", "rejection", "action", "result", "verification", ...
  std::string finding_id;
  std::string plan_id;
  std::string action_id;
  nlohmann::json detail = nlohmann::json::object();
  std::string prev_hash;
  std::string hash;
};

struct PlanQuery {
  std::optional<PlanState> state;  // nullopt: all
  std::string finding_id;          // empty: all
  std::size_t limit = 100;
  std::string cursor;  // opaque; from a previous page
};

struct PlanPage {
  std::vector<PlanRecord> plans;
  std::string next_cursor;  // empty at the end
};

class RemediationStateStore {
 public:
  virtual ~RemediationStateStore() = default;

  // Ticket links, keyed by (finding, tracker). Get returns nullopt when there is none.
  virtual Result<std::optional<TicketLink>> GetTicket(std::string_view finding_id,
                                                      std::string_view tracker) = 0;
  virtual Status PutTicket(const TicketLink& link) = 0;

  // The claim an engine holds on a finding while it processes it (tickets, plans, actions), so
  // that several engines (serve replicas, a CLI run next to a serve) sharing one store never
  // both open a ticket or apply a plan. TryClaim takes the claim for `owner` until now + ttl when
  // nobody holds it, its holder's time ran out (a crashed engine), or `owner` already holds it
  // (renewal); it is one atomic statement. Returns whether `owner` holds it now. ReleaseClaim
  // gives it up (only `owner`'s own claim); releasing a claim not held is not an error.
  virtual Result<bool> TryClaim(std::string_view finding_id,
                                std::string_view owner,
                                UnixNanos now,
                                UnixNanos ttl) = 0;
  virtual Status ReleaseClaim(std::string_view finding_id, std::string_view owner) = 0;

  // Per-finding state; a finding never seen has the default state (attempts 0, ...).
  virtual Result<FindingState> GetState(std::string_view finding_id) = 0;
  virtual Status PutState(const FindingState& state) = 0;
  // How many findings are escalated (for status).
  virtual Result<std::size_t> CountEscalated() = 0;

  // Plans. Put inserts or replaces by id. Get: kNotFound for an unknown id.
  virtual Status PutPlan(const PlanRecord& plan) = 0;
  virtual Result<PlanRecord> GetPlan(std::string_view id) = 0;
  // Newest first.
  virtual Result<PlanPage> ListPlans(const PlanQuery& query) = 0;

  // Actions. Put inserts or replaces by id. Get: kNotFound for an unknown id.
  virtual Status PutAction(const ActionRecord& action) = 0;
  virtual Result<ActionRecord> GetAction(std::string_view id) = 0;
  // Applied (not dry-run) actions at or after `since`; `playbook` empty counts all playbooks.
  virtual Result<std::size_t> CountAppliedSince(std::string_view playbook, UnixNanos since) = 0;

  // Appends `entry` to the journal in one transaction: assigns seq, prev_hash (the last entry's
  // hash, "" for the first) and hash = JournalHash(entry) (remediate/journal.h). Returns the
  // stored entry.
  virtual Result<JournalEntry> AppendJournal(JournalEntry entry) = 0;
  // Entries with seq > after_seq in order, at most `limit` (0: all); `finding_id` filters.
  virtual Result<std::vector<JournalEntry>> ListJournal(std::int64_t after_seq,
                                                        std::size_t limit,
                                                        std::string_view finding_id) = 0;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_STATE_STORE_H_
