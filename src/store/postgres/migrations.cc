#include "store/postgres/migrations.h"

#include <fmt/format.h>

#include <set>

namespace vigil::store::pg {
namespace {

// Differences from the SQLite schema, everywhere: text columns are `text COLLATE "C"` (bytewise
// order and ASCII-only lower(), as SQLite's BINARY collation), integers bigint, blobs bytea, row
// numbers bigserial. The comments of store/sqlite/migrations.cc describe the tables.

constexpr std::string_view kV1 = R"sql(
CREATE TABLE findings (
  seq         bigserial PRIMARY KEY,
  id          text COLLATE "C" NOT NULL UNIQUE,
  rule        text COLLATE "C" NOT NULL,
  type        text COLLATE "C" NOT NULL,
  severity    bigint NOT NULL,
  cluster     text COLLATE "C" NOT NULL,
  principal   text COLLATE "C" NOT NULL,
  namespace   text COLLATE "C" NOT NULL,
  count       bigint NOT NULL,
  first_seen  bigint NOT NULL,
  last_seen   bigint NOT NULL,
  workflow    text COLLATE "C" NOT NULL,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  doc         text COLLATE "C" NOT NULL,
  evidence    text COLLATE "C" NOT NULL
);
CREATE INDEX findings_by_last_seen ON findings(last_seen DESC, id);
CREATE INDEX findings_by_type ON findings(type);
CREATE INDEX findings_by_cluster ON findings(cluster, last_seen DESC);
CREATE INDEX findings_by_principal ON findings(principal, last_seen DESC);
CREATE INDEX findings_by_namespace ON findings(namespace, last_seen DESC);
CREATE TABLE finding_events (
  finding_seq bigint NOT NULL REFERENCES findings(seq) ON DELETE CASCADE,
  digest      bytea  NOT NULL,
  event_time  bigint NOT NULL,
  PRIMARY KEY (finding_seq, digest)
);
CREATE INDEX finding_events_by_time ON finding_events(event_time);
CREATE TABLE workflow_history (
  seq         bigserial PRIMARY KEY,
  finding_seq bigint NOT NULL REFERENCES findings(seq) ON DELETE CASCADE,
  at          bigint NOT NULL,
  actor       text COLLATE "C" NOT NULL,
  from_status text COLLATE "C" NOT NULL,
  to_status   text COLLATE "C" NOT NULL,
  note        text COLLATE "C" NOT NULL
);
CREATE INDEX workflow_history_by_finding ON workflow_history(finding_seq, seq);
)sql";

constexpr std::string_view kV2 = R"sql(
CREATE TABLE compliance_history (
  seq         bigserial PRIMARY KEY,
  finding_seq bigint NOT NULL REFERENCES findings(seq) ON DELETE CASCADE,
  at          bigint NOT NULL,
  control     text COLLATE "C" NOT NULL,
  status      text COLLATE "C" NOT NULL,
  doc         text COLLATE "C" NOT NULL
);
CREATE INDEX compliance_history_by_finding ON compliance_history(finding_seq, seq);
)sql";

constexpr std::string_view kV3 = R"sql(
CREATE TABLE suppressions (
  seq          bigserial PRIMARY KEY,
  id           text COLLATE "C" NOT NULL UNIQUE,
  type         text COLLATE "C" NOT NULL,
  principal    text COLLATE "C" NOT NULL,
  namespace    text COLLATE "C" NOT NULL,
  image_prefix text COLLATE "C" NOT NULL,
  expires_at   bigint NOT NULL,
  created_at   bigint NOT NULL,
  actor        text COLLATE "C" NOT NULL,
  note         text COLLATE "C" NOT NULL
);
)sql";

constexpr std::string_view kV4 = R"sql(
CREATE TABLE tail_offsets (
  source             text COLLATE "C" PRIMARY KEY,
  file               text COLLATE "C" NOT NULL,
  device             bigint NOT NULL,
  inode              bigint NOT NULL,
  "offset"           bigint NOT NULL,
  fingerprint        bigint NOT NULL,
  fingerprint_length bigint NOT NULL,
  compressed         bigint NOT NULL,
  updated_at         bigint NOT NULL
);
)sql";

