#include "store/postgres/pg_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/hash.h"
#include "findings/aggregator.h"
#include "findings/compliance.h"
#include "store/finding_doc.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::WorkflowStatus;
using pg::Params;
using pg::Rows;

constexpr UnixNanos kMillisecond = 1'000'000;

Error NotFound(std::string_view id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no finding with id '{}'", id));
}

// The finding in row `i` of a result selecting kFindingColumns (then evidence at
// `evidence_column` when >= 0).
Result<Finding> RowToFinding(const Rows& r, int i, int evidence_column = -1) {
  VIGIL_TRY(Finding f, FindingFromRow({.id = r.Text(i, 0),
                                       .doc = r.Text(i, 1),
                                       .severity = r.Int(i, 2),
                                       .count = r.Int(i, 3),
                                       .first_seen = r.Int(i, 4),
                                       .last_seen = r.Int(i, 5),
                                       .workflow = r.Text(i, 6),
                                       .created_at = r.Int(i, 7),
                                       .updated_at = r.Int(i, 8)}));
  if (evidence_column >= 0) f.evidence = r.Text(i, evidence_column);
  return f;
}

// The 15 finding columns as parameters $1..$15 (INSERT and UPDATE share the numbering).
Params FindingParams(const Finding& f) {
  Params p;
  p.Text(f.id)
      .Text(f.rule)
      .Text(f.type)
      .Int(static_cast<std::int64_t>(f.severity))
      .Text(f.cluster)
      .Text(f.principal.username)
      .Text(f.resource.ns)
      .Int(static_cast<std::int64_t>(f.count))
      .Int(f.first_seen)
      .Int(f.last_seen)
      .Text(findings::WorkflowStatusName(f.workflow))
      .Int(f.created_at)
      .Int(f.updated_at)
      .Text(FindingDoc(f))
      .Text(f.evidence);
  return p;
}

// A FindingQuery as a WHERE clause with $n placeholders (as store/sqlite/finding_filter.cc, in
// PostgreSQL's dialect; the text columns are COLLATE "C", so lower() folds ASCII only, as
// SQLite's).
struct PgFilter {
  std::string where;
  Params params;

  void And(std::string_view condition) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  }
  std::string Int(std::int64_t v) {
    params.Int(v);
    return fmt::format("${}", params.size());
  }
  std::string Text(std::string_view v) {
    params.Text(v);
    return fmt::format("${}", params.size());
  }
};

PgFilter BuildFilter(const FindingQuery& q) {
  PgFilter f;
  if (q.min_severity) f.And("severity >= " + f.Int(static_cast<std::int64_t>(*q.min_severity)));
  if (!q.severities.empty()) {
    std::string in = "severity IN (";
    for (size_t i = 0; i < q.severities.size(); ++i) {
      in += (i == 0 ? "" : ", ") + f.Int(static_cast<std::int64_t>(q.severities[i]));
    }
    f.And(in + ")");
  }
  if (!q.type.empty()) f.And("type = " + f.Text(q.type));
  if (!q.type_prefix.empty()) {
    const std::string p = f.Text(q.type_prefix);
    f.And(fmt::format("left(type, length({0})) = {0}", p));
  }
  if (!q.cluster.empty()) f.And("cluster = " + f.Text(q.cluster));
  if (!q.principal.empty()) f.And("principal = " + f.Text(q.principal));
  if (!q.ns.empty()) f.And("namespace = " + f.Text(q.ns));
  if (q.since) f.And("last_seen >= " + f.Int(*q.since));
  if (q.until) f.And("first_seen <= " + f.Int(*q.until));
  if (q.updated_after) f.And("updated_at > " + f.Int(*q.updated_after));
  if (!q.workflow.empty()) {
    std::string in = "workflow IN (";
    for (size_t i = 0; i < q.workflow.size(); ++i) {
      in += (i == 0 ? "" : ", ") + f.Text(findings::WorkflowStatusName(q.workflow[i]));
    }
    f.And(in + ")");
  }
  if (!q.text.empty()) {
    std::string needle;
    for (char c : q.text) {
      needle += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string p = f.Text(needle);
    f.And(fmt::format("(strpos(lower(doc), {0}) > 0 OR strpos(id, {0}) > 0)", p));
  }
  return f;
}

std::string OrderBy(const FindingQuery& q) {
  std::string_view column = "last_seen";
  switch (q.sort) {
    case FindingSort::kLastSeen:
      break;
    case FindingSort::kFirstSeen:
      column = "first_seen";
      break;
    case FindingSort::kUpdatedAt:
      column = "updated_at";
      break;
    case FindingSort::kSeverity:
      column = "severity";
      break;
    case FindingSort::kCount:
      column = "count";
      break;
    case FindingSort::kType:
      column = "type";
      break;
    case FindingSort::kTitle:
      column = "((doc::jsonb ->> 'title') COLLATE \"C\")";
      break;
    case FindingSort::kCluster:
      column = "cluster";
      break;
    case FindingSort::kPrincipal:
      column = "principal";
      break;
    case FindingSort::kNamespace:
      column = "namespace";
      break;
    case FindingSort::kStatus:
      column = "workflow";
      break;
  }
  const char* dir = q.ascending ? "ASC" : "DESC";
  if (q.sort == FindingSort::kLastSeen) return fmt::format(" ORDER BY last_seen {}, id", dir);
  // NULLs (a finding without a title) sort as SQLite sorts them: smallest.
  const char* nulls = q.ascending ? "NULLS FIRST" : "NULLS LAST";
  return fmt::format(" ORDER BY {0} {1} {2}, seq {1}", column, dir, nulls);
}

std::string Hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// The advisory-lock key of a finding id: 64-bit FNV-1a of the id (any two processes agree; a
// collision only makes two findings share a lock), with the top bit set: always negative, so it
// never meets the migration lock (pg::kMigrationLockKey, positive).
std::int64_t FindingLockKey(std::string_view id) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h | (std::uint64_t{1} << 63));
}

