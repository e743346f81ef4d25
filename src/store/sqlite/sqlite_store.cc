#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <variant>

#include "findings/aggregator.h"
#include "findings/compliance.h"
#include "findings/encode/json.h"
#include "store/finding_doc.h"
#include "store/sqlite/finding_filter.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::WorkflowStatus;
using sqlite::Statement;

constexpr UnixNanos kMillisecond = 1'000'000;

constexpr std::string_view kColumns = kFindingColumns;

Result<Finding> RowToFinding(const Statement& st, bool with_evidence) {
  VIGIL_TRY(Finding f, FindingFromRow({.id = st.ColumnText(0),
                                       .doc = st.ColumnText(1),
                                       .severity = st.ColumnInt(2),
                                       .count = st.ColumnInt(3),
                                       .first_seen = st.ColumnInt(4),
                                       .last_seen = st.ColumnInt(5),
                                       .workflow = st.ColumnText(6),
                                       .created_at = st.ColumnInt(7),
                                       .updated_at = st.ColumnInt(8)}));
  if (with_evidence) f.evidence = st.ColumnText(9);
  return f;
}

// Binds the 15 finding columns as parameters 1..15 (INSERT and UPDATE share the numbering).
void BindFinding(Statement& st, const Finding& f) {
  st.Bind(1, f.id);
  st.Bind(2, f.rule);
  st.Bind(3, f.type);
  st.Bind(4, static_cast<std::int64_t>(f.severity));
  st.Bind(5, f.cluster);
  st.Bind(6, f.principal.username);
  st.Bind(7, f.resource.ns);
  st.Bind(8, static_cast<std::int64_t>(f.count));
  st.Bind(9, std::int64_t{f.first_seen});
  st.Bind(10, std::int64_t{f.last_seen});
  st.Bind(11, findings::WorkflowStatusName(f.workflow));
  st.Bind(12, std::int64_t{f.created_at});
  st.Bind(13, std::int64_t{f.updated_at});
  st.Bind(14, FindingDoc(f));
  st.Bind(15, f.evidence);
}

Error NotFound(std::string_view id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no finding with id '{}'", id));
}

}  // namespace

Result<std::unique_ptr<sqlite::Database>> OpenStoreDatabase(const std::string& path,
                                                            const SqliteOptions& options) {
  VIGIL_TRY(auto db, sqlite::Database::Open(path, options.busy_timeout_ms));
  std::string mode;
  {
    VIGIL_TRY(auto st, db->Prepare("PRAGMA journal_mode = WAL"));
    VIGIL_TRY(bool row, st->Step());
    if (row) mode = st->ColumnText(0);
  }
  if (path != ":memory:" && mode != "wal") {
    return MakeError(
        ErrorCode::kIo,
        fmt::format("{}: cannot switch the store to WAL (journal_mode is '{}')", path, mode));
  }
  VIGIL_TRY_STATUS(db->Exec("PRAGMA foreign_keys = ON"));
  VIGIL_TRY_STATUS(db->Exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                                     : "PRAGMA synchronous = NORMAL"));
  const auto migrations =
      options.migrations.empty() ? sqlite::BuiltinMigrations() : options.migrations;
  VIGIL_TRY_STATUS(sqlite::ApplyMigrations(*db, migrations, NowNanos()));
  return db;
}

Result<std::unique_ptr<SqliteFindingStore>> SqliteFindingStore::Open(const std::string& path,
                                                                     const SqliteOptions& options) {
  VIGIL_TRY(auto db, OpenStoreDatabase(path, options));
  return std::unique_ptr<SqliteFindingStore>(new SqliteFindingStore(std::move(db), options));
}

Result<int> SqliteFindingStore::SchemaVersion() { return sqlite::SchemaVersion(*db_); }

