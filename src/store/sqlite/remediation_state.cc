#include "store/sqlite/remediation_state.h"

#include <fmt/format.h>

#include "remediate/journal.h"

namespace vigil::store {
namespace {

using remediate::ActionRecord;
using remediate::FindingState;
using remediate::JournalEntry;
using remediate::PlanRecord;
using remediate::TicketLink;

Result<nlohmann::json> ParseJsonColumn(const std::string& text, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kIo, fmt::format("remediation store: {} is not JSON", what));
  }
  return j;
}

constexpr std::string_view kPlanColumns =
    "seq, id, finding_id, playbook, mode, state, created_at, expires_at, hash, changes, ticket, "
    "note";

Result<PlanRecord> ReadPlan(const sqlite::Statement& st) {
  PlanRecord p;
  p.id = st.ColumnText(1);
  p.finding_id = st.ColumnText(2);
  p.playbook = st.ColumnText(3);
  p.mode = st.ColumnText(4);
  auto state = remediate::ParsePlanState(st.ColumnText(5));
  if (!state) return MakeError(ErrorCode::kIo, "remediation store: a plan has an unknown state");
  p.state = *state;
  p.created_at = st.ColumnInt(6);
  p.expires_at = st.ColumnInt(7);
  p.hash = st.ColumnText(8);
  VIGIL_TRY(p.changes, ParseJsonColumn(st.ColumnText(9), "plan changes"));
  VIGIL_TRY(p.ticket, ParseJsonColumn(st.ColumnText(10), "plan ticket"));
  p.note = st.ColumnText(11);
  return p;
}

Result<JournalEntry> ReadEntry(const sqlite::Statement& st) {
  JournalEntry e;
  e.seq = st.ColumnInt(0);
  e.time = st.ColumnInt(1);
  e.kind = st.ColumnText(2);
  e.finding_id = st.ColumnText(3);
  e.plan_id = st.ColumnText(4);
  e.action_id = st.ColumnText(5);
  // A detail that no longer parses (tampered) still has to reach VerifyJournal: keep it as text.
  auto detail = nlohmann::json::parse(st.ColumnText(6), nullptr, false);
  e.detail = detail.is_discarded() ? nlohmann::json(st.ColumnText(6)) : detail;
  e.prev_hash = st.ColumnText(7);
  e.hash = st.ColumnText(8);
  return e;
}

}  // namespace

Result<std::unique_ptr<SqliteRemediationState>> SqliteRemediationState::Open(
    const std::string& path, const SqliteOptions& options) {
  VIGIL_TRY(auto db, OpenStoreDatabase(path, options));
  return std::unique_ptr<SqliteRemediationState>(new SqliteRemediationState(std::move(db)));
}

Result<std::optional<TicketLink>> SqliteRemediationState::GetTicket(std::string_view finding_id,
                                                                    std::string_view tracker) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT key, url, open, playbook, opened_at, last_comment_at, "
                                  "last_status FROM remediation_tickets WHERE finding_id = ? AND "
                                  "tracker = ?"));
  st->Bind(1, finding_id);
  st->Bind(2, tracker);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return std::optional<TicketLink>();
  TicketLink t;
  t.finding_id = std::string(finding_id);
  t.tracker = std::string(tracker);
  t.key = st->ColumnText(0);
  t.url = st->ColumnText(1);
  t.open = st->ColumnInt(2) != 0;
  t.playbook = st->ColumnText(3);
  t.opened_at = st->ColumnInt(4);
  t.last_comment_at = st->ColumnInt(5);
  t.last_status = st->ColumnText(6);
  return std::optional<TicketLink>(std::move(t));
}