constexpr std::string_view kSuppressionColumns =
    "id, type, principal, namespace, image_prefix, expires_at, created_at, actor, note";

std::string ArchiveNote(const Suppression& s) {
  return s.note.empty() ? fmt::format("suppression {}", s.id)
                        : fmt::format("suppression {}: {}", s.id, s.note);
}

using Counts = std::vector<std::pair<std::string, std::uint64_t>>;

Counts KeyCounts(const Rows& r) {
  Counts out;
  for (int i = 0; i < r.size(); ++i) {
    out.emplace_back(r.Text(i, 0), static_cast<std::uint64_t>(r.Int(i, 1)));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<pg::Connection>> OpenPgDatabase(
    std::string_view url, std::span<const sqlite::Migration> migrations) {
  VIGIL_TRY(auto conn, pg::Connection::Open(url));
  VIGIL_TRY(int version, pg::ApplyMigrations(
                             *conn, migrations.empty() ? pg::BuiltinMigrations() : migrations,
                             NowNanos()));
  (void)version;
  return conn;
}

Result<std::unique_ptr<PgFindingStore>> PgFindingStore::Open(std::string_view url,
                                                             const PgOptions& options) {
  VIGIL_TRY(auto conn, OpenPgDatabase(url, options.migrations));
  return std::unique_ptr<PgFindingStore>(new PgFindingStore(std::move(conn), options));
}

Result<int> PgFindingStore::SchemaVersion() { return pg::SchemaVersion(*conn_); }

Status PgFindingStore::Ping() {
  VIGIL_TRY(Rows r, conn_->Query("SELECT 1"));
  (void)r;
  return Ok();
}

Result<std::optional<PgFindingStore::StoredRow>> PgFindingStore::Load(std::string_view id,
                                                                      bool with_evidence,
                                                                      bool lock) {
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {}, seq{} FROM findings WHERE id = $1{}",
                                             kFindingColumns, with_evidence ? ", evidence" : "",
                                             lock ? " FOR UPDATE" : ""),
                                 Params().Text(id)));
  if (r.empty()) return std::optional<StoredRow>();
  VIGIL_TRY(Finding f, RowToFinding(r, 0, with_evidence ? 10 : -1));
  return std::optional<StoredRow>(StoredRow{.seq = r.Int(0, 9), .finding = std::move(f)});
}

Result<UpsertResult> PgFindingStore::Upsert(std::span<const Finding> batch, UnixNanos now) {
  for (const Finding& f : batch) {
    if (f.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("cannot store a finding without an id (rule '{}')", f.rule));
    }
  }
  return pg::RetryTransaction(*conn_, options_.attempts,
                              [&] { return UpsertOnce(batch, now); });
}