// As SQLite's version 5. remediation_tickets' primary key (finding_id, tracker) is what makes
// "exactly one ticket per finding and tracker" hold across workers.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE remediation_tickets (
  finding_id      text COLLATE "C" NOT NULL,
  tracker         text COLLATE "C" NOT NULL,
  key             text COLLATE "C" NOT NULL,
  url             text COLLATE "C" NOT NULL,
  open            bigint NOT NULL,
  playbook        text COLLATE "C" NOT NULL,
  opened_at       bigint NOT NULL,
  last_comment_at bigint NOT NULL,
  last_status     text COLLATE "C" NOT NULL,
  PRIMARY KEY (finding_id, tracker)
);
CREATE TABLE remediation_state (
  finding_id        text COLLATE "C" PRIMARY KEY,
  attempts          bigint NOT NULL,
  escalated         bigint NOT NULL,
  flapping          bigint NOT NULL,
  fixed_at          bigint NOT NULL,
  awaiting_since    bigint NOT NULL,
  suppressed_until  bigint NOT NULL,
  note              text COLLATE "C" NOT NULL
);
CREATE TABLE remediation_plans (
  seq         bigserial PRIMARY KEY,
  id          text COLLATE "C" NOT NULL UNIQUE,
  finding_id  text COLLATE "C" NOT NULL,
  playbook    text COLLATE "C" NOT NULL,
  mode        text COLLATE "C" NOT NULL,
  state       text COLLATE "C" NOT NULL,
  created_at  bigint NOT NULL,
  expires_at  bigint NOT NULL,
  hash        text COLLATE "C" NOT NULL,
  changes     text COLLATE "C" NOT NULL,
  ticket      text COLLATE "C" NOT NULL,
  note        text COLLATE "C" NOT NULL
);
CREATE INDEX remediation_plans_by_finding ON remediation_plans(finding_id, seq);
CREATE INDEX remediation_plans_by_state ON remediation_plans(state, seq);
CREATE TABLE remediation_actions (
  id             text COLLATE "C" PRIMARY KEY,
  plan_id        text COLLATE "C" NOT NULL,
  finding_id     text COLLATE "C" NOT NULL,
  playbook       text COLLATE "C" NOT NULL,
  change         text COLLATE "C" NOT NULL,
  outcome        text COLLATE "C" NOT NULL,
  applied        bigint NOT NULL,
  at             bigint NOT NULL,
  rolled_back_at bigint NOT NULL
);
CREATE INDEX remediation_actions_by_time ON remediation_actions(applied, at);
CREATE TABLE remediation_journal (
  seq         bigint PRIMARY KEY,
  time        bigint NOT NULL,
  kind        text COLLATE "C" NOT NULL,
  finding_id  text COLLATE "C" NOT NULL,
  plan_id     text COLLATE "C" NOT NULL,
  action_id   text COLLATE "C" NOT NULL,
  detail      text COLLATE "C" NOT NULL,
  prev_hash   text COLLATE "C" NOT NULL,
  hash        text COLLATE "C" NOT NULL
);
CREATE INDEX remediation_journal_by_finding ON remediation_journal(finding_id, seq);
)sql";

constexpr std::string_view kV6 = R"sql(
CREATE TABLE baselines (
  cluster          text COLLATE "C" PRIMARY KEY,
  state            text COLLATE "C" NOT NULL,
  learning_seconds bigint NOT NULL,
  updated_at       bigint NOT NULL
);
)sql";

// The title index is on the expression the title sort uses (pg_store.cc).
constexpr std::string_view kV7 = R"sql(
CREATE INDEX findings_by_first_seen ON findings(first_seen);
CREATE INDEX findings_by_updated_at ON findings(updated_at);
CREATE INDEX findings_by_severity ON findings(severity, last_seen DESC);
CREATE INDEX findings_by_workflow ON findings(workflow, last_seen DESC);
CREATE INDEX findings_by_count ON findings(count);
CREATE INDEX findings_by_title ON findings(((doc::jsonb ->> 'title') COLLATE "C"));
)sql";

constexpr std::string_view kV8 = R"sql(
CREATE TABLE sequence_windows (
  cluster    text COLLATE "C" PRIMARY KEY,
  latest     bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE sequence_signals (
  cluster text COLLATE "C" NOT NULL,
  key     text COLLATE "C" NOT NULL,
  doc     text COLLATE "C" NOT NULL,
  PRIMARY KEY (cluster, key)
);
CREATE TABLE sequence_refs (
  cluster text COLLATE "C" NOT NULL,
  key     text COLLATE "C" NOT NULL,
  digest  text COLLATE "C" NOT NULL,
  time    bigint NOT NULL,
  PRIMARY KEY (cluster, key, digest)
);
CREATE TABLE sequence_readers (
  cluster   text COLLATE "C" NOT NULL,
  principal text COLLATE "C" NOT NULL,
  PRIMARY KEY (cluster, principal)
);
)sql";

