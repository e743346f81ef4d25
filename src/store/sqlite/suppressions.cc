// SqliteFindingStore: suppression rules (migration 3) and the counts /metrics reads.
#include <fmt/format.h>

#include "base/hash.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {
namespace {

using findings::WorkflowStatus;

constexpr std::string_view kSuppressionColumns =
    "id, type, principal, namespace, image_prefix, expires_at, created_at, actor, note";

Suppression RowToSuppression(const sqlite::Statement& st) {
  Suppression s;
  s.id = st.ColumnText(0);
  s.type = st.ColumnText(1);
  s.principal = st.ColumnText(2);
  s.ns = st.ColumnText(3);
  s.image_prefix = st.ColumnText(4);
  s.expires_at = st.ColumnInt(5);
  s.created_at = st.ColumnInt(6);
  s.actor = st.ColumnText(7);
  s.note = st.ColumnText(8);
  return s;
}

std::string ArchiveNote(const Suppression& s) {
  return s.note.empty() ? fmt::format("suppression {}", s.id)
                        : fmt::format("suppression {}: {}", s.id, s.note);
}

}  // namespace

Result<std::vector<Suppression>> SqliteFindingStore::ActiveSuppressions(UnixNanos now) {
  return Suppressions(now);
}

Result<std::vector<Suppression>> SqliteFindingStore::ListSuppressions() { return Suppressions(0); }

Result<std::vector<Suppression>> SqliteFindingStore::Suppressions(UnixNanos active_at) {
  VIGIL_TRY(auto st, db_->Prepare(fmt::format("SELECT {} FROM suppressions WHERE ?1 = 0 OR "
                                              "expires_at = 0 OR expires_at > ?1 ORDER BY seq",
                                              kSuppressionColumns)));
  st->Bind(1, std::int64_t{active_at});
  std::vector<Suppression> out;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    out.push_back(RowToSuppression(*st));
  }
  return out;
}

Status SqliteFindingStore::ApplySuppressions(std::span<const findings::Finding> batch,
                                             const UpsertResult& result,
                                             UnixNanos now) {
  bool any = false;
  for (const auto& o : result.outcomes) any |= o.action == UpsertAction::kInserted || o.reopened;
  if (!any) return Ok();
  VIGIL_TRY(std::vector<Suppression> rules, ActiveSuppressions(now));
  if (rules.empty()) return Ok();
  for (std::size_t i = 0; i < batch.size() && i < result.outcomes.size(); ++i) {
    const UpsertOutcome& o = result.outcomes[i];
    if (o.action != UpsertAction::kInserted && !o.reopened) continue;
    for (const Suppression& rule : rules) {
      if (!SuppressionMatches(rule, batch[i])) continue;
      VIGIL_TRY(auto st, db_->Prepare("SELECT seq, workflow FROM findings WHERE id = ?"));
      st->Bind(1, o.id);
      VIGIL_TRY(bool row, st->Step());
      if (!row) break;
      const std::int64_t seq = st->ColumnInt(0);
      const auto from =
          findings::ParseWorkflowStatus(st->ColumnText(1)).value_or(WorkflowStatus::kNew);
      if (from == WorkflowStatus::kSuppressed) break;
      VIGIL_TRY(auto up, db_->Prepare("UPDATE findings SET workflow = 'SUPPRESSED' WHERE seq = ?"));
      up->Bind(1, seq);
      VIGIL_TRY_STATUS(up->Run());
      VIGIL_TRY_STATUS(
          AddHistory(seq, now, "vigil", from, WorkflowStatus::kSuppressed, ArchiveNote(rule)));
      break;
    }
  }
  return Ok();
}