Result<UpsertResult> PgFindingStore::UpsertOnce(std::span<const Finding> batch, UnixNanos now) {
  UpsertResult result;
  result.outcomes.reserve(batch.size());
  VIGIL_TRY(pg::Transaction tx, pg::Transaction::Begin(*conn_));
  // Every finding of the batch locked up front, in one global order (see the header): rows are
  // then read, inserted and written in input order, as SQLite does, so row numbers (List's
  // tie-break) come out the same.
  std::vector<std::int64_t> keys;
  keys.reserve(batch.size());
  for (const Finding& f : batch) keys.push_back(FindingLockKey(f.id));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  VIGIL_TRY(Rows locked, conn_->Query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) "
                                      "AS k",
                                      Params().IntArray(keys)));
  (void)locked;
  std::vector<std::string> ids;
  ids.reserve(batch.size());
  for (const Finding& f : batch) ids.push_back(f.id);
  VIGIL_TRY(auto preloaded, LoadMany(ids));
  for (const Finding& f : batch) {
    VIGIL_TRY(UpsertOutcome outcome, UpsertOne(f, now, preloaded));
    switch (outcome.action) {
      case UpsertAction::kInserted:
        ++result.inserted;
        break;
      case UpsertAction::kUpdated:
        ++result.updated;
        break;
      case UpsertAction::kUnchanged:
        ++result.unchanged;
        break;
    }
    result.outcomes.push_back(std::move(outcome));
  }
  VIGIL_TRY_STATUS(ApplySuppressions(batch, result, now));
  VIGIL_TRY_STATUS(PruneEvents(now));
  VIGIL_TRY_STATUS(tx.Commit());
  return result;
}

Result<std::map<std::string, PgFindingStore::StoredRow, std::less<>>> PgFindingStore::LoadMany(
    std::span<const std::string> ids) {
  std::map<std::string, StoredRow, std::less<>> out;
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {}, seq, evidence FROM findings "
                                             "WHERE id = ANY($1) FOR UPDATE",
                                             kFindingColumns),
                                 Params().TextArray(ids)));
  for (int i = 0; i < r.size(); ++i) {
    VIGIL_TRY(Finding f, RowToFinding(r, i, 10));
    std::string id = f.id;
    out.emplace(std::move(id), StoredRow{.seq = r.Int(i, 9), .finding = std::move(f)});
  }
  return out;
}

Result<UpsertOutcome> PgFindingStore::UpsertOne(
    const Finding& f, UnixNanos now, std::map<std::string, StoredRow, std::less<>>& preloaded) {
  UpsertOutcome outcome;
  outcome.id = f.id;
  std::optional<StoredRow> stored;
  // A row read by LoadMany serves its id's first finding of the batch only: a second finding with
  // the same id must see what the first one wrote.
  if (auto it = preloaded.find(f.id); it != preloaded.end()) {
    stored = std::move(it->second);
    preloaded.erase(it);
  }
  // Read under the row lock; when there is no row, insert — unless another worker inserted it
  // meanwhile (the insert then waited for its commit and did nothing): read that row again.
  for (int attempt = 0; attempt < 3 && !stored; ++attempt) {
    VIGIL_TRY(stored, Load(f.id, /*with_evidence=*/true, /*lock=*/true));
    if (stored) break;
    Finding row = f;
    row.events.clear();
    if (row.created_at == 0) row.created_at = now;
    row.updated_at = std::max(row.updated_at, row.created_at);
    if (f.compliance) {
      row.related_findings.clear();
      row.count = std::max<std::uint64_t>(row.count, 1);
      row.workflow = findings::InitialControlWorkflow(f.compliance->status);
      if (row.compliance->status_since == 0) row.compliance->status_since = row.created_at;
    }
    VIGIL_TRY(std::optional<std::int64_t> seq, Insert(row));
    if (!seq) continue;
    outcome.action = UpsertAction::kInserted;
    if (f.compliance) {
      outcome.new_events = 1;
      VIGIL_TRY_STATUS(AddComplianceHistory(*seq, row.created_at, row));
      return outcome;
    }
    outcome.new_events = f.count;
    if (!f.events.empty()) {
      VIGIL_TRY(outcome.new_events, RecordEvents(*seq, f));
      if (outcome.new_events != row.count) {
        row.count = outcome.new_events;
        VIGIL_TRY_STATUS(Update(*seq, row));
      }
    }
    return outcome;
  }
  if (!stored) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("finding {} was neither insertable nor readable", f.id));
  }
  if (f.compliance) return UpsertControl(f, std::move(stored), now);

  if (f.events.empty()) {
    outcome.new_events = f.count;  // untracked: counted as given (not idempotent)
  } else {
    VIGIL_TRY(outcome.new_events, RecordEvents(stored->seq, f));
  }
  Finding merged = std::move(stored->finding);
  const UnixNanos previous_update = merged.updated_at;
  const findings::MergeOutcome merge = findings::MergeFinding(merged, f, outcome.new_events);
  if (!merge.changed) {
    outcome.action = UpsertAction::kUnchanged;
    return outcome;
  }
  // UpdatedAt must grow on every change for Security Hub to accept the update (ASFF, ms).
  merged.updated_at = std::max(now, previous_update + kMillisecond);
  VIGIL_TRY_STATUS(Update(stored->seq, merged));
  if (merge.reopened) {
    VIGIL_TRY_STATUS(AddHistory(stored->seq, merged.updated_at, "vigil", WorkflowStatus::kResolved,
                                WorkflowStatus::kNew, "the activity recurred after resolution"));
  }
  outcome.action = UpsertAction::kUpdated;
  outcome.reopened = merge.reopened;
  return outcome;
}

