#include "store/sqlite/migrations.h"

#include <fmt/format.h>

#include <set>

namespace vigil::store::sqlite {
namespace {

// Version 1: findings, the evidence-event ledger that makes upserts idempotent, and the workflow
// history.
//  - findings: the columns that queries filter and sort on, plus `doc` (the native JSON of
//    everything else, see SqliteFindingStore) and `evidence` (the redacted event, kept apart
//    because it is large and only Get() needs it). severity is 0 (INFORMATIONAL) … 4 (CRITICAL);
//    times are Unix nanoseconds; workflow is the ASFF name.
//  - finding_events: one row per evidence event counted into a finding: a 16-byte digest of
//    (auditID, stage) and the event time (for retention).
//  - workflow_history: who changed a finding's workflow status, when, and why.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE findings (
  seq         INTEGER PRIMARY KEY,
  id          TEXT    NOT NULL UNIQUE,
  rule        TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  severity    INTEGER NOT NULL,
  cluster     TEXT    NOT NULL,
  principal   TEXT    NOT NULL,
  namespace   TEXT    NOT NULL,
  count       INTEGER NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  workflow    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  doc         TEXT    NOT NULL,
  evidence    TEXT    NOT NULL
);
CREATE INDEX findings_by_last_seen ON findings(last_seen DESC, id);
CREATE INDEX findings_by_type ON findings(type);
CREATE INDEX findings_by_cluster ON findings(cluster, last_seen DESC);
CREATE INDEX findings_by_principal ON findings(principal, last_seen DESC);
CREATE INDEX findings_by_namespace ON findings(namespace, last_seen DESC);
CREATE TABLE finding_events (
  finding_seq INTEGER NOT NULL REFERENCES findings(seq) ON DELETE CASCADE,
  digest      BLOB    NOT NULL,
  event_time  INTEGER NOT NULL,
  PRIMARY KEY (finding_seq, digest)
) WITHOUT ROWID;
CREATE INDEX finding_events_by_time ON finding_events(event_time);
CREATE TABLE workflow_history (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  finding_seq INTEGER NOT NULL REFERENCES findings(seq) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  from_status TEXT    NOT NULL,
  to_status   TEXT    NOT NULL,
  note        TEXT    NOT NULL
);
CREATE INDEX workflow_history_by_finding ON workflow_history(finding_seq, seq);
)sql";

// Version 2: the history of control (compliance) findings. One row when a control finding is
// first stored and one each time its Compliance.Status or reasons change: when, which status, and
// `doc` = {"reasons": [...], "evidence": [{"file", "said"}]} as native JSON. `vigil controls
// report` reads it to say when a status last changed and what the snapshot said then.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE compliance_history (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  finding_seq INTEGER NOT NULL REFERENCES findings(seq) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  control     TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  doc         TEXT    NOT NULL
);
CREATE INDEX compliance_history_by_finding ON compliance_history(finding_seq, seq);
)sql";

// Version 4: where each tailed file stands (ingest/tail.h, store/sqlite/tail_offsets.h). One row
// per followed path: the file being read (device, inode, a fingerprint of its first bytes) and the
// offset up to which its lines' findings are committed. u64 values are stored as their two's
// complement int64.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE tail_offsets (
  source             TEXT    PRIMARY KEY,
  file               TEXT    NOT NULL,
  device             INTEGER NOT NULL,
  inode              INTEGER NOT NULL,
  offset             INTEGER NOT NULL,
  fingerprint        INTEGER NOT NULL,
  fingerprint_length INTEGER NOT NULL,
  compressed         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 3 (vigil serve): suppression rules. A rule matches findings on any of type, principal,
// namespace and image prefix (empty = any; at least one is set) until expires_at (0 = never);
// matching findings are archived (workflow SUPPRESSED) when the rule is added and when they are
// first stored later. Versions 2 and 4 belong to other modules' branches: versions need only
// increase, and a store gets every listed version it has not applied.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE suppressions (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT    NOT NULL UNIQUE,
  type         TEXT    NOT NULL,
  principal    TEXT    NOT NULL,
  namespace    TEXT    NOT NULL,
  image_prefix TEXT    NOT NULL,
  expires_at   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  actor        TEXT    NOT NULL,
  note         TEXT    NOT NULL
);
)sql";