// As SQLite's version 9: the claim an engine holds on a finding while it processes it.
constexpr std::string_view kV9 = R"sql(
CREATE TABLE remediation_claims (
  finding_id text COLLATE "C" PRIMARY KEY,
  owner      text COLLATE "C" NOT NULL,
  claimed_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
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

Result<bool> HasMigrationsTable(Connection& conn) {
  // A scan of the catalog with this statement's snapshot — not to_regclass(), whose cached "no
  // such table" can outlive another worker's committed migration (an advisory lock does not make
  // the backend process catalog invalidations).
  VIGIL_TRY(Rows r, conn.Query("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE "
                               "schemaname = current_schema() AND tablename = "
                               "'schema_migrations')"));
  return !r.empty() && r.Text(0, 0) == "t";
}

Result<std::set<int>> AppliedVersions(Connection& conn) {
  std::set<int> applied;
  VIGIL_TRY(bool has, HasMigrationsTable(conn));
  if (!has) return applied;
  VIGIL_TRY(Rows r, conn.Query("SELECT version FROM schema_migrations"));
  for (int i = 0; i < r.size(); ++i) applied.insert(static_cast<int>(r.Int(i, 0)));
  return applied;
}

bool AllApplied(const std::set<int>& applied, std::span<const Migration> migrations) {
  for (const Migration& m : migrations) {
    if (applied.count(m.version) == 0) return false;
  }
  return !migrations.empty();
}

// Refuses databases that are not (or are too new for) this build.
Status CheckCompatible(Connection& conn, std::span<const Migration> migrations, int current) {
  if (current == 0) {
    VIGIL_TRY(Rows r, conn.Query("SELECT count(*) FROM pg_catalog.pg_tables "
                                 "WHERE schemaname = current_schema()"));
    if (r.Int(0, 0) > 0) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("{}: not a vigil finding store (a PostgreSQL database with "
                                   "other tables and no schema_migrations)",
                                   conn.redacted_url()));
    }
  }
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{}: the store's schema is version {}, newer than this vigil "
                                 "knows (up to {}); use a newer vigil to open it",
                                 conn.redacted_url(), current, latest));
  }
  return Ok();
}

}  // namespace

std::span<const Migration> BuiltinMigrations() { return kMigrations; }

Result<int> SchemaVersion(Connection& conn) {
  VIGIL_TRY(bool has, HasMigrationsTable(conn));
  if (!has) return 0;
  VIGIL_TRY(Rows r, conn.Query("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return static_cast<int>(r.Int(0, 0));
}

Result<int> ApplyMigrations(Connection& conn, std::span<const Migration> migrations,
                            UnixNanos now) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  // Fast path without the lock: opening an up-to-date store takes no lock at all. Anything else
  // (a fresh database, or what looks foreign) is decided under the lock: between two statements
  // here another worker may commit its migration, so "tables but no schema_migrations" is only
  // conclusive there.
  VIGIL_TRY(int current, SchemaVersion(conn));
  VIGIL_TRY(std::set<int> applied, AppliedVersions(conn));
  if (current > 0) {
    VIGIL_TRY_STATUS(CheckCompatible(conn, migrations, current));
    if (AllApplied(applied, migrations)) return current;
  }

  // Something to do: take the lock (held until the transaction ends) and look again — another
  // worker may have migrated while we waited.
  VIGIL_TRY(Transaction tx, Transaction::Begin(conn));
  VIGIL_TRY(Rows locked,
            conn.Query("SELECT pg_advisory_xact_lock($1)", Params().Int(kMigrationLockKey)));
  (void)locked;
  VIGIL_TRY(current, SchemaVersion(conn));
  VIGIL_TRY_STATUS(CheckCompatible(conn, migrations, current));
  VIGIL_TRY(applied, AppliedVersions(conn));
  if (AllApplied(applied, migrations)) {
    VIGIL_TRY_STATUS(tx.Commit());
    return current;
  }
  VIGIL_TRY_STATUS(conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, "
      "name text NOT NULL, applied_at bigint NOT NULL)"));
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return MakeError(ErrorCode::kInternal,
                       fmt::format("migration list out of order at version {}", m.version));
    }
    previous = m.version;
    if (applied.count(m.version) != 0) continue;
    VIGIL_TRY_STATUS(conn.ExecScript(m.sql));
    VIGIL_TRY(Rows r, conn.Query("INSERT INTO schema_migrations (version, name, applied_at) "
                                 "VALUES ($1, $2, $3)",
                                 Params().Int(m.version).Text(m.name).Int(now)));
    (void)r;
  }
  VIGIL_TRY_STATUS(tx.Commit());
  return latest;
}

}  // namespace vigil::store::pg