Result<UpsertOutcome> PgFindingStore::UpsertControl(const Finding& f,
                                                    std::optional<StoredRow> stored,
                                                    UnixNanos now) {
  UpsertOutcome outcome;
  outcome.id = f.id;
  outcome.new_events = 1;
  Finding merged = std::move(stored->finding);
  const std::vector<std::string> reasons_before =
      merged.compliance ? merged.compliance->reasons : std::vector<std::string>{};
  const WorkflowStatus workflow_before = merged.workflow;
  const findings::ControlMergeOutcome merge = findings::MergeControlFinding(merged, f, now);
  if (merge.changed) merged.updated_at = std::max(now, merged.updated_at + kMillisecond);
  VIGIL_TRY_STATUS(Update(stored->seq, merged));
  if (merge.status_changed || merged.compliance->reasons != reasons_before) {
    VIGIL_TRY_STATUS(AddComplianceHistory(stored->seq, now, merged));
  }
  if (merged.workflow != workflow_before) {
    VIGIL_TRY_STATUS(AddHistory(
        stored->seq, now, "vigil", workflow_before, merged.workflow,
        merge.resolved ? "the control passed" : "the control failed again after passing"));
  }
  outcome.action = merge.changed ? UpsertAction::kUpdated : UpsertAction::kUnchanged;
  outcome.reopened = merge.reopened;
  return outcome;
}

Result<std::optional<std::int64_t>> PgFindingStore::Insert(const Finding& f) {
  VIGIL_TRY(Rows r,
            conn_->Query("INSERT INTO findings (id, rule, type, severity, cluster, principal, "
                         "namespace, count, first_seen, last_seen, workflow, created_at, "
                         "updated_at, doc, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                         "$10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING RETURNING seq",
                         FindingParams(f)));
  if (r.empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(r.Int(0, 0));
}

Status PgFindingStore::Update(std::int64_t seq, const Finding& f) {
  Params p = FindingParams(f);
  p.Int(seq);
  VIGIL_TRY(Rows r, conn_->Query("UPDATE findings SET id = $1, rule = $2, type = $3, "
                                 "severity = $4, cluster = $5, principal = $6, namespace = $7, "
                                 "count = $8, first_seen = $9, last_seen = $10, workflow = $11, "
                                 "created_at = $12, updated_at = $13, doc = $14, evidence = $15 "
                                 "WHERE seq = $16",
                                 p));
  (void)r;
  return Ok();
}

Status PgFindingStore::AddComplianceHistory(std::int64_t seq, UnixNanos at, const Finding& f) {
  VIGIL_TRY(Rows r, conn_->Query("INSERT INTO compliance_history "
                                 "(finding_seq, at, control, status, doc) "
                                 "VALUES ($1, $2, $3, $4, $5)",
                                 Params()
                                     .Int(seq)
                                     .Int(at)
                                     .Text(f.compliance->control_id)
                                     .Text(findings::ComplianceStatusName(f.compliance->status))
                                     .Text(ComplianceDoc(f))));
  (void)r;
  return Ok();
}

Result<std::vector<ComplianceChange>> PgFindingStore::ComplianceHistory(std::string_view id) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT h.at, h.control, h.status, h.doc "
                                 "FROM compliance_history h JOIN findings f "
                                 "ON f.seq = h.finding_seq WHERE f.id = $1 ORDER BY h.seq",
                                 Params().Text(id)));
  std::vector<ComplianceChange> changes;
  for (int i = 0; i < r.size(); ++i) {
    ComplianceChange c;
    c.finding_id = std::string(id);
    c.at = r.Int(i, 0);
    c.control = r.Text(i, 1);
    const std::string status = r.Text(i, 2);
    auto parsed_status = findings::ParseComplianceStatus(status);
    if (!parsed_status) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("compliance history of {} has status '{}'", id, status));
    }
    c.status = *parsed_status;
    ReadComplianceDoc(r.Text(i, 3), &c);
    changes.push_back(std::move(c));
  }
  return changes;
}