Status SqliteRemediationState::PutTicket(const TicketLink& t) {
  VIGIL_TRY(auto st, db_->Prepare("INSERT OR REPLACE INTO remediation_tickets (finding_id, "
                                  "tracker, key, url, open, playbook, opened_at, "
                                  "last_comment_at, last_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                                  "?)"));
  st->Bind(1, t.finding_id);
  st->Bind(2, t.tracker);
  st->Bind(3, t.key);
  st->Bind(4, t.url);
  st->Bind(5, std::int64_t{t.open ? 1 : 0});
  st->Bind(6, t.playbook);
  st->Bind(7, std::int64_t{t.opened_at});
  st->Bind(8, std::int64_t{t.last_comment_at});
  st->Bind(9, t.last_status);
  return st->Run();
}

// Insert, or take over a claim that ran out or is the owner's own; RETURNING yields a row only
// when the row was written. The write lock makes it atomic across processes sharing the file.
Result<bool> SqliteRemediationState::TryClaim(std::string_view finding_id,
                                              std::string_view owner,
                                              UnixNanos now,
                                              UnixNanos ttl) {
  VIGIL_TRY(auto st, db_->Prepare(
                         "INSERT INTO remediation_claims (finding_id, owner, claimed_at, "
                         "expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (finding_id) DO UPDATE SET "
                         "owner = excluded.owner, claimed_at = excluded.claimed_at, expires_at = "
                         "excluded.expires_at WHERE remediation_claims.expires_at <= "
                         "excluded.claimed_at OR remediation_claims.owner = excluded.owner "
                         "RETURNING owner"));
  st->Bind(1, finding_id);
  st->Bind(2, owner);
  st->Bind(3, std::int64_t{now});
  st->Bind(4, std::int64_t{now + ttl});
  VIGIL_TRY(bool row, st->Step());
  if (row) {
    VIGIL_TRY_STATUS(st->Run());  // finish the statement
  }
  return row;
}

Status SqliteRemediationState::ReleaseClaim(std::string_view finding_id, std::string_view owner) {
  VIGIL_TRY(auto st,
            db_->Prepare("DELETE FROM remediation_claims WHERE finding_id = ? AND owner = ?"));
  st->Bind(1, finding_id);
  st->Bind(2, owner);
  return st->Run();
}

Result<FindingState> SqliteRemediationState::GetState(std::string_view finding_id) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT attempts, escalated, flapping, fixed_at, "
                                  "awaiting_since, suppressed_until, note FROM remediation_state "
                                  "WHERE finding_id = ?"));
  st->Bind(1, finding_id);
  FindingState s;
  s.finding_id = std::string(finding_id);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return s;
  s.attempts = static_cast<std::uint32_t>(st->ColumnInt(0));
  s.escalated = st->ColumnInt(1) != 0;
  s.flapping = st->ColumnInt(2) != 0;
  s.fixed_at = st->ColumnInt(3);
  s.awaiting_verification_since = st->ColumnInt(4);
  s.suppressed_until = st->ColumnInt(5);
  s.note = st->ColumnText(6);
  return s;
}

Status SqliteRemediationState::PutState(const FindingState& s) {
  VIGIL_TRY(auto st, db_->Prepare("INSERT OR REPLACE INTO remediation_state (finding_id, "
                                  "attempts, escalated, flapping, fixed_at, awaiting_since, "
                                  "suppressed_until, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, s.finding_id);
  st->Bind(2, std::int64_t{s.attempts});
  st->Bind(3, std::int64_t{s.escalated ? 1 : 0});
  st->Bind(4, std::int64_t{s.flapping ? 1 : 0});
  st->Bind(5, std::int64_t{s.fixed_at});
  st->Bind(6, std::int64_t{s.awaiting_verification_since});
  st->Bind(7, std::int64_t{s.suppressed_until});
  st->Bind(8, s.note);
  return st->Run();
}

Result<std::size_t> SqliteRemediationState::CountEscalated() {
  VIGIL_TRY(auto st, db_->Prepare("SELECT count(*) FROM remediation_state WHERE escalated = 1 OR "
                                  "flapping = 1"));
  VIGIL_TRY(bool row, st->Step());
  return row ? static_cast<std::size_t>(st->ColumnInt(0)) : 0;
}

Status SqliteRemediationState::PutPlan(const PlanRecord& p) {
  VIGIL_TRY(auto st, db_->Prepare(
                         "INSERT INTO remediation_plans (id, finding_id, playbook, mode, state, "
                         "created_at, expires_at, hash, changes, ticket, note) VALUES (?, ?, ?, ?, "
                         "?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = "
                         "excluded.state, expires_at = excluded.expires_at, hash = excluded.hash, "
                         "changes = excluded.changes, ticket = excluded.ticket, note = "
                         "excluded.note, mode = excluded.mode"));
  st->Bind(1, p.id);
  st->Bind(2, p.finding_id);
  st->Bind(3, p.playbook);
  st->Bind(4, p.mode);
  st->Bind(5, remediate::PlanStateName(p.state));
  st->Bind(6, std::int64_t{p.created_at});
  st->Bind(7, std::int64_t{p.expires_at});
  st->Bind(8, p.hash);
  st->Bind(9, p.changes.dump());
  st->Bind(10, p.ticket.dump());
  st->Bind(11, p.note);
  return st->Run();
}

Result<PlanRecord> SqliteRemediationState::GetPlan(std::string_view id) {
  VIGIL_TRY(auto st, db_->Prepare(fmt::format("SELECT {} FROM remediation_plans WHERE id = ?",
                                              kPlanColumns)));
  st->Bind(1, id);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return MakeError(ErrorCode::kNotFound, fmt::format("no plan '{}'", id));
  return ReadPlan(*st);
}

Result<remediate::PlanPage> SqliteRemediationState::ListPlans(const remediate::PlanQuery& q) {
  std::int64_t before = INT64_MAX;
  if (!q.cursor.empty()) {
    try {
      before = std::stoll(q.cursor);
    } catch (...) {
      return MakeError(ErrorCode::kInvalidArgument, "cursor: not a cursor from a previous page");
    }
  }
  const std::size_t limit = q.limit == 0 ? 100 : q.limit;
  VIGIL_TRY(auto st,
            db_->Prepare(fmt::format("SELECT {} FROM remediation_plans WHERE seq < ? AND (? = '' "
                                     "OR state = ?) AND (? = '' OR finding_id = ?) ORDER BY seq "
                                     "DESC LIMIT ?",
                                     kPlanColumns)));
  const std::string state = q.state ? std::string(remediate::PlanStateName(*q.state)) : "";
  st->Bind(1, before);
  st->Bind(2, state);
  st->Bind(3, state);
  st->Bind(4, q.finding_id);
  st->Bind(5, q.finding_id);
  st->Bind(6, static_cast<std::int64_t>(limit + 1));
  remediate::PlanPage page;
  std::int64_t last_seq = 0;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    if (page.plans.size() == limit) {
      page.next_cursor = std::to_string(last_seq);
      break;
    }
    last_seq = st->ColumnInt(0);
    VIGIL_TRY(PlanRecord p, ReadPlan(*st));
    page.plans.push_back(std::move(p));
  }
  return page;
}

Status SqliteRemediationState::PutAction(const ActionRecord& a) {
  VIGIL_TRY(auto st, db_->Prepare("INSERT OR REPLACE INTO remediation_actions (id, plan_id, "
                                  "finding_id, playbook, change, outcome, applied, at, "
                                  "rolled_back_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, a.id);
  st->Bind(2, a.plan_id);
  st->Bind(3, a.finding_id);
  st->Bind(4, a.playbook);
  st->Bind(5, a.change.dump());
  st->Bind(6, a.outcome.dump());
  st->Bind(7, std::int64_t{a.applied ? 1 : 0});
  st->Bind(8, std::int64_t{a.at});
  st->Bind(9, std::int64_t{a.rolled_back_at});
  return st->Run();
}

Result<ActionRecord> SqliteRemediationState::GetAction(std::string_view id) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT plan_id, finding_id, playbook, change, outcome, "
                                  "applied, at, rolled_back_at FROM remediation_actions WHERE id "
                                  "= ?"));
  st->Bind(1, id);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return MakeError(ErrorCode::kNotFound, fmt::format("no action '{}'", id));
  ActionRecord a;
  a.id = std::string(id);
  a.plan_id = st->ColumnText(0);
  a.finding_id = st->ColumnText(1);
  a.playbook = st->ColumnText(2);
  VIGIL_TRY(a.change, ParseJsonColumn(st->ColumnText(3), "action change"));
  VIGIL_TRY(a.outcome, ParseJsonColumn(st->ColumnText(4), "action outcome"));
  a.applied = st->ColumnInt(5) != 0;
  a.at = st->ColumnInt(6);
  a.rolled_back_at = st->ColumnInt(7);
  return a;
}

