#include "store/postgres/remediation_state.h"

#include <fmt/format.h>

#include "remediate/journal.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/remediation_state.h"

namespace vigil::store {
namespace {

using pg::Params;
using pg::Rows;
using remediate::ActionRecord;
using remediate::FindingState;
using remediate::JournalEntry;
using remediate::PlanRecord;
using remediate::TicketLink;

// The advisory lock the journal is appended under ("VGIL" and 5, the migration of the tables).
constexpr std::int64_t kJournalLockKey = 0x5647494C00000005;

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

Result<PlanRecord> ReadPlan(const Rows& r, int i) {
  PlanRecord p;
  p.id = r.Text(i, 1);
  p.finding_id = r.Text(i, 2);
  p.playbook = r.Text(i, 3);
  p.mode = r.Text(i, 4);
  auto state = remediate::ParsePlanState(r.Text(i, 5));
  if (!state) return MakeError(ErrorCode::kIo, "remediation store: a plan has an unknown state");
  p.state = *state;
  p.created_at = r.Int(i, 6);
  p.expires_at = r.Int(i, 7);
  p.hash = r.Text(i, 8);
  VIGIL_TRY(p.changes, ParseJsonColumn(r.Text(i, 9), "plan changes"));
  VIGIL_TRY(p.ticket, ParseJsonColumn(r.Text(i, 10), "plan ticket"));
  p.note = r.Text(i, 11);
  return p;
}

JournalEntry ReadEntry(const Rows& r, int i) {
  JournalEntry e;
  e.seq = r.Int(i, 0);
  e.time = r.Int(i, 1);
  e.kind = r.Text(i, 2);
  e.finding_id = r.Text(i, 3);
  e.plan_id = r.Text(i, 4);
  e.action_id = r.Text(i, 5);
  // A detail that no longer parses (tampered) still has to reach VerifyJournal: keep it as text.
  auto detail = nlohmann::json::parse(r.Text(i, 6), nullptr, false);
  e.detail = detail.is_discarded() ? nlohmann::json(r.Text(i, 6)) : detail;
  e.prev_hash = r.Text(i, 7);
  e.hash = r.Text(i, 8);
  return e;
}

}  // namespace

Result<std::unique_ptr<PgRemediationState>> PgRemediationState::Open(std::string_view url) {
  VIGIL_TRY(auto conn, OpenPgDatabase(url));
  return std::unique_ptr<PgRemediationState>(new PgRemediationState(std::move(conn)));
}

Status PgRemediationState::Run(std::string_view sql, const Params& params) {
  VIGIL_TRY(Rows r, conn_->Query(sql, params));
  (void)r;
  return Ok();
}

Result<std::optional<TicketLink>> PgRemediationState::GetTicket(std::string_view finding_id,
                                                                std::string_view tracker) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT key, url, open, playbook, opened_at, last_comment_at, "
                                 "last_status FROM remediation_tickets WHERE finding_id = $1 AND "
                                 "tracker = $2",
                                 Params().Text(finding_id).Text(tracker)));
  if (r.empty()) return std::optional<TicketLink>();
  TicketLink t;
  t.finding_id = std::string(finding_id);
  t.tracker = std::string(tracker);
  t.key = r.Text(0, 0);
  t.url = r.Text(0, 1);
  t.open = r.Int(0, 2) != 0;
  t.playbook = r.Text(0, 3);
  t.opened_at = r.Int(0, 4);
  t.last_comment_at = r.Int(0, 5);
  t.last_status = r.Text(0, 6);
  return std::optional<TicketLink>(std::move(t));
}

Status PgRemediationState::PutTicket(const TicketLink& t) {
  return Run("INSERT INTO remediation_tickets (finding_id, tracker, key, url, open, playbook, "
             "opened_at, last_comment_at, last_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
             "$9) ON CONFLICT (finding_id, tracker) DO UPDATE SET key = excluded.key, url = "
             "excluded.url, open = excluded.open, playbook = excluded.playbook, opened_at = "
             "excluded.opened_at, last_comment_at = excluded.last_comment_at, last_status = "
             "excluded.last_status",
             Params()
                 .Text(t.finding_id)
                 .Text(t.tracker)
                 .Text(t.key)
                 .Text(t.url)
                 .Int(t.open ? 1 : 0)
                 .Text(t.playbook)
                 .Int(t.opened_at)
                 .Int(t.last_comment_at)
                 .Text(t.last_status));
}

// Insert, or take over a claim that ran out or is the owner's own. ON CONFLICT locks the row, so
// of two engines racing for one finding exactly one gets a row back.
Result<bool> PgRemediationState::TryClaim(std::string_view finding_id,
                                          std::string_view owner,
                                          UnixNanos now,
                                          UnixNanos ttl) {
  VIGIL_TRY(Rows r,
            conn_->Query("INSERT INTO remediation_claims (finding_id, owner, claimed_at, "
                         "expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (finding_id) DO UPDATE "
                         "SET owner = excluded.owner, claimed_at = excluded.claimed_at, "
                         "expires_at = excluded.expires_at WHERE remediation_claims.expires_at "
                         "<= excluded.claimed_at OR remediation_claims.owner = excluded.owner "
                         "RETURNING owner",
                         Params().Text(finding_id).Text(owner).Int(now).Int(now + ttl)));
  return !r.empty();
}