Result<std::optional<SqliteFindingStore::StoredRow>> SqliteFindingStore::Load(std::string_view id,
                                                                              bool with_evidence) {
  const std::string sql = fmt::format("SELECT {}, seq{} FROM findings WHERE id = ?", kColumns,
                                      with_evidence ? ", evidence" : "");
  VIGIL_TRY(auto st, db_->Prepare(sql));
  st->Bind(1, id);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return std::optional<StoredRow>();
  // RowToFinding reads evidence from column 9; here column 9 is seq and 10 the evidence.
  VIGIL_TRY(Finding f, RowToFinding(*st, false));
  StoredRow stored;
  stored.seq = st->ColumnInt(9);
  if (with_evidence) f.evidence = st->ColumnText(10);
  stored.finding = std::move(f);
  return std::optional<StoredRow>(std::move(stored));
}

Result<UpsertResult> SqliteFindingStore::Upsert(std::span<const Finding> batch, UnixNanos now) {
  UpsertResult result;
  result.outcomes.reserve(batch.size());
  for (const Finding& f : batch) {
    if (f.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("cannot store a finding without an id (rule '{}')", f.rule));
    }
  }
  VIGIL_TRY(sqlite::Transaction tx, sqlite::Transaction::Begin(*db_));
  for (const Finding& f : batch) {
    VIGIL_TRY(UpsertOutcome outcome, UpsertOne(f, now));
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

Result<UpsertOutcome> SqliteFindingStore::UpsertOne(const Finding& f, UnixNanos now) {
  UpsertOutcome outcome;
  outcome.id = f.id;
  VIGIL_TRY(std::optional<StoredRow> stored, Load(f.id, /*with_evidence=*/true));
  if (f.compliance) return UpsertControl(f, std::move(stored), now);
  if (!stored) {
    Finding row = f;
    row.events.clear();
    if (row.created_at == 0) row.created_at = now;
    row.updated_at = std::max(row.updated_at, row.created_at);
    VIGIL_TRY_STATUS(Write(0, row));
    const std::int64_t seq = db_->LastInsertRowId();
    outcome.new_events = f.count;
    if (!f.events.empty()) {
      VIGIL_TRY(outcome.new_events, RecordEvents(seq, f));
      if (outcome.new_events != row.count) {
        row.count = outcome.new_events;
        VIGIL_TRY_STATUS(Write(seq, row));
      }
    }
    outcome.action = UpsertAction::kInserted;
    return outcome;
  }

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
  VIGIL_TRY_STATUS(Write(stored->seq, merged));
  if (merge.reopened) {
    VIGIL_TRY_STATUS(AddHistory(stored->seq, merged.updated_at, "vigil", WorkflowStatus::kResolved,
                                WorkflowStatus::kNew, "the activity recurred after resolution"));
  }
  outcome.action = UpsertAction::kUpdated;
  outcome.reopened = merge.reopened;
  return outcome;
}

Result<UpsertOutcome> SqliteFindingStore::UpsertControl(const Finding& f,
                                                        std::optional<StoredRow> stored,
                                                        UnixNanos now) {
  UpsertOutcome outcome;
  outcome.id = f.id;
  outcome.new_events = 1;
  if (!stored) {
    Finding row = f;
    row.events.clear();
    row.related_findings.clear();
    row.count = std::max<std::uint64_t>(row.count, 1);
    if (row.created_at == 0) row.created_at = now;
    row.updated_at = std::max(row.updated_at, row.created_at);
    row.workflow = findings::InitialControlWorkflow(f.compliance->status);
    if (row.compliance->status_since == 0) row.compliance->status_since = row.created_at;
    VIGIL_TRY_STATUS(Write(0, row));
    VIGIL_TRY_STATUS(AddComplianceHistory(db_->LastInsertRowId(), row.created_at, row));
    outcome.action = UpsertAction::kInserted;
    return outcome;
  }
  Finding merged = std::move(stored->finding);
  const std::vector<std::string> reasons_before =
      merged.compliance ? merged.compliance->reasons : std::vector<std::string>{};
  const WorkflowStatus workflow_before = merged.workflow;
  const findings::ControlMergeOutcome merge = findings::MergeControlFinding(merged, f, now);
  if (merge.changed) merged.updated_at = std::max(now, merged.updated_at + kMillisecond);
  VIGIL_TRY_STATUS(Write(stored->seq, merged));
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

Status SqliteFindingStore::AddComplianceHistory(std::int64_t seq, UnixNanos at, const Finding& f) {
  VIGIL_TRY(auto st,
            db_->Prepare("INSERT INTO compliance_history "
                         "(finding_seq, at, control, status, doc) VALUES (?, ?, ?, ?, ?)"));
  st->Bind(1, seq);
  st->Bind(2, std::int64_t{at});
  st->Bind(3, f.compliance->control_id);
  st->Bind(4, findings::ComplianceStatusName(f.compliance->status));
  st->Bind(5, ComplianceDoc(f));
  return st->Run();
}

Result<std::vector<ComplianceChange>> SqliteFindingStore::ComplianceHistory(std::string_view id) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT h.at, h.control, h.status, h.doc "
                                  "FROM compliance_history h JOIN findings f "
                                  "ON f.seq = h.finding_seq WHERE f.id = ? ORDER BY h.seq"));
  st->Bind(1, id);
  std::vector<ComplianceChange> changes;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    ComplianceChange c;
    c.finding_id = std::string(id);
    c.at = st->ColumnInt(0);
    c.control = st->ColumnText(1);
    const std::string status = st->ColumnText(2);
    auto parsed_status = findings::ParseComplianceStatus(status);
    if (!parsed_status) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("compliance history of {} has status '{}'", id, status));
    }
    c.status = *parsed_status;
    ReadComplianceDoc(st->ColumnText(3), &c);
    changes.push_back(std::move(c));
  }
  return changes;
}