// Version 5 (remediation, remediate/state_store.h): the ticket of each finding per tracker, the
// per-finding automation state, plans (with the hash an approval is bound to), applied actions
// (rate limits, rollback) and the hash-chained journal. JSON columns hold native JSON text.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE remediation_tickets (
  finding_id      TEXT    NOT NULL,
  tracker         TEXT    NOT NULL,
  key             TEXT    NOT NULL,
  url             TEXT    NOT NULL,
  open            INTEGER NOT NULL,
  playbook        TEXT    NOT NULL,
  opened_at       INTEGER NOT NULL,
  last_comment_at INTEGER NOT NULL,
  last_status     TEXT    NOT NULL,
  PRIMARY KEY (finding_id, tracker)
) WITHOUT ROWID;
CREATE TABLE remediation_state (
  finding_id        TEXT    PRIMARY KEY,
  attempts          INTEGER NOT NULL,
  escalated         INTEGER NOT NULL,
  flapping          INTEGER NOT NULL,
  fixed_at          INTEGER NOT NULL,
  awaiting_since    INTEGER NOT NULL,
  suppressed_until  INTEGER NOT NULL,
  note              TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE remediation_plans (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT    NOT NULL UNIQUE,
  finding_id  TEXT    NOT NULL,
  playbook    TEXT    NOT NULL,
  mode        TEXT    NOT NULL,
  state       TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  hash        TEXT    NOT NULL,
  changes     TEXT    NOT NULL,
  ticket      TEXT    NOT NULL,
  note        TEXT    NOT NULL
);
CREATE INDEX remediation_plans_by_finding ON remediation_plans(finding_id, seq);
CREATE INDEX remediation_plans_by_state ON remediation_plans(state, seq);
CREATE TABLE remediation_actions (
  id             TEXT    PRIMARY KEY,
  plan_id        TEXT    NOT NULL,
  finding_id     TEXT    NOT NULL,
  playbook       TEXT    NOT NULL,
  change         TEXT    NOT NULL,
  outcome        TEXT    NOT NULL,
  applied        INTEGER NOT NULL,
  at             INTEGER NOT NULL,
  rolled_back_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX remediation_actions_by_time ON remediation_actions(applied, at);
CREATE TABLE remediation_journal (
  seq         INTEGER PRIMARY KEY,
  time        INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  finding_id  TEXT    NOT NULL,
  plan_id     TEXT    NOT NULL,
  action_id   TEXT    NOT NULL,
  detail      TEXT    NOT NULL,
  prev_hash   TEXT    NOT NULL,
  hash        TEXT    NOT NULL
);
CREATE INDEX remediation_journal_by_finding ON remediation_journal(finding_id, seq);
)sql";

// Version 6 (issue 6): learned baselines, one row per cluster: the JSON of detect::BaselineToJson
// (every principal's networks, user agents, namespaces, API calls, images and permissions, each
// with first/last seen). Versions 5 and 7 belong to other branches.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE baselines (
  cluster          TEXT    PRIMARY KEY,
  state            TEXT    NOT NULL,
  learning_seconds INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 7 (the console): indexes for the console's sorts and filters on 100,000+ findings —
// the timeline and first-seen sort, the live feed (updated_at), severity and status filters, the
// count and title sorts (the title lives in the JSON document: an index on the expression).
// Versions 5 and 6 belong to other modules' branches.
constexpr std::string_view kV7 = R"sql(
CREATE INDEX findings_by_first_seen ON findings(first_seen);
CREATE INDEX findings_by_updated_at ON findings(updated_at);
CREATE INDEX findings_by_severity ON findings(severity, last_seen DESC);
CREATE INDEX findings_by_workflow ON findings(workflow, last_seen DESC);
CREATE INDEX findings_by_count ON findings(count);
CREATE INDEX findings_by_title ON findings(json_extract(doc, '$.title'));
)sql";

// Version 8 (attack sequences survive restarts, detect/sequence.h): each cluster's window —
// its signals as JSON documents, the events of signals not yet in a handed-out sequence (digest
// as hex, event time), and the principals seen reading secrets. `vigil serve` writes only what
// changed after each commit.
constexpr std::string_view kV8 = R"sql(
CREATE TABLE sequence_windows (
  cluster    TEXT    PRIMARY KEY,
  latest     INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sequence_signals (
  cluster TEXT NOT NULL,
  key     TEXT NOT NULL,
  doc     TEXT NOT NULL,
  PRIMARY KEY (cluster, key)
) WITHOUT ROWID;
CREATE TABLE sequence_refs (
  cluster TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  digest  TEXT    NOT NULL,
  time    INTEGER NOT NULL,
  PRIMARY KEY (cluster, key, digest)
) WITHOUT ROWID;
CREATE TABLE sequence_readers (
  cluster   TEXT NOT NULL,
  principal TEXT NOT NULL,
  PRIMARY KEY (cluster, principal)
) WITHOUT ROWID;
)sql";

