// SqliteFindingStore: the embedded FindingStore (one file, WAL mode).
//
// Layout (migrations.cc has the schema): a `findings` row per finding with the filterable columns
// and the rest as native JSON; `finding_events` with the (auditID, stage) digests counted into
// each finding, which makes Upsert idempotent (finding_store.h); `workflow_history`.
//
// Durability: WAL journal with synchronous=FULL by default, so a committed Upsert survives a
// crash or power loss before the caller acknowledges its input. Readers never block the writer
// and see the last committed state; writers wait up to busy_timeout_ms for each other.
//
// Retention of the event ledger: digests of events older than event_retention (measured back
// from the newest last_seen in the store, not from the wall clock, so scanning an old export
// works) are pruned at each Upsert. Re-scanning events older than that counts them again;
// raise event_retention (or set it to 0 = keep forever) if you re-scan old archives.
//
// Not thread-safe: one object per thread; several objects (and processes) may share a file.
#ifndef VIGIL_STORE_SQLITE_SQLITE_STORE_H_
#define VIGIL_STORE_SQLITE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "store/finding_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/migrations.h"

namespace vigil::store {

struct SqliteOptions {
  int busy_timeout_ms = 5000;
  // FULL: a commit is on disk before Upsert returns. NORMAL is faster but may lose the last
  // commits on power loss (never corrupts).
  bool synchronous_full = true;
  // How far behind the newest event the ledger keeps event digests; 0 keeps them forever.
  std::int64_t event_retention_seconds = 90LL * 24 * 3600;
  // The migrations to apply; empty means the built-in list. Tests pass their own.
  std::span<const sqlite::Migration> migrations = {};
};

// Opens (creating if missing) the SQLite file at `path` as a vigil store: WAL, foreign keys, the
// synchronous level of `options`, and pending migrations applied. The connection SqliteFindingStore
// and SqliteTailOffsets (store/sqlite/tail_offsets.h) are built on. Errors as
// SqliteFindingStore::Open.
Result<std::unique_ptr<sqlite::Database>> OpenStoreDatabase(const std::string& path,
                                                            const SqliteOptions& options);

class SqliteFindingStore final : public FindingStore {
 public:
  // Opens or creates the store at `path` (":memory:" for a private in-memory store), switches the
  // file to WAL, turns on foreign keys and applies pending migrations. Errors: kIo when the file
  // cannot be opened or is not a SQLite database (garbage, damaged) — the message says which
  // file; kConfig for a SQLite database that is not a vigil store; kUnsupported when the store's
  // schema is newer than this build.
  static Result<std::unique_ptr<SqliteFindingStore>> Open(const std::string& path,
                                                          const SqliteOptions& options = {});

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
  // console_queries.cc
  Result<FindingStats> Stats(const FindingQuery& filter, std::size_t top) override;
  Result<std::vector<TimelineBucket>> Timeline(const FindingQuery& filter,
                                               UnixNanos from,
                                               UnixNanos to,
                                               std::int64_t bucket) override;

  // The schema version of the open database.
  Result<int> SchemaVersion();
  // How many event digests the ledger holds for a finding (for tests and `vigil db stats`).
  Result<std::int64_t> EventCount(std::string_view id);

 private:
  SqliteFindingStore(std::unique_ptr<sqlite::Database> db, SqliteOptions options)
      : db_(std::move(db)), options_(options) {}

  // The stored finding with this id and its row number, or nullopt.
  struct StoredRow {
    std::int64_t seq = 0;
    findings::Finding finding;
  };
  Result<std::optional<StoredRow>> Load(std::string_view id, bool with_evidence);
  Result<UpsertOutcome> UpsertOne(const findings::Finding& f, UnixNanos now);
  // UpsertOne for a control finding (findings/compliance.h); `stored` is its row, if any.
  Result<UpsertOutcome> UpsertControl(const findings::Finding& f,
                                      std::optional<StoredRow> stored,
                                      UnixNanos now);
  Status AddComplianceHistory(std::int64_t seq, UnixNanos at, const findings::Finding& f);
  // Adds f.events to the ledger of finding `seq`; returns how many were not there before.
  Result<std::uint64_t> RecordEvents(std::int64_t seq, const findings::Finding& f);
  Status Write(std::int64_t seq, const findings::Finding& f);
  Status AddHistory(std::int64_t seq,
                    UnixNanos at,
                    std::string_view actor,
                    findings::WorkflowStatus from,
                    findings::WorkflowStatus to,
                    std::string_view note);
  Status PruneEvents(UnixNanos now);
  // Rules active at `now`.
  Result<std::vector<Suppression>> ActiveSuppressions(UnixNanos now);
  // Rules active at `active_at`; every rule when it is 0.
  Result<std::vector<Suppression>> Suppressions(UnixNanos active_at);
  // Archives the findings just inserted (or reopened) by an Upsert that an active rule matches.
  Status ApplySuppressions(std::span<const findings::Finding> batch,
                           const UpsertResult& result,
                           UnixNanos now);

  std::unique_ptr<sqlite::Database> db_;
  SqliteOptions options_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_SQLITE_SQLITE_STORE_H_