Status PgRemediationState::ReleaseClaim(std::string_view finding_id, std::string_view owner) {
  return Run("DELETE FROM remediation_claims WHERE finding_id = $1 AND owner = $2",
             Params().Text(finding_id).Text(owner));
}

Result<FindingState> PgRemediationState::GetState(std::string_view finding_id) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT attempts, escalated, flapping, fixed_at, "
                                 "awaiting_since, suppressed_until, note FROM remediation_state "
                                 "WHERE finding_id = $1",
                                 Params().Text(finding_id)));
  FindingState s;
  s.finding_id = std::string(finding_id);
  if (r.empty()) return s;
  s.attempts = static_cast<std::uint32_t>(r.Int(0, 0));
  s.escalated = r.Int(0, 1) != 0;
  s.flapping = r.Int(0, 2) != 0;
  s.fixed_at = r.Int(0, 3);
  s.awaiting_verification_since = r.Int(0, 4);
  s.suppressed_until = r.Int(0, 5);
  s.note = r.Text(0, 6);
  return s;
}

Status PgRemediationState::PutState(const FindingState& s) {
  return Run("INSERT INTO remediation_state (finding_id, attempts, escalated, flapping, fixed_at, "
             "awaiting_since, suppressed_until, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
             "ON CONFLICT (finding_id) DO UPDATE SET attempts = excluded.attempts, escalated = "
             "excluded.escalated, flapping = excluded.flapping, fixed_at = excluded.fixed_at, "
             "awaiting_since = excluded.awaiting_since, suppressed_until = "
             "excluded.suppressed_until, note = excluded.note",
             Params()
                 .Text(s.finding_id)
                 .Int(s.attempts)
                 .Int(s.escalated ? 1 : 0)
                 .Int(s.flapping ? 1 : 0)
                 .Int(s.fixed_at)
                 .Int(s.awaiting_verification_since)
                 .Int(s.suppressed_until)
                 .Text(s.note));
}

Result<std::size_t> PgRemediationState::CountEscalated() {
  VIGIL_TRY(Rows r, conn_->Query("SELECT count(*) FROM remediation_state WHERE escalated = 1 OR "
                                 "flapping = 1"));
  return static_cast<std::size_t>(r.Int(0, 0));
}

Status PgRemediationState::PutPlan(const PlanRecord& p) {
  return Run("INSERT INTO remediation_plans (id, finding_id, playbook, mode, state, created_at, "
             "expires_at, hash, changes, ticket, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
             "$9, $10, $11) ON CONFLICT (id) DO UPDATE SET state = excluded.state, expires_at = "
             "excluded.expires_at, hash = excluded.hash, changes = excluded.changes, ticket = "
             "excluded.ticket, note = excluded.note, mode = excluded.mode",
             Params()
                 .Text(p.id)
                 .Text(p.finding_id)
                 .Text(p.playbook)
                 .Text(p.mode)
                 .Text(remediate::PlanStateName(p.state))
                 .Int(p.created_at)
                 .Int(p.expires_at)
                 .Text(p.hash)
                 .Text(p.changes.dump())
                 .Text(p.ticket.dump())
                 .Text(p.note));
}

Result<PlanRecord> PgRemediationState::GetPlan(std::string_view id) {
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {} FROM remediation_plans WHERE id = $1",
                                             kPlanColumns),
                                 Params().Text(id)));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, fmt::format("no plan '{}'", id));
  return ReadPlan(r, 0);
}

Result<remediate::PlanPage> PgRemediationState::ListPlans(const remediate::PlanQuery& q) {
  std::int64_t before = INT64_MAX;
  if (!q.cursor.empty()) {
    try {
      before = std::stoll(q.cursor);
    } catch (...) {
      return MakeError(ErrorCode::kInvalidArgument, "cursor: not a cursor from a previous page");
    }
  }
  const std::size_t limit = q.limit == 0 ? 100 : q.limit;
  const std::string state = q.state ? std::string(remediate::PlanStateName(*q.state)) : "";
  VIGIL_TRY(Rows r, conn_->Query(fmt::format("SELECT {} FROM remediation_plans WHERE seq < $1 "
                                             "AND ($2 = '' OR state = $2) AND ($3 = '' OR "
                                             "finding_id = $3) ORDER BY seq DESC LIMIT $4",
                                             kPlanColumns),
                                 Params().Int(before).Text(state).Text(q.finding_id).Int(
                                     static_cast<std::int64_t>(limit + 1))));
  remediate::PlanPage page;
  std::int64_t last_seq = 0;
  for (int i = 0; i < r.size(); ++i) {
    if (page.plans.size() == limit) {
      page.next_cursor = std::to_string(last_seq);
      break;
    }
    last_seq = r.Int(i, 0);
    VIGIL_TRY(PlanRecord p, ReadPlan(r, i));
    page.plans.push_back(std::move(p));
  }
  return page;
}