Result<std::pair<Suppression, std::size_t>> SqliteFindingStore::AddSuppression(Suppression rule,
                                                                               UnixNanos now) {
  if (rule.type.empty() && rule.principal.empty() && rule.ns.empty() && rule.image_prefix.empty()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "a suppression needs at least one of type, principal, namespace, image_prefix");
  }
  rule.created_at = now;
  rule.id = StableUuid(fmt::format("vigil-suppression/{}/{}/{}/{}/{}/{}", now, rule.type,
                                   rule.principal, rule.ns, rule.image_prefix, rule.actor));
  VIGIL_TRY(sqlite::Transaction tx, sqlite::Transaction::Begin(*db_));
  {
    VIGIL_TRY(auto st, db_->Prepare(fmt::format("INSERT INTO suppressions ({}) VALUES "
                                                "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                                kSuppressionColumns)));
    st->Bind(1, rule.id);
    st->Bind(2, rule.type);
    st->Bind(3, rule.principal);
    st->Bind(4, rule.ns);
    st->Bind(5, rule.image_prefix);
    st->Bind(6, std::int64_t{rule.expires_at});
    st->Bind(7, std::int64_t{rule.created_at});
    st->Bind(8, rule.actor);
    st->Bind(9, rule.note);
    VIGIL_TRY_STATUS(st->Run());
  }
  // Candidates by the indexed columns; the type prefix and image are checked on the finding.
  std::vector<std::pair<std::int64_t, findings::Finding>> matches;
  {
    VIGIL_TRY(auto st,
              db_->Prepare("SELECT seq, id FROM findings WHERE workflow IN ('NEW', 'NOTIFIED') "
                           "AND (?1 = '' OR principal = ?1) AND (?2 = '' OR namespace = ?2)"));
    st->Bind(1, rule.principal);
    st->Bind(2, rule.ns);
    std::vector<std::pair<std::int64_t, std::string>> ids;
    for (;;) {
      VIGIL_TRY(bool row, st->Step());
      if (!row) break;
      ids.emplace_back(st->ColumnInt(0), st->ColumnText(1));
    }
    for (const auto& [seq, id] : ids) {
      VIGIL_TRY(std::optional<StoredRow> stored, Load(id, false));
      if (stored && SuppressionMatches(rule, stored->finding)) {
        matches.emplace_back(seq, std::move(stored->finding));
      }
    }
  }
  for (const auto& [seq, f] : matches) {
    VIGIL_TRY(auto up, db_->Prepare("UPDATE findings SET workflow = 'SUPPRESSED', updated_at = ? "
                                    "WHERE seq = ?"));
    up->Bind(1, std::int64_t{std::max(now, f.updated_at + 1'000'000)});
    up->Bind(2, seq);
    VIGIL_TRY_STATUS(up->Run());
    VIGIL_TRY_STATUS(AddHistory(seq, now, rule.actor.empty() ? "vigil" : rule.actor, f.workflow,
                                WorkflowStatus::kSuppressed, ArchiveNote(rule)));
  }
  VIGIL_TRY_STATUS(tx.Commit());
  return std::make_pair(std::move(rule), matches.size());
}

Status SqliteFindingStore::DeleteSuppression(std::string_view id) {
  VIGIL_TRY(auto st, db_->Prepare("DELETE FROM suppressions WHERE id = ?"));
  st->Bind(1, id);
  VIGIL_TRY_STATUS(st->Run());
  if (db_->Changes() == 0) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no suppression with id '{}'", id));
  }
  return Ok();
}

Result<std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>>>
SqliteFindingStore::CountByTypeAndSeverity() {
  VIGIL_TRY(auto st, db_->Prepare("SELECT type, severity, count(*) FROM findings "
                                  "GROUP BY type, severity ORDER BY type, severity"));
  std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>> out;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    const std::int64_t sev = st->ColumnInt(1);
    std::string name =
        sev >= 0 && sev <= 4
            ? std::string(findings::SeverityName(static_cast<findings::Severity>(sev)))
            : std::to_string(sev);
    out.push_back(
        {{st->ColumnText(0), std::move(name)}, static_cast<std::uint64_t>(st->ColumnInt(2))});
  }
  return out;
}

}  // namespace vigil::store
