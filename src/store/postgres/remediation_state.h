// PgRemediationState: the remediation engine's state (remediate/state_store.h) in the PostgreSQL
// store — the tables of migration 5, the same rows as SqliteRemediationState. Across workers:
// one ticket row per (finding, tracker) and one state row per finding (primary keys, written with
// INSERT … ON CONFLICT), one plan row per plan id (unique), and the hash-chained journal appended
// under an advisory lock so concurrent appends form one chain (seq = previous + 1, prev_hash =
// previous hash) instead of colliding.
//
// Not thread-safe: one object (one connection) per thread.
#ifndef VIGIL_STORE_POSTGRES_REMEDIATION_STATE_H_
#define VIGIL_STORE_POSTGRES_REMEDIATION_STATE_H_

#include <memory>
#include <string>
#include <string_view>

#include "remediate/state_store.h"
#include "store/postgres/connection.h"

namespace vigil::store {

class PgRemediationState final : public remediate::RemediationStateStore {
 public:
  // Connects and migrates (OpenPgDatabase), with its errors.
  static Result<std::unique_ptr<PgRemediationState>> Open(std::string_view url);

  Result<std::optional<remediate::TicketLink>> GetTicket(std::string_view finding_id,
                                                         std::string_view tracker) override;
  Status PutTicket(const remediate::TicketLink& link) override;
  Result<bool> TryClaim(std::string_view finding_id,
                        std::string_view owner,
                        UnixNanos now,
                        UnixNanos ttl) override;
  Status ReleaseClaim(std::string_view finding_id, std::string_view owner) override;
  Result<remediate::FindingState> GetState(std::string_view finding_id) override;
  Status PutState(const remediate::FindingState& state) override;
  Result<std::size_t> CountEscalated() override;
  Status PutPlan(const remediate::PlanRecord& plan) override;
  Result<remediate::PlanRecord> GetPlan(std::string_view id) override;
  Result<remediate::PlanPage> ListPlans(const remediate::PlanQuery& query) override;
  Status PutAction(const remediate::ActionRecord& action) override;
  Result<remediate::ActionRecord> GetAction(std::string_view id) override;
  Result<std::size_t> CountAppliedSince(std::string_view playbook, UnixNanos since) override;
  Result<remediate::JournalEntry> AppendJournal(remediate::JournalEntry entry) override;
  Result<std::vector<remediate::JournalEntry>> ListJournal(std::int64_t after_seq,
                                                           std::size_t limit,
                                                           std::string_view finding_id) override;

 private:
  explicit PgRemediationState(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}
  Result<remediate::JournalEntry> AppendOnce(remediate::JournalEntry entry);
  Status Run(std::string_view sql, const pg::Params& params);
  std::unique_ptr<pg::Connection> conn_;
};

// The remediation state for `location`: PostgreSQL for postgres:// URLs, else the SQLite file.
Result<std::unique_ptr<remediate::RemediationStateStore>> OpenRemediationState(
    std::string_view location);

}  // namespace vigil::store

#endif  // VIGIL_STORE_POSTGRES_REMEDIATION_STATE_H_