Status PgRemediationState::PutAction(const ActionRecord& a) {
  return Run("INSERT INTO remediation_actions (id, plan_id, finding_id, playbook, change, "
             "outcome, applied, at, rolled_back_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
             "ON CONFLICT (id) DO UPDATE SET plan_id = excluded.plan_id, finding_id = "
             "excluded.finding_id, playbook = excluded.playbook, change = excluded.change, "
             "outcome = excluded.outcome, applied = excluded.applied, at = excluded.at, "
             "rolled_back_at = excluded.rolled_back_at",
             Params()
                 .Text(a.id)
                 .Text(a.plan_id)
                 .Text(a.finding_id)
                 .Text(a.playbook)
                 .Text(a.change.dump())
                 .Text(a.outcome.dump())
                 .Int(a.applied ? 1 : 0)
                 .Int(a.at)
                 .Int(a.rolled_back_at));
}

Result<ActionRecord> PgRemediationState::GetAction(std::string_view id) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT plan_id, finding_id, playbook, change, outcome, "
                                 "applied, at, rolled_back_at FROM remediation_actions WHERE id "
                                 "= $1",
                                 Params().Text(id)));
  if (r.empty()) return MakeError(ErrorCode::kNotFound, fmt::format("no action '{}'", id));
  ActionRecord a;
  a.id = std::string(id);
  a.plan_id = r.Text(0, 0);
  a.finding_id = r.Text(0, 1);
  a.playbook = r.Text(0, 2);
  VIGIL_TRY(a.change, ParseJsonColumn(r.Text(0, 3), "action change"));
  VIGIL_TRY(a.outcome, ParseJsonColumn(r.Text(0, 4), "action outcome"));
  a.applied = r.Int(0, 5) != 0;
  a.at = r.Int(0, 6);
  a.rolled_back_at = r.Int(0, 7);
  return a;
}

Result<std::size_t> PgRemediationState::CountAppliedSince(std::string_view playbook,
                                                          UnixNanos since) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT count(*) FROM remediation_actions WHERE applied = 1 AND "
                                 "at >= $1 AND ($2 = '' OR playbook = $2)",
                                 Params().Int(since).Text(playbook)));
  return static_cast<std::size_t>(r.Int(0, 0));
}

Result<JournalEntry> PgRemediationState::AppendJournal(JournalEntry e) {
  return pg::RetryTransaction(*conn_, 5, [&] { return AppendOnce(e); });
}

Result<JournalEntry> PgRemediationState::AppendOnce(JournalEntry e) {
  VIGIL_TRY(pg::Transaction tx, pg::Transaction::Begin(*conn_));
  // One appender at a time across workers: the chain's next link depends on the last one.
  VIGIL_TRY_STATUS(Run("SELECT pg_advisory_xact_lock($1)", Params().Int(kJournalLockKey)));
  {
    VIGIL_TRY(Rows r, conn_->Query("SELECT seq, hash FROM remediation_journal ORDER BY seq DESC "
                                   "LIMIT 1"));
    e.seq = r.empty() ? 1 : r.Int(0, 0) + 1;
    e.prev_hash = r.empty() ? "" : r.Text(0, 1);
  }
  e.hash = remediate::JournalHash(e);
  VIGIL_TRY_STATUS(Run("INSERT INTO remediation_journal (seq, time, kind, finding_id, plan_id, "
                       "action_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                       "$8, $9)",
                       Params()
                           .Int(e.seq)
                           .Int(e.time)
                           .Text(e.kind)
                           .Text(e.finding_id)
                           .Text(e.plan_id)
                           .Text(e.action_id)
                           .Text(e.detail.dump())
                           .Text(e.prev_hash)
                           .Text(e.hash)));
  VIGIL_TRY_STATUS(tx.Commit());
  return e;
}

Result<std::vector<JournalEntry>> PgRemediationState::ListJournal(std::int64_t after_seq,
                                                                  std::size_t limit,
                                                                  std::string_view finding_id) {
  Params p;
  p.Int(after_seq).Text(finding_id);
  if (limit == 0) {
    p.Null();
  } else {
    p.Int(static_cast<std::int64_t>(limit));
  }
  VIGIL_TRY(Rows r, conn_->Query("SELECT seq, time, kind, finding_id, plan_id, action_id, detail, "
                                 "prev_hash, hash FROM remediation_journal WHERE seq > $1 AND ($2 "
                                 "= '' OR finding_id = $2) ORDER BY seq LIMIT $3",
                                 p));
  std::vector<JournalEntry> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadEntry(r, i));
  return out;
}

Result<std::unique_ptr<remediate::RemediationStateStore>> OpenRemediationState(
    std::string_view location) {
  if (pg::IsPostgresUrl(location)) {
    VIGIL_TRY(auto s, PgRemediationState::Open(location));
    return std::unique_ptr<remediate::RemediationStateStore>(std::move(s));
  }
  if (location.starts_with("sqlite:")) location.remove_prefix(std::string_view("sqlite:").size());
  VIGIL_TRY(auto s, SqliteRemediationState::Open(std::string(location)));
  return std::unique_ptr<remediate::RemediationStateStore>(std::move(s));
}

}  // namespace vigil::store