Result<std::uint64_t> PgFindingStore::RecordEvents(std::int64_t seq, const Finding& f) {
  // One statement for the whole ledger delta: the digests (hex) and times as two arrays.
  std::vector<std::string> digests;
  std::vector<std::int64_t> times;
  digests.reserve(f.events.size());
  times.reserve(f.events.size());
  for (const findings::EventRef& ref : f.events) {
    digests.push_back(Hex(ref.digest));
    times.push_back(ref.time);
  }
  VIGIL_TRY(Rows r, conn_->Query("INSERT INTO finding_events (finding_seq, digest, event_time) "
                                 "SELECT $1, decode(d, 'hex'), t FROM unnest($2::text[], "
                                 "$3::bigint[]) AS u(d, t) ON CONFLICT DO NOTHING",
                                 Params().Int(seq).TextArray(digests).IntArray(times)));
  return static_cast<std::uint64_t>(r.affected());
}

Status PgFindingStore::AddHistory(std::int64_t seq,
                                  UnixNanos at,
                                  std::string_view actor,
                                  WorkflowStatus from,
                                  WorkflowStatus to,
                                  std::string_view note) {
  VIGIL_TRY(Rows r, conn_->Query("INSERT INTO workflow_history "
                                 "(finding_seq, at, actor, from_status, to_status, note) "
                                 "VALUES ($1, $2, $3, $4, $5, $6)",
                                 Params()
                                     .Int(seq)
                                     .Int(at)
                                     .Text(actor)
                                     .Text(findings::WorkflowStatusName(from))
                                     .Text(findings::WorkflowStatusName(to))
                                     .Text(note)));
  (void)r;
  return Ok();
}