// Version 9 (many engines, remediate/state_store.h TryClaim): one row per finding an engine is
// processing — who holds it and until when. Another engine takes it over only after `expires_at`
// (a crashed engine's claim runs out); the primary key makes "insert or take over if expired" one
// atomic statement.
constexpr std::string_view kV9 = R"sql(
CREATE TABLE remediation_claims (
  finding_id TEXT    PRIMARY KEY,
  owner      TEXT    NOT NULL,
  claimed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

constexpr Migration kMigrations[] = {
    {1, "findings, finding_events, workflow_history", kV1},
    {2, "compliance_history", kV2},
    {3, "suppressions", kV3},
    {4, "tail_offsets", kV4},
    {5, "remediation_tickets, remediation_state, remediation_plans, remediation_actions, "
        "remediation_journal",
     kV5},
    {6, "baselines", kV6},
    {7, "console indexes", kV7},
    {8, "sequence_windows, sequence_signals, sequence_refs, sequence_readers", kV8},
    {9, "remediation_claims", kV9},
};

Result<std::int64_t> QueryInt(Database& db, std::string_view sql) {
  VIGIL_TRY(auto st, db.Prepare(sql));
  VIGIL_TRY(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

}  // namespace

std::span<const Migration> BuiltinMigrations() { return kMigrations; }

Result<int> SchemaVersion(Database& db) {
  VIGIL_TRY(std::int64_t has_table,
            QueryInt(db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                     "name = 'schema_migrations'"));
  if (has_table == 0) return 0;
  VIGIL_TRY(std::int64_t version,
            QueryInt(db, "SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return static_cast<int>(version);
}

namespace {

// Refuses files that are not (or are too new for) this build. `current` is the applied version.
Status CheckCompatible(Database& db, std::span<const Migration> migrations, int current) {
  VIGIL_TRY(std::int64_t app_id, QueryInt(db, "PRAGMA application_id"));
  VIGIL_TRY(std::int64_t user_tables,
            QueryInt(db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                     "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
  if (app_id != 0 && app_id != kApplicationId) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("{}: not a vigil finding store (SQLite application_id {:#x})",
                                 db.path(), app_id));
  }
  if (current == 0 && user_tables > 0 && app_id != kApplicationId) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("{}: not a vigil finding store (a SQLite database with other "
                                 "tables and no schema_migrations)",
                                 db.path()));
  }
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{}: the store's schema is version {}, newer than this vigil "
                                 "knows (up to {}); use a newer vigil to open it",
                                 db.path(), current, latest));
  }
  return Ok();
}

}  // namespace

// The versions recorded in schema_migrations (empty when there is no such table).
Result<std::set<int>> AppliedVersions(Database& db) {
  std::set<int> applied;
  VIGIL_TRY(std::int64_t has_table,
            QueryInt(db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                     "name = 'schema_migrations'"));
  if (has_table == 0) return applied;
  VIGIL_TRY(auto st, db.Prepare("SELECT version FROM schema_migrations"));
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    applied.insert(static_cast<int>(st->ColumnInt(0)));
  }
  return applied;
}

bool AllApplied(const std::set<int>& applied, std::span<const Migration> migrations) {
  for (const Migration& m : migrations) {
    if (applied.count(m.version) == 0) return false;
  }
  return !migrations.empty();
}

Result<int> ApplyMigrations(Database& db, std::span<const Migration> migrations, UnixNanos now) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  // Fast path without the write lock, so opening a store never waits for a busy writer.
  VIGIL_TRY(int current, SchemaVersion(db));
  VIGIL_TRY_STATUS(CheckCompatible(db, migrations, current));
  VIGIL_TRY(std::set<int> applied, AppliedVersions(db));
  if (AllApplied(applied, migrations)) return current;

  // Something to do: take the write lock and look again (another process may have migrated).
  VIGIL_TRY(Transaction tx, Transaction::Begin(db));
  VIGIL_TRY(current, SchemaVersion(db));
  VIGIL_TRY_STATUS(CheckCompatible(db, migrations, current));
  VIGIL_TRY(applied, AppliedVersions(db));
  if (AllApplied(applied, migrations)) {
    VIGIL_TRY_STATUS(tx.Commit());
    return current;
  }
  VIGIL_TRY_STATUS(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  VIGIL_TRY_STATUS(db.Exec(fmt::format("PRAGMA application_id = {}", kApplicationId)));
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return MakeError(ErrorCode::kInternal,
                       fmt::format("migration list out of order at version {}", m.version));
    }
    previous = m.version;
    if (applied.count(m.version) != 0) continue;
    VIGIL_TRY_STATUS(db.Exec(m.sql));
    VIGIL_TRY(auto st, db.Prepare("INSERT INTO schema_migrations (version, name, applied_at) "
                                  "VALUES (?, ?, ?)"));
    st->Bind(1, std::int64_t{m.version});
    st->Bind(2, m.name);
    st->Bind(3, std::int64_t{now});
    VIGIL_TRY_STATUS(st->Run());
  }
  VIGIL_TRY_STATUS(tx.Commit());
  return latest;
}

}  // namespace vigil::store::sqlite
