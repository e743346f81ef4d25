// PgFindingStore: the FindingStore on PostgreSQL, for many workers sharing one organisation-wide
// store. Same schema (store/postgres/migrations.cc), ids, counts, caps, reopen rules and
// control-finding merge as SqliteFindingStore — the merge itself is the same code
// (findings::MergeFinding / MergeControlFinding); only how rows are read and locked differs.
//
// Concurrency (several processes upserting the same findings at once): Upsert runs in one READ
// COMMITTED transaction that first takes a transaction-level advisory lock per finding id of the
// batch (pg_advisory_xact_lock on a 64-bit hash of the id), all in ascending key order. Two
// workers merging the same finding therefore run one after the other, and the second reads
// (SELECT … FOR UPDATE, a fresh snapshot per statement) and merges into what the first
// committed: no lost count, last_seen or ledger entry. Because every worker takes its locks in
// the same global order before touching a row, two batches never wait for each other in a
// cycle, and a finding that does not exist yet cannot be inserted twice (the insert is also
// INSERT … ON CONFLICT (id) DO NOTHING, re-read under lock if it did nothing, for writers that do
// not take the advisory locks). A deadlock or serialization failure that happens anyway (e.g. two
// ledger prunes deleting the same old rows) rolls the whole transaction back and it is retried
// (PgOptions::attempts times).
//
// Not thread-safe: one object (one connection) per thread.
#ifndef VIGIL_STORE_POSTGRES_PG_STORE_H_
#define VIGIL_STORE_POSTGRES_PG_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "store/finding_store.h"
#include "store/postgres/connection.h"
#include "store/postgres/migrations.h"

namespace vigil::store {

struct PgOptions {
  // How far behind the newest event the ledger keeps event digests; 0 keeps them forever.
  std::int64_t event_retention_seconds = 90LL * 24 * 3600;
  // The migrations to apply; empty means the built-in list. Tests pass their own.
  std::span<const sqlite::Migration> migrations = {};
  // Attempts of a transaction that fails with a deadlock or serialization failure.
  int attempts = 5;
};

// Connects to `url` and applies pending migrations: the connection the PostgreSQL stores are
// built on. Errors as PgFindingStore::Open.
Result<std::unique_ptr<pg::Connection>> OpenPgDatabase(std::string_view url,
                                                       std::span<const sqlite::Migration> migrations = {});

class PgFindingStore final : public FindingStore {
 public:
  // Connects and applies pending migrations. Errors: kIo when the server cannot be reached or
  // refuses the login (the message names the URL without its password); kConfig for a database
  // that holds other tables and is not a vigil store; kUnsupported when the schema is newer than
  // this build.
  static Result<std::unique_ptr<PgFindingStore>> Open(std::string_view url,
                                                      const PgOptions& options = {});

  Result<UpsertResult> Upsert(std::span<const findings::Finding> findings, UnixNanos now) override;
  Result<findings::Finding> Get(std::string_view id) override;
  Result<std::vector<std::string>> SuppressedAmong(std::span<const std::string> ids) override;
  Result<FindingPage> List(const FindingQuery& query) override;
  Status SetWorkflowStatus(std::string_view id,
                           findings::WorkflowStatus status,
                           std::string_view actor,
                           std::string_view note,
                           UnixNanos now) override;
  Result<std::vector<WorkflowChange>> History(std::string_view id) override;
  Result<std::vector<ComplianceChange>> ComplianceHistory(std::string_view id) override;
  Result<std::pair<Suppression, std::size_t>> AddSuppression(Suppression rule,
                                                             UnixNanos now) override;
  Result<std::vector<Suppression>> ListSuppressions() override;
  Status DeleteSuppression(std::string_view id) override;
  Result<std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>>>
  CountByTypeAndSeverity() override;
  Result<FindingStats> Stats(const FindingQuery& filter, std::size_t top) override;
  Result<std::vector<TimelineBucket>> Timeline(const FindingQuery& filter,
                                               UnixNanos from,
                                               UnixNanos to,
                                               std::int64_t bucket) override;

  Result<int> SchemaVersion();
  Result<std::int64_t> EventCount(std::string_view id);
  // True when the server answers (for readiness probes).
  Status Ping();

 private:
  PgFindingStore(std::unique_ptr<pg::Connection> conn, PgOptions options)
      : conn_(std::move(conn)), options_(options) {}

  struct StoredRow {
    std::int64_t seq = 0;
    findings::Finding finding;
  };
  Result<std::optional<StoredRow>> Load(std::string_view id, bool with_evidence, bool lock);
  Result<UpsertResult> UpsertOnce(std::span<const findings::Finding> batch, UnixNanos now);
  // Every existing row of `ids`, locked FOR UPDATE, by id (one round trip for a batch).
  Result<std::map<std::string, StoredRow, std::less<>>> LoadMany(std::span<const std::string> ids);
  // `preloaded`: the row as LoadMany read it in this transaction, taken (moved out) when present.
  Result<UpsertOutcome> UpsertOne(const findings::Finding& f, UnixNanos now,
                                  std::map<std::string, StoredRow, std::less<>>& preloaded);
  Result<UpsertOutcome> UpsertControl(const findings::Finding& f,
                                      std::optional<StoredRow> stored,
                                      UnixNanos now);
  Status AddComplianceHistory(std::int64_t seq, UnixNanos at, const findings::Finding& f);
  Result<std::uint64_t> RecordEvents(std::int64_t seq, const findings::Finding& f);
  // Inserts `f` unless its id exists; the new row's seq, or nullopt when another worker has it.
  Result<std::optional<std::int64_t>> Insert(const findings::Finding& f);
  Status Update(std::int64_t seq, const findings::Finding& f);
  Status AddHistory(std::int64_t seq,
                    UnixNanos at,
                    std::string_view actor,
                    findings::WorkflowStatus from,
                    findings::WorkflowStatus to,
                    std::string_view note);
  Status PruneEvents(UnixNanos now);
  Result<std::vector<Suppression>> Suppressions(UnixNanos active_at);
  Status ApplySuppressions(std::span<const findings::Finding> batch,
                           const UpsertResult& result,
                           UnixNanos now);

  std::unique_ptr<pg::Connection> conn_;
  PgOptions options_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_POSTGRES_PG_STORE_H_
