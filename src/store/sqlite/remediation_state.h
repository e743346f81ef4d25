// SqliteRemediationState: the remediation engine's state (remediate/state_store.h) in the
// findings database (migration 5), so findings, tickets and the journal are backed up together.
// Durability as SqliteFindingStore (WAL, synchronous=FULL). Not thread-safe: one per thread.
#ifndef VIGIL_STORE_SQLITE_REMEDIATION_STATE_H_
#define VIGIL_STORE_SQLITE_REMEDIATION_STATE_H_

#include <memory>
#include <string>

#include "remediate/state_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {

class SqliteRemediationState final : public remediate::RemediationStateStore {
 public:
  // Opens (creating and migrating if needed) the store at `path`, errors as OpenStoreDatabase.
  static Result<std::unique_ptr<SqliteRemediationState>> Open(const std::string& path,
                                                              const SqliteOptions& options = {});

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

  // For tests that tamper with the journal the way an attacker with file access would.
  sqlite::Database& database() { return *db_; }

 private:
  explicit SqliteRemediationState(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_SQLITE_REMEDIATION_STATE_H_