Result<std::uint64_t> SqliteFindingStore::RecordEvents(std::int64_t seq, const Finding& f) {
  VIGIL_TRY(auto st, db_->Prepare("INSERT OR IGNORE INTO finding_events "
                                  "(finding_seq, digest, event_time) VALUES (?, ?, ?)"));
  std::uint64_t added = 0;
  for (const findings::EventRef& ref : f.events) {
    st->Bind(1, seq);
    st->BindBlob(2, ref.digest);
    st->Bind(3, std::int64_t{ref.time});
    VIGIL_TRY_STATUS(st->Run());
    added += static_cast<std::uint64_t>(db_->Changes());
    st->Reset();
  }
  return added;
}

Status SqliteFindingStore::Write(std::int64_t seq, const Finding& f) {
  if (seq == 0) {
    VIGIL_TRY(auto st,
              db_->Prepare("INSERT INTO findings (id, rule, type, severity, cluster, principal, "
                           "namespace, count, first_seen, last_seen, workflow, created_at, "
                           "updated_at, doc, evidence) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                           "?15)"));
    BindFinding(*st, f);
    return st->Run();
  }
  VIGIL_TRY(auto st,
            db_->Prepare("UPDATE findings SET id = ?1, rule = ?2, type = ?3, severity = ?4, "
                         "cluster = ?5, principal = ?6, namespace = ?7, count = ?8, "
                         "first_seen = ?9, last_seen = ?10, workflow = ?11, created_at = ?12, "
                         "updated_at = ?13, doc = ?14, evidence = ?15 WHERE seq = ?16"));
  BindFinding(*st, f);
  st->Bind(16, seq);
  return st->Run();
}

Status SqliteFindingStore::AddHistory(std::int64_t seq,
                                      UnixNanos at,
                                      std::string_view actor,
                                      WorkflowStatus from,
                                      WorkflowStatus to,
                                      std::string_view note) {
  VIGIL_TRY(auto st, db_->Prepare("INSERT INTO workflow_history "
                                  "(finding_seq, at, actor, from_status, to_status, note) "
                                  "VALUES (?, ?, ?, ?, ?, ?)"));
  st->Bind(1, seq);
  st->Bind(2, std::int64_t{at});
  st->Bind(3, actor);
  st->Bind(4, findings::WorkflowStatusName(from));
  st->Bind(5, findings::WorkflowStatusName(to));
  st->Bind(6, note);
  return st->Run();
}

Status SqliteFindingStore::PruneEvents(UnixNanos now) {
  if (options_.event_retention_seconds <= 0) return Ok();
  // Measured back from the newest event stored, so scanning an old export keeps its ledger; never
  // from a point in the future, so one event with a wrong clock cannot wipe the ledger.
  VIGIL_TRY(auto st,
            db_->Prepare("DELETE FROM finding_events WHERE event_time < "
                         "min((SELECT coalesce(max(last_seen), 0) FROM findings), ?1) - ?2"));
  st->Bind(1, std::int64_t{now});
  st->Bind(2, options_.event_retention_seconds * 1'000'000'000);
  return st->Run();
}

Result<Finding> SqliteFindingStore::Get(std::string_view id) {
  VIGIL_TRY(std::optional<StoredRow> stored, Load(id, /*with_evidence=*/true));
  if (!stored) return NotFound(id);
  return std::move(stored->finding);
}

Result<std::vector<std::string>> SqliteFindingStore::SuppressedAmong(
    std::span<const std::string> ids) {
  // In-process: one prepared statement stepped per id costs less than building an IN list.
  std::vector<std::string> out;
  if (ids.empty()) return out;
  VIGIL_TRY(auto st, db_->Prepare("SELECT 1 FROM findings WHERE id = ? AND workflow = ?"));
  for (const std::string& id : ids) {
    st->Reset();
    st->Bind(1, id);
    st->Bind(2, findings::WorkflowStatusName(findings::WorkflowStatus::kSuppressed));
    VIGIL_TRY(bool row, st->Step());
    if (row) out.push_back(id);
  }
  return out;
}

Result<FindingPage> SqliteFindingStore::List(const FindingQuery& q) {
  const sqlite::SqlFilter filter = sqlite::BuildFilter(q);
  const std::string& where = filter.where;
  auto bind_all = [&](Statement& st) { return filter.Bind(st); };

  FindingPage page;
  {
    VIGIL_TRY(auto st, db_->Prepare(fmt::format("SELECT count(*) FROM findings{}", where)));
    bind_all(*st);
    VIGIL_TRY(bool row, st->Step());
    page.total = row ? static_cast<size_t>(st->ColumnInt(0)) : 0;
  }
  if (q.limit != 0 && q.sort != FindingSort::kLastSeen) {
    // Sorting by a column without an index: SQLite's sorter would carry every matching row's
    // JSON document; order only the row numbers, then read the page's rows by number.
    std::vector<std::int64_t> seqs;
    {
      VIGIL_TRY(auto st, db_->Prepare(fmt::format("SELECT seq FROM findings{}{} LIMIT ? OFFSET ?",
                                                  where, sqlite::OrderBy(q))));
      int next = bind_all(*st);
      st->Bind(next++, static_cast<std::int64_t>(q.limit));
      st->Bind(next, static_cast<std::int64_t>(q.offset));
      for (;;) {
        VIGIL_TRY(bool row, st->Step());
        if (!row) break;
        seqs.push_back(st->ColumnInt(0));
      }
    }
    std::unordered_map<std::int64_t, std::size_t> position;
    for (std::size_t i = 0; i < seqs.size(); ++i) position[seqs[i]] = i;
    std::vector<std::optional<Finding>> rows(seqs.size());
    constexpr std::size_t kChunk = 500;
    for (std::size_t from = 0; from < seqs.size(); from += kChunk) {
      const std::size_t n = std::min(kChunk, seqs.size() - from);
      std::string in(n * 3 - 2, ',');
      for (std::size_t i = 0; i < n; ++i) in[i * 3] = '?';
      for (std::size_t i = 0; i + 1 < n; ++i) in[i * 3 + 2] = ' ';
      VIGIL_TRY(auto st,
                db_->Prepare(fmt::format("SELECT {}{}, seq FROM findings WHERE seq IN ({})",
                                         kColumns, q.with_evidence ? ", evidence" : "", in)));
      for (std::size_t i = 0; i < n; ++i) st->Bind(static_cast<int>(i + 1), seqs[from + i]);
      const int seq_column = q.with_evidence ? 10 : 9;
      for (;;) {
        VIGIL_TRY(bool row, st->Step());
        if (!row) break;
        VIGIL_TRY(Finding f, RowToFinding(*st, q.with_evidence));
        rows[position[st->ColumnInt(seq_column)]] = std::move(f);
      }
    }
    for (auto& f : rows) {
      if (f) page.findings.push_back(std::move(*f));  // a row deleted in between is left out
    }
    return page;
  }
  VIGIL_TRY(auto st, db_->Prepare(fmt::format("SELECT {}{} FROM findings{}{} LIMIT ? OFFSET ?",
                                              kColumns, q.with_evidence ? ", evidence" : "", where,
                                              sqlite::OrderBy(q))));
  int next = bind_all(*st);
  st->Bind(next++, q.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(q.limit));
  st->Bind(next, static_cast<std::int64_t>(q.offset));
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    VIGIL_TRY(Finding f, RowToFinding(*st, q.with_evidence));
    page.findings.push_back(std::move(f));
  }
  return page;
}

Status SqliteFindingStore::SetWorkflowStatus(std::string_view id,
                                             WorkflowStatus status,
                                             std::string_view actor,
                                             std::string_view note,
                                             UnixNanos now) {
  VIGIL_TRY(sqlite::Transaction tx, sqlite::Transaction::Begin(*db_));
  std::int64_t seq = 0;
  WorkflowStatus from = WorkflowStatus::kNew;
  UnixNanos updated_at = 0;
  {
    VIGIL_TRY(auto st, db_->Prepare("SELECT seq, workflow, updated_at FROM findings WHERE id = ?"));
    st->Bind(1, id);
    VIGIL_TRY(bool row, st->Step());
    if (!row) return NotFound(id);
    seq = st->ColumnInt(0);
    from = findings::ParseWorkflowStatus(st->ColumnText(1)).value_or(WorkflowStatus::kNew);
    updated_at = st->ColumnInt(2);
  }
  if (from != status) {
    VIGIL_TRY(auto st,
              db_->Prepare("UPDATE findings SET workflow = ?, updated_at = ? WHERE seq = ?"));
    st->Bind(1, findings::WorkflowStatusName(status));
    st->Bind(2, std::max(now, updated_at + kMillisecond));
    st->Bind(3, seq);
    VIGIL_TRY_STATUS(st->Run());
  }
  VIGIL_TRY_STATUS(AddHistory(seq, now, actor, from, status, note));
  return tx.Commit();
}

Result<std::vector<WorkflowChange>> SqliteFindingStore::History(std::string_view id) {
  VIGIL_TRY(auto st,
            db_->Prepare("SELECT h.at, h.actor, h.from_status, h.to_status, h.note "
                         "FROM workflow_history h JOIN findings f ON f.seq = h.finding_seq "
                         "WHERE f.id = ? ORDER BY h.seq"));
  st->Bind(1, id);
  std::vector<WorkflowChange> changes;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    WorkflowChange c;
    c.finding_id = std::string(id);
    c.at = st->ColumnInt(0);
    c.actor = st->ColumnText(1);
    c.from = findings::ParseWorkflowStatus(st->ColumnText(2)).value_or(WorkflowStatus::kNew);
    c.to = findings::ParseWorkflowStatus(st->ColumnText(3)).value_or(WorkflowStatus::kNew);
    c.note = st->ColumnText(4);
    changes.push_back(std::move(c));
  }
  return changes;
}

Result<std::int64_t> SqliteFindingStore::EventCount(std::string_view id) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT count(*) FROM finding_events e "
                                  "JOIN findings f ON f.seq = e.finding_seq WHERE f.id = ?"));
  st->Bind(1, id);
  VIGIL_TRY(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

}  // namespace vigil::store