Result<std::size_t> SqliteRemediationState::CountAppliedSince(std::string_view playbook,
                                                              UnixNanos since) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT count(*) FROM remediation_actions WHERE applied = 1 AND "
                                  "at >= ? AND (? = '' OR playbook = ?)"));
  st->Bind(1, std::int64_t{since});
  st->Bind(2, playbook);
  st->Bind(3, playbook);
  VIGIL_TRY(bool row, st->Step());
  return row ? static_cast<std::size_t>(st->ColumnInt(0)) : 0;
}

Result<JournalEntry> SqliteRemediationState::AppendJournal(JournalEntry e) {
  VIGIL_TRY(auto tx, sqlite::Transaction::Begin(*db_));
  {
    VIGIL_TRY(auto st, db_->Prepare("SELECT seq, hash FROM remediation_journal ORDER BY seq DESC "
                                    "LIMIT 1"));
    VIGIL_TRY(bool row, st->Step());
    e.seq = row ? st->ColumnInt(0) + 1 : 1;
    e.prev_hash = row ? st->ColumnText(1) : "";
  }
  e.hash = remediate::JournalHash(e);
  {
    VIGIL_TRY(auto st, db_->Prepare("INSERT INTO remediation_journal (seq, time, kind, "
                                    "finding_id, plan_id, action_id, detail, prev_hash, hash) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    st->Bind(1, e.seq);
    st->Bind(2, std::int64_t{e.time});
    st->Bind(3, e.kind);
    st->Bind(4, e.finding_id);
    st->Bind(5, e.plan_id);
    st->Bind(6, e.action_id);
    st->Bind(7, e.detail.dump());
    st->Bind(8, e.prev_hash);
    st->Bind(9, e.hash);
    VIGIL_TRY_STATUS(st->Run());
  }
  VIGIL_TRY_STATUS(tx.Commit());
  return e;
}

Result<std::vector<JournalEntry>> SqliteRemediationState::ListJournal(
    std::int64_t after_seq, std::size_t limit, std::string_view finding_id) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT seq, time, kind, finding_id, plan_id, action_id, "
                                  "detail, prev_hash, hash FROM remediation_journal WHERE seq > ? "
                                  "AND (? = '' OR finding_id = ?) ORDER BY seq LIMIT ?"));
  st->Bind(1, after_seq);
  st->Bind(2, finding_id);
  st->Bind(3, finding_id);
  st->Bind(4, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
  std::vector<JournalEntry> out;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    VIGIL_TRY(JournalEntry e, ReadEntry(*st));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigil::store