Status PgFindingStore::PruneEvents(UnixNanos now) {
  if (options_.event_retention_seconds <= 0) return Ok();
  // As the SQLite store: measured back from the newest event stored, never from the future.
  VIGIL_TRY(Rows r,
            conn_->Query("DELETE FROM finding_events WHERE event_time < "
                         "least((SELECT coalesce(max(last_seen), 0) FROM findings), $1) - $2",
                         Params().Int(now).Int(options_.event_retention_seconds * 1'000'000'000)));
  (void)r;
  return Ok();
}

Result<Finding> PgFindingStore::Get(std::string_view id) {
  VIGIL_TRY(std::optional<StoredRow> stored, Load(id, /*with_evidence=*/true, /*lock=*/false));
  if (!stored) return NotFound(id);
  return std::move(stored->finding);
}

Result<std::vector<std::string>> PgFindingStore::SuppressedAmong(
    std::span<const std::string> ids) {
  std::vector<std::string> out;
  if (ids.empty()) return out;
  VIGIL_TRY(Rows r, conn_->Query("SELECT id FROM findings WHERE id = ANY($1) AND workflow = $2",
                                 Params().TextArray(ids).Text(findings::WorkflowStatusName(
                                     findings::WorkflowStatus::kSuppressed))));
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

Result<FindingPage> PgFindingStore::List(const FindingQuery& q) {
  PgFilter filter = BuildFilter(q);
  FindingPage page;
  {
    VIGIL_TRY(Rows r,
              conn_->Query(fmt::format("SELECT count(*) FROM findings{}", filter.where),
                           filter.params));
    page.total = static_cast<size_t>(r.Int(0, 0));
  }
  const std::string where = filter.where;
  Params params = filter.params;
  if (q.limit == 0) {
    params.Null();
  } else {
    params.Int(static_cast<std::int64_t>(q.limit));
  }
  params.Int(static_cast<std::int64_t>(q.offset));
  const int n = params.size();
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {}{} FROM findings{}{} LIMIT ${} OFFSET ${}",
                                             kFindingColumns,
                                             q.with_evidence ? ", evidence" : "", where,
                                             OrderBy(q), n - 1, n),
                                 params));
  page.findings.reserve(static_cast<size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    VIGIL_TRY(Finding f, RowToFinding(r, i, q.with_evidence ? 9 : -1));
    page.findings.push_back(std::move(f));
  }
  return page;
}

Status PgFindingStore::SetWorkflowStatus(std::string_view id,
                                         WorkflowStatus status,
                                         std::string_view actor,
                                         std::string_view note,
                                         UnixNanos now) {
  auto once = [&]() -> Status {
    VIGIL_TRY(pg::Transaction tx, pg::Transaction::Begin(*conn_));
    VIGIL_TRY(Rows r, conn_->Query("SELECT seq, workflow, updated_at FROM findings "
                                   "WHERE id = $1 FOR UPDATE",
                                   Params().Text(id)));
    if (r.empty()) return NotFound(id);
    const std::int64_t seq = r.Int(0, 0);
    const WorkflowStatus from =
        findings::ParseWorkflowStatus(r.Text(0, 1)).value_or(WorkflowStatus::kNew);
    const UnixNanos updated_at = r.Int(0, 2);
    if (from != status) {
      VIGIL_TRY(Rows u, conn_->Query("UPDATE findings SET workflow = $1, updated_at = $2 "
                                     "WHERE seq = $3",
                                     Params()
                                         .Text(findings::WorkflowStatusName(status))
                                         .Int(std::max(now, updated_at + kMillisecond))
                                         .Int(seq)));
      (void)u;
    }
    VIGIL_TRY_STATUS(AddHistory(seq, now, actor, from, status, note));
    return tx.Commit();
  };
  return pg::RetryTransaction(*conn_, options_.attempts, once);
}

Result<std::vector<WorkflowChange>> PgFindingStore::History(std::string_view id) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT h.at, h.actor, h.from_status, h.to_status, h.note "
                                 "FROM workflow_history h JOIN findings f "
                                 "ON f.seq = h.finding_seq WHERE f.id = $1 ORDER BY h.seq",
                                 Params().Text(id)));
  std::vector<WorkflowChange> changes;
  for (int i = 0; i < r.size(); ++i) {
    WorkflowChange c;
    c.finding_id = std::string(id);
    c.at = r.Int(i, 0);
    c.actor = r.Text(i, 1);
    c.from = findings::ParseWorkflowStatus(r.Text(i, 2)).value_or(WorkflowStatus::kNew);
    c.to = findings::ParseWorkflowStatus(r.Text(i, 3)).value_or(WorkflowStatus::kNew);
    c.note = r.Text(i, 4);
    changes.push_back(std::move(c));
  }
  return changes;
}

Result<std::int64_t> PgFindingStore::EventCount(std::string_view id) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT count(*) FROM finding_events e "
                                 "JOIN findings f ON f.seq = e.finding_seq WHERE f.id = $1",
                                 Params().Text(id)));
  return r.Int(0, 0);
}

// --- suppressions (migration 3) --------------------------------------------------------------

Result<std::vector<Suppression>> PgFindingStore::ListSuppressions() { return Suppressions(0); }

Result<std::vector<Suppression>> PgFindingStore::Suppressions(UnixNanos active_at) {
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {} FROM suppressions WHERE $1 = 0 OR "
                                             "expires_at = 0 OR expires_at > $1 ORDER BY seq",
                                             kSuppressionColumns),
                                 Params().Int(active_at)));
  std::vector<Suppression> out;
  for (int i = 0; i < r.size(); ++i) {
    out.push_back({.id = r.Text(i, 0),
                   .type = r.Text(i, 1),
                   .principal = r.Text(i, 2),
                   .ns = r.Text(i, 3),
                   .image_prefix = r.Text(i, 4),
                   .expires_at = r.Int(i, 5),
                   .created_at = r.Int(i, 6),
                   .actor = r.Text(i, 7),
                   .note = r.Text(i, 8)});
  }
  return out;
}

Status PgFindingStore::ApplySuppressions(std::span<const Finding> batch,
                                         const UpsertResult& result,
                                         UnixNanos now) {
  bool any = false;
  for (const auto& o : result.outcomes) any |= o.action == UpsertAction::kInserted || o.reopened;
  if (!any) return Ok();
  VIGIL_TRY(std::vector<Suppression> rules, Suppressions(now));
  if (rules.empty()) return Ok();
  for (std::size_t i = 0; i < batch.size() && i < result.outcomes.size(); ++i) {
    const UpsertOutcome& o = result.outcomes[i];
    if (o.action != UpsertAction::kInserted && !o.reopened) continue;
    for (const Suppression& rule : rules) {
      if (!SuppressionMatches(rule, batch[i])) continue;
      VIGIL_TRY(Rows r, conn_->Query("SELECT seq, workflow FROM findings WHERE id = $1",
                                     Params().Text(o.id)));
      if (r.empty()) break;
      const std::int64_t seq = r.Int(0, 0);
      const auto from = findings::ParseWorkflowStatus(r.Text(0, 1)).value_or(WorkflowStatus::kNew);
      if (from == WorkflowStatus::kSuppressed) break;
      VIGIL_TRY(Rows u, conn_->Query("UPDATE findings SET workflow = 'SUPPRESSED' WHERE seq = $1",
                                     Params().Int(seq)));
      (void)u;
      VIGIL_TRY_STATUS(
          AddHistory(seq, now, "vigil", from, WorkflowStatus::kSuppressed, ArchiveNote(rule)));
      break;
    }
  }
  return Ok();
}

Result<std::pair<Suppression, std::size_t>> PgFindingStore::AddSuppression(Suppression rule,
                                                                           UnixNanos now) {
  if (rule.type.empty() && rule.principal.empty() && rule.ns.empty() && rule.image_prefix.empty()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "a suppression needs at least one of type, principal, namespace, image_prefix");
  }
  rule.created_at = now;
  rule.id = StableUuid(fmt::format("vigil-suppression/{}/{}/{}/{}/{}/{}", now, rule.type,
                                   rule.principal, rule.ns, rule.image_prefix, rule.actor));
  auto once = [&]() -> Result<std::size_t> {
    VIGIL_TRY(pg::Transaction tx, pg::Transaction::Begin(*conn_));
    VIGIL_TRY(Rows ins, conn_->Query(fmt::format("INSERT INTO suppressions ({}) VALUES "
                                                 "($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                                 kSuppressionColumns),
                                     Params()
                                         .Text(rule.id)
                                         .Text(rule.type)
                                         .Text(rule.principal)
                                         .Text(rule.ns)
                                         .Text(rule.image_prefix)
                                         .Int(rule.expires_at)
                                         .Int(rule.created_at)
                                         .Text(rule.actor)
                                         .Text(rule.note)));
    (void)ins;
    // Candidates by the indexed columns, locked; the type prefix and image are checked on the
    // finding.
    VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {}, seq FROM findings WHERE workflow IN "
                                               "('NEW', 'NOTIFIED') AND ($1 = '' OR principal = "
                                               "$1) AND ($2 = '' OR namespace = $2) ORDER BY id "
                                               "FOR UPDATE",
                                               kFindingColumns),
                                   Params().Text(rule.principal).Text(rule.ns)));
    std::size_t archived = 0;
    for (int i = 0; i < r.size(); ++i) {
      VIGIL_TRY(Finding f, RowToFinding(r, i));
      if (!SuppressionMatches(rule, f)) continue;
      const std::int64_t seq = r.Int(i, 9);
      VIGIL_TRY(Rows u, conn_->Query("UPDATE findings SET workflow = 'SUPPRESSED', "
                                     "updated_at = $1 WHERE seq = $2",
                                     Params().Int(std::max(now, f.updated_at + kMillisecond))
                                         .Int(seq)));
      (void)u;
      VIGIL_TRY_STATUS(AddHistory(seq, now, rule.actor.empty() ? "vigil" : rule.actor, f.workflow,
                                  WorkflowStatus::kSuppressed, ArchiveNote(rule)));
      ++archived;
    }
    VIGIL_TRY_STATUS(tx.Commit());
    return archived;
  };
  VIGIL_TRY(std::size_t archived, pg::RetryTransaction(*conn_, options_.attempts, once));
  return std::make_pair(std::move(rule), archived);
}

Status PgFindingStore::DeleteSuppression(std::string_view id) {
  VIGIL_TRY(Rows r, conn_->Query("DELETE FROM suppressions WHERE id = $1", Params().Text(id)));
  if (r.affected() == 0) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no suppression with id '{}'", id));
  }
  return Ok();
}

// --- counts -----------------------------------------------------------------------------------

Result<std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>>>
PgFindingStore::CountByTypeAndSeverity() {
  VIGIL_TRY(Rows r, conn_->Query("SELECT type, severity, count(*) FROM findings "
                                 "GROUP BY type, severity ORDER BY type, severity"));
  std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>> out;
  for (int i = 0; i < r.size(); ++i) {
    const std::int64_t sev = r.Int(i, 1);
    std::string name =
        sev >= 0 && sev <= 4
            ? std::string(findings::SeverityName(static_cast<findings::Severity>(sev)))
            : std::to_string(sev);
    out.push_back({{r.Text(i, 0), std::move(name)}, static_cast<std::uint64_t>(r.Int(i, 2))});
  }
  return out;
}

Result<FindingStats> PgFindingStore::Stats(const FindingQuery& q, std::size_t top) {
  const PgFilter filter = BuildFilter(q);
  const std::string& where = filter.where;
  auto with_top = [&](const PgFilter& f) {
    Params p = f.params;
    p.Int(static_cast<std::int64_t>(top));
    return p;
  };
  const int top_param = filter.params.size() + 1;
  FindingStats stats;
  {
    VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT severity, count(*) FROM findings{} GROUP "
                                               "BY severity ORDER BY severity DESC",
                                               where),
                                   filter.params));
    for (auto& [severity, n] : KeyCounts(r)) {
      const int s = std::clamp(std::atoi(severity.c_str()), 0, 4);
      stats.by_severity.emplace_back(
          std::string(findings::SeverityName(static_cast<findings::Severity>(s))), n);
      stats.total += n;
    }
  }
  {
    VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT type, count(*) AS n FROM findings{} GROUP "
                                               "BY type ORDER BY n DESC, type LIMIT ${}",
                                               where, top_param),
                                   with_top(filter)));
    stats.by_type = KeyCounts(r);
  }
  {
    VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT workflow, count(*) AS n FROM findings{} "
                                               "GROUP BY workflow ORDER BY n DESC, workflow",
                                               where),
                                   filter.params));
    stats.by_status = KeyCounts(r);
  }
  {
    VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT cluster, count(*) AS n FROM findings{} "
                                               "GROUP BY cluster ORDER BY n DESC, cluster LIMIT ${}",
                                               where, top_param),
                                   with_top(filter)));
    stats.by_cluster = KeyCounts(r);
  }
  {
    PgFilter with_principal = filter;
    with_principal.And("principal != ''");
    VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT principal, count(*) AS n FROM findings{} "
                                               "GROUP BY principal ORDER BY n DESC, principal "
                                               "LIMIT ${}",
                                               with_principal.where, top_param),
                                   with_top(with_principal)));
    stats.top_principals = KeyCounts(r);
  }
  {
    // Source IPs live in the JSON document; the filter runs in a subquery, as in SQLite.
    VIGIL_TRY(Rows r,
              conn_->Query(fmt::format("SELECT ip COLLATE \"C\" AS ip, count(*) AS n FROM "
                                       "(SELECT doc FROM findings{}) AS f, "
                                       "jsonb_array_elements_text(f.doc::jsonb -> 'source_ips') "
                                       "AS ip GROUP BY 1 ORDER BY n DESC, 1 LIMIT ${}",
                                       where, top_param),
                           with_top(filter)));
    stats.top_source_ips = KeyCounts(r);
  }
  return stats;
}

Result<std::vector<TimelineBucket>> PgFindingStore::Timeline(const FindingQuery& q,
                                                             UnixNanos from,
                                                             UnixNanos to,
                                                             std::int64_t bucket) {
  if (bucket <= 0 || to <= from) {
    return MakeError(ErrorCode::kInvalidArgument, "timeline: needs from < to and a bucket > 0");
  }
  PgFilter filter = BuildFilter(q);
  const std::string p_from = filter.Int(from);
  filter.And("first_seen >= " + p_from);
  filter.And("first_seen < " + filter.Int(to));
  const std::string p_bucket = filter.Int(bucket);
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {0} + ((first_seen - {0}) / {1}) * {1} AS b, "
                                             "severity, count(*) FROM findings{2} GROUP BY b, "
                                             "severity ORDER BY b",
                                             p_from, p_bucket, filter.where),
                                 filter.params));
  std::vector<TimelineBucket> out;
  for (int i = 0; i < r.size(); ++i) {
    const UnixNanos start = r.Int(i, 0);
    const auto severity = static_cast<std::size_t>(std::clamp<std::int64_t>(r.Int(i, 1), 0, 4));
    if (out.empty() || out.back().start != start) out.push_back({.start = start});
    out.back().by_severity[severity] += static_cast<std::uint64_t>(r.Int(i, 2));
  }
  return out;
}

}  // namespace vigil::store
