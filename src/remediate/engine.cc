#include "remediate/engine.h"

#include <fmt/format.h>
#include <cstdio>

#include <unistd.h>

#include <algorithm>
#include <random>

#include "base/hash.h"
#include "remediate/journal.h"
#include "remediate/ticket.h"

namespace vigil::remediate {
namespace {

using findings::ComplianceStatus;
using findings::Finding;
using findings::Severity;
using findings::WorkflowStatus;

constexpr UnixNanos kSecond = 1'000'000'000;
constexpr UnixNanos kHour = 3600 * kSecond;

bool Contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool IsResolved(const Finding& f) {
  if (f.compliance) return f.compliance->status == ComplianceStatus::kPassed;
  return f.workflow == WorkflowStatus::kResolved;
}

bool IsFailing(const Finding& f, Severity min_severity) {
  if (f.compliance) return f.compliance->status == ComplianceStatus::kFailed;
  if (f.workflow == WorkflowStatus::kResolved || f.workflow == WorkflowStatus::kSuppressed)
    return false;
  return f.severity != Severity::kInformational && f.severity >= min_severity;
}

std::string Rfc(UnixNanos t) { return FormatRfc3339(t, 0); }

// One argument as a person would type it into a POSIX shell (for display only: vigil itself never
// runs a shell).
std::string ShellQuoted(const std::string& arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of(
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_./:=@,+-") == std::string::npos;
  if (plain) return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string PlanHash(const nlohmann::json& changes) {
  nlohmann::json bound = nlohmann::json::array();
  for (const auto& c : changes) {
    bound.push_back({{"action", c.value("action", "")},
                     {"target", c.value("target", "")},
                     {"detail", c.contains("detail") ? c["detail"] : nlohmann::json()}});
  }
  return Sha256Hex("vigil-plan/v1\n" + bound.dump());
}

nlohmann::json ChangeToJson(const PlannedChange& c) {
  return {{"action", c.action}, {"target", c.target}, {"summary", c.summary}, {"detail", c.detail}};
}

PlannedChange ChangeFromJson(const nlohmann::json& j) {
  PlannedChange c;
  c.action = j.value("action", "");
  c.target = j.value("target", "");
  c.summary = j.value("summary", "");
  if (j.contains("detail")) c.detail = j["detail"];
  return c;
}

nlohmann::json PlanJson(const PlanRecord& p) {
  nlohmann::json changes = nlohmann::json::array();
  std::string diff;
  for (const auto& c : p.changes) {
    changes.push_back({{"action", c.value("action", "")},
                       {"target", c.value("target", "")},
                       {"summary", c.value("summary", "")},
                       {"detail", c.contains("detail") ? c["detail"] : nlohmann::json()}});
    const auto& d = c.contains("detail") ? c["detail"] : nlohmann::json();
    if (d.is_object() && d.contains("before") && d.contains("after")) {
      diff += fmt::format("--- {} (before)\n+++ {} (after)\n-{}\n+{}\n", c.value("target", ""),
                          c.value("target", ""), d["before"].dump(), d["after"].dump());
    } else {
      diff += fmt::format("+ {}: {}\n", c.value("target", ""), c.value("summary", ""));
    }
  }
  nlohmann::json j = {{"id", p.id},
                      {"finding_id", p.finding_id},
                      {"playbook", p.playbook},
                      {"mode", p.mode},
                      {"state", PlanStateName(p.state)},
                      {"created_at", Rfc(p.created_at)},
                      {"expires_at", p.expires_at != 0 ? nlohmann::json(Rfc(p.expires_at))
                                                       : nlohmann::json(nullptr)},
                      {"hash", p.hash},
                      {"changes", changes},
                      {"diff", diff},
                      {"ticket", p.ticket.is_object() ? p.ticket : nlohmann::json(nullptr)}};
  if (!p.note.empty()) j["note"] = p.note;
  return j;
}

std::string ReportText(const RunReport& r) {
  std::string out;
  std::size_t opens = 0, updates = 0, closes = 0;
  for (const TicketOp& t : r.tickets) {
    if (t.op == "open" || t.op == "rebuild") ++opens;
    else if (t.op == "close") ++closes;
    else ++updates;
  }
  std::size_t changes = 0;
  for (const PlanRecord& p : r.plans) changes += p.changes.size();
  out += fmt::format("{}: {} finding(s) seen, {} matched a playbook\n",
                     r.executed ? "remediation run" : "remediation plan (nothing was done)",
                     r.findings_seen, r.findings_matched);
  out += fmt::format("tickets: {} to open, {} to update, {} to close; {} plan(s), {} change(s)\n",
                     opens, updates, closes, r.plans.size(), changes);
  if (!r.tickets.empty()) out += "\nTickets\n";
  for (const TicketOp& t : r.tickets) {
    out += fmt::format("  {:<8} {} {}{}{}\n", t.op, t.tracker,
                       t.key.empty() ? std::string("(new)") : "#" + t.key,
                       t.title.empty() ? "" : "  " + t.title,
                       t.reason.empty() ? "" : "  — " + t.reason);
    if (t.failed) out += "           FAILED (will be retried)\n";
  }
  if (!r.plans.empty()) out += "\nChanges\n";
  for (const PlanRecord& p : r.plans) {
    out += fmt::format("  plan {} [{}] playbook {} mode {} finding {}\n    hash {}\n", p.id,
                       PlanStateName(p.state), p.playbook, p.mode, p.finding_id, p.hash);
    if (!p.note.empty()) out += fmt::format("    note: {}\n", p.note);
    for (const auto& c : p.changes) {
      out += fmt::format("    - {} {}: {}\n", c.value("action", ""), c.value("target", ""),
                         c.value("summary", ""));
      const auto& d = c.contains("detail") ? c["detail"] : nlohmann::json();
      if (d.is_object() && d.contains("argv")) {
        std::string line;
        for (const auto& a : d["argv"]) {
          if (!line.empty()) line += ' ';
          line += ShellQuoted(a.is_string() ? a.get<std::string>() : "");
        }
        out += fmt::format("        $ {}\n", line);
      }
    }
  }
  if (!r.notes.empty()) out += "\nNotes\n";
  for (const RunNote& n : r.notes) {
    out += fmt::format("  {:<12} finding {} ({}): {}\n", n.kind, n.finding_id, n.playbook, n.text);
  }
  return out;
}

nlohmann::json ReportJson(const RunReport& r) {
  nlohmann::json tickets = nlohmann::json::array();
  for (const TicketOp& t : r.tickets) {
    tickets.push_back({{"op", t.op},
                       {"finding_id", t.finding_id},
                       {"tracker", t.tracker},
                       {"key", t.key},
                       {"url", t.url},
                       {"title", t.title},
                       {"reason", t.reason},
                       {"failed", t.failed}});
  }
  nlohmann::json plans = nlohmann::json::array();
  for (const PlanRecord& p : r.plans) plans.push_back(PlanJson(p));
  nlohmann::json notes = nlohmann::json::array();
  for (const RunNote& n : r.notes) {
    notes.push_back(
        {{"finding_id", n.finding_id}, {"playbook", n.playbook}, {"kind", n.kind}, {"text", n.text}});
  }
  return {{"executed", r.executed},
          {"findings_seen", r.findings_seen},
          {"findings_matched", r.findings_matched},
          {"tickets", tickets},
          {"plans", plans},
          {"notes", notes}};
}

namespace {

// host:pid:random — unique per Engine, and says in the table which process holds a claim.
std::string MakeClaimOwner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return fmt::format("{}:{}:{:08x}", host, ::getpid(), rd());
}

// Gives a claim up when the work on the finding ends, however it ends. A failed release is
// printed; the claim then runs out after its ttl.
class ClaimRelease {
 public:
  ClaimRelease(RemediationStateStore* state, std::string finding_id, std::string_view owner)
      : state_(state), finding_id_(std::move(finding_id)), owner_(owner) {}
  ClaimRelease(const ClaimRelease&) = delete;
  ClaimRelease& operator=(const ClaimRelease&) = delete;
  ~ClaimRelease() {
    Status s = state_->ReleaseClaim(finding_id_, owner_);
    if (!s) {
      fmt::print(stderr, "vigil remediate: could not release the claim on finding {}: {}\n",
                 finding_id_, s.error().message);
    }
  }

 private:
  RemediationStateStore* state_;
  std::string finding_id_;
  std::string_view owner_;
};

}  // namespace

Engine::Engine(EngineDeps deps) : d_(std::move(deps)) {
  if (d_.claim_owner.empty()) d_.claim_owner = MakeClaimOwner();
}

bool IsBusy(const Error& e) { return e.code == ErrorCode::kIo && e.message.starts_with("busy: "); }

vigil::Status Engine::ClaimOrBusy(std::string_view finding_id, UnixNanos now) {
  VIGIL_TRY(bool held, d_.state->TryClaim(finding_id, d_.claim_owner, now, d_.claim_ttl));
  if (held) return Ok();
  return MakeError(ErrorCode::kIo,
                   fmt::format("busy: another engine is processing finding {}; try again shortly",
                               finding_id));
}

struct Engine::Ctx {
  UnixNanos now = 0;
  bool x = false;  // execute
  RunReport report;
  std::size_t global_used = 0;  // applied this hour, all playbooks (incl. this run)
};

Mode Engine::EffectiveMode(const Playbook& pb) const {
  if (pb.mode) return *pb.mode;
  for (const ActionSpec& a : pb.actions) {
    auto it = d_.executors.find(a.kind);
    if (it == d_.executors.end() || it->second->mutating()) return Mode::kDryRun;
  }
  return pb.actions.empty() ? Mode::kNotify : Mode::kAuto;
}

Tracker* Engine::TrackerFor(const Playbook* pb) const {
  if (pb == nullptr || pb->ticket == TicketPolicy::kNever) return nullptr;
  std::string name = pb->tracker;
  if (name.empty() && d_.config->trackers.size() == 1) name = d_.config->trackers[0].name;
  auto it = d_.trackers.find(name);
  return it == d_.trackers.end() ? nullptr : it->second;
}

Result<JournalEntry> Engine::Journal(std::string_view kind,
                                     std::string_view finding,
                                     std::string_view plan,
                                     std::string_view action,
                                     nlohmann::json detail,
                                     UnixNanos now) {
  JournalEntry e;
  e.time = now;
  e.kind = std::string(kind);
  e.finding_id = std::string(finding);
  e.plan_id = std::string(plan);
  e.action_id = std::string(action);
  e.detail = std::move(detail);
  return d_.state->AppendJournal(std::move(e));
}

vigil::Status Engine::Record(std::string_view kind,
                             std::string_view finding,
                             std::string_view plan,
                             std::string_view action,
                             nlohmann::json detail,
                             UnixNanos now) {
  VIGIL_TRY(JournalEntry e, Journal(kind, finding, plan, action, std::move(detail), now));
  (void)e;
  return Ok();
}

vigil::Status Engine::Notify(const Playbook* pb,
                             std::string_view event,
                             const Finding& f,
                             std::string text,
                             nlohmann::json payload,
                             UnixNanos now) {
  if (d_.notifiers.empty()) return Ok();
  Notification n;
  n.event = std::string(event);
  n.finding_id = f.id;
  n.title = fmt::format("[{}] {}", findings::SeverityName(f.severity), f.title);
  n.text = std::move(text);
  n.payload = std::move(payload);
  if (!n.payload.is_object()) n.payload = nlohmann::json::object();
  n.payload["finding"] = {{"id", f.id},
                          {"type", f.type},
                          {"severity", findings::SeverityName(f.severity)},
                          {"title", f.title},
                          {"cluster", f.cluster},
                          {"namespace", f.resource.ns},
                          {"resource", f.resource.name}};
  n.payload["playbook"] = pb != nullptr ? pb->name : std::string();
  for (const auto& [name, notifier] : d_.notifiers) {
    if (pb != nullptr && pb->notify &&
        std::find(pb->notify->begin(), pb->notify->end(), name) == pb->notify->end()) {
      continue;
    }
    Status sent = notifier->Notify(n);
    if (!sent) {
      // Notifier errors name the host, never a URL path, token or signature (notifiers.h).
      fmt::print(stderr,
                 "vigil remediate: notifier '{}' could not deliver {} for finding {}: {}\n",
                 name, event, f.id, sent.error().message);
    }
    nlohmann::json detail = {{"notifier", name}, {"event", event}, {"ok", sent.has_value()}};
    if (!sent) detail["error"] = sent.error().message;
    VIGIL_TRY_STATUS(Record("notification", f.id, "", "", std::move(detail), now));
  }
  return Ok();
}

Result<RunReport> Engine::Process(std::span<const Finding> list, UnixNanos now, bool execute) {
  Ctx ctx;
  ctx.now = now;
  ctx.x = execute;
  ctx.report.executed = execute;
  VIGIL_TRY(ctx.global_used, d_.state->CountAppliedSince("", now - kHour));
  for (const Finding& f : list) {
    ++ctx.report.findings_seen;
    VIGIL_TRY(bool held, d_.state->TryClaim(f.id, d_.claim_owner, now, d_.claim_ttl));
    if (!held) {
      const Playbook* pb = FindPlaybook(*d_.config, f);
      ctx.report.notes.push_back({f.id, pb != nullptr ? pb->name : std::string(), "busy",
                                  "another engine is processing it; picked up on a later run"});
      continue;
    }
    ClaimRelease release(d_.state, f.id, d_.claim_owner);
    VIGIL_TRY_STATUS(ProcessOne(f, ctx));
  }
  return std::move(ctx.report);
}

Status Engine::ProcessOne(const Finding& f, Ctx& ctx) {
  const RemediationConfig& cfg = *d_.config;
  const UnixNanos now = ctx.now;
  const Playbook* pb = FindPlaybook(cfg, f);
  auto note = [&](std::string_view kind, std::string text) {
    ctx.report.notes.push_back(
        {f.id, pb != nullptr ? pb->name : std::string(), std::string(kind), std::move(text)});
  };

  // A finding that no playbook matches any more (a PASSED control under `compliance: [FAILED]`)
  // may still have an open ticket from the playbook that matched it: find it through the link.
  Tracker* tracker = TrackerFor(pb);
  std::optional<TicketLink> link;
  if (tracker != nullptr) {
    VIGIL_TRY(link, d_.state->GetTicket(f.id, tracker->name()));
  } else if (pb == nullptr) {
    for (const auto& [name, t] : d_.trackers) {
      VIGIL_TRY(link, d_.state->GetTicket(f.id, name));
      if (link) {
        tracker = t;
        break;
      }
    }
  }
  if (pb == nullptr && !link) return Ok();
  const std::string playbook_name = pb != nullptr ? pb->name : link->playbook;
  const Mode mode = pb != nullptr ? EffectiveMode(*pb) : Mode::kNotify;
  if (mode == Mode::kOff) return Ok();
  ++ctx.report.findings_matched;
  VIGIL_TRY(FindingState st, d_.state->GetState(f.id));
  bool state_dirty = false;

  auto ticket_comment = [&](std::string_view op, const std::string& text) -> bool {
    // Returns whether the tracker took it (or would, when planning).
    if (tracker == nullptr || !link) return false;
    TicketOp o{std::string(op), f.id, tracker->name(), link->key, link->url, "", text, false};
    if (ctx.x) {
      TicketRef ref{tracker->name(), link->key, link->url, TicketState::kOpen, {}, ""};
      Status s = op == "close"    ? tracker->Close(ref, text)
                 : op == "reopen" ? tracker->Reopen(ref, text)
                                  : tracker->Comment(ref, text);
      if (!s) {
        o.failed = true;
        note("error", fmt::format("ticket {} {}: {}", tracker->name(), op, s.error().message));
        ctx.report.tickets.push_back(std::move(o));
        return false;
      }
      if (op == "close") link->open = false;
      if (op == "reopen") link->open = true;
      link->last_comment_at = now;
      (void)Journal("ticket", f.id, "", "",
                    {{"op", op}, {"tracker", tracker->name()}, {"key", link->key}, {"text", text}},
                    now);
      if (op == "close" || op == "reopen") {
        (void)Notify(pb, op == "close" ? "ticket.closed" : "ticket.reopened", f, text,
                     {{"tracker", tracker->name()}, {"key", link->key}, {"url", link->url}}, now);
      }
    }
    ctx.report.tickets.push_back(std::move(o));
    return true;
  };

  // Suppressed by an accepted risk that has not expired, or archived by people: hands off.
  if (f.workflow == WorkflowStatus::kSuppressed ||
      (st.suppressed_until != 0 && st.suppressed_until > now)) {
    note("suppressed", st.note.empty() ? "the finding is suppressed" : st.note);
    return Ok();
  }

  // Resolved: close the ticket only now that a re-check says so.
  if (IsResolved(f)) {
    if (link && link->open) {
      const std::string how =
          f.compliance
              ? fmt::format("the control {} was re-evaluated and PASSED at {}",
                            f.compliance->control_id, Rfc(f.updated_at != 0 ? f.updated_at : now))
              : "the finding was verified RESOLVED";
      if (ctx.x) {
        VIGIL_TRY_STATUS(Record("verification", f.id, "", "",
                                  {{"verdict", "fixed"}, {"how", how}}, now));
      }
      if (ticket_comment("close", fmt::format("Verified fixed: {}. Closing.", how)) && ctx.x) {
        link->last_status = TicketStatusLine(f);
        VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
        if (d_.findings != nullptr && !f.compliance && f.workflow != WorkflowStatus::kResolved) {
          VIGIL_TRY_STATUS(d_.findings->SetWorkflowStatus(f.id, WorkflowStatus::kResolved,
                                                          d_.actor, how, now));
        }
      }
      if (ctx.x) {
        st.fixed_at = now;
        st.attempts = 0;
        st.awaiting_verification_since = 0;
        VIGIL_TRY_STATUS(d_.state->PutState(st));
      }
    }
    return Ok();
  }
  if (pb == nullptr) return Ok();

  const bool failing = IsFailing(f, cfg.ticket_min_severity);
  const bool wants_ticket =
      tracker != nullptr &&
      (pb->ticket == TicketPolicy::kAlways || (pb->ticket == TicketPolicy::kFailed && failing));
  if (!failing && !wants_ticket) return Ok();

  // Failing again after a verified fix: flapping when within the window.
  if (failing && st.fixed_at != 0 && (!link || !link->open)) {
    if (now - st.fixed_at < cfg.flap_window_seconds * kSecond) {
      st.flapping = true;
      st.note = fmt::format("fixed at {}, failing again at {} (within the flap window): "
                            "automation stopped for this finding; something (infrastructure as "
                            "code?) reverts the fix",
                            Rfc(st.fixed_at), Rfc(now));
      note("flapping", st.note);
      if (ctx.x) {
        VIGIL_TRY_STATUS(Record("flapping", f.id, "", "", {{"note", st.note}}, now));
      }
    }
    st.fixed_at = 0;
    state_dirty = true;
  }
  // An action was applied and the re-check still fails: the verification failed.
  if (failing && st.awaiting_verification_since != 0 && f.compliance) {
    const std::string text = fmt::format(
        "Verification failed: the fix applied at {} did not make {} pass (still {}). Escalating "
        "to a human.",
        Rfc(st.awaiting_verification_since), f.compliance->control_id,
        findings::ComplianceStatusName(f.compliance->status));
    note("escalated", text);
    if (ctx.x) {
      VIGIL_TRY_STATUS(Record("verification", f.id, "", "",
                                {{"verdict", "not_fixed"}, {"how", text}}, now));
      VIGIL_TRY_STATUS(Notify(pb, "verification.failed", f, text, {{"verdict", "not_fixed"}}, now));
      if (link && !link->open) {
        ticket_comment("reopen", text);
      } else {
        ticket_comment("comment", text);
      }
    }
    st.awaiting_verification_since = 0;
    state_dirty = true;
  }

  // The ticket.
  if (wants_ticket) {
    if (!link) {
      TicketContent content =
          RenderTicket(f, pb->name, ModeName(mode), [&] {
            for (const TrackerConfig& t : cfg.trackers)
              if (t.name == tracker->name()) return t.labels;
            return std::vector<std::string>{};
          }());
      TicketOp o{"open", f.id, tracker->name(), "", "", content.title, "new finding", false};
      if (ctx.x) {
        // The store may have lost the link (or a create timed out after it succeeded): the marker
        // finds the ticket instead of opening a duplicate.
        auto found = tracker->FindByFinding(f.id);
        std::optional<TicketRef> ref;
        if (!found) {
          o.failed = true;
          note("error", fmt::format("tracker {}: {}", tracker->name(), found.error().message));
        } else if (*found) {
          ref = **found;
          o.op = "rebuild";
          o.reason = "found by its marker";
        } else {
          auto opened = tracker->Open(content);
          if (!opened) {
            o.failed = true;
            note("error", fmt::format("tracker {}: {}", tracker->name(), opened.error().message));
          } else {
            ref = *opened;
          }
        }
        if (ref) {
          o.key = ref->key;
          o.url = ref->url;
          link = TicketLink{f.id, tracker->name(), ref->key, ref->url,
                            ref->state == TicketState::kOpen, pb->name, now, now,
                            TicketStatusLine(f)};
          VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
          VIGIL_TRY_STATUS(Record("ticket", f.id, "", "",
                                    {{"op", o.op}, {"tracker", tracker->name()}, {"key", ref->key},
                                     {"url", ref->url}},
                                    now));
          if (o.op == "open") {
            VIGIL_TRY_STATUS(Notify(pb, "ticket.opened", f,
                                    fmt::format("Opened {} {} for this finding.", tracker->name(),
                                                ref->url.empty() ? ref->key : ref->url),
                                    {{"tracker", tracker->name()}, {"key", ref->key},
                                     {"url", ref->url}},
                                    now));
          }
          if (d_.findings != nullptr && f.workflow == WorkflowStatus::kNew) {
            (void)d_.findings->SetWorkflowStatus(
                f.id, WorkflowStatus::kNotified, d_.actor,
                fmt::format("ticket {} {}", tracker->name(), ref->url), now);
          }
          ctx.report.tickets.push_back(o);
          if (!link->open && failing) {
            ticket_comment("reopen", "The finding is failing again; reopening.");
            VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
          }
        } else {
          ctx.report.tickets.push_back(o);
          return Ok();  // nothing more without a ticket; the next run tries again
        }
      } else {
        ctx.report.tickets.push_back(o);
      }
    } else if (!link->open && failing) {
      if (ticket_comment("reopen", fmt::format("The finding is failing again ({}); reopening "
                                               "the same issue.",
                                               TicketStatusLine(f))) &&
          ctx.x) {
        link->last_status = TicketStatusLine(f);
        VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
      }
    } else {
      const std::string status = TicketStatusLine(f);
      if (status != link->last_status &&
          now - link->last_comment_at >= cfg.comment_interval_seconds * kSecond) {
        if (ticket_comment("comment", fmt::format("Status update: {} (was {}); last seen {}.",
                                                  status, link->last_status,
                                                  Rfc(f.last_seen != 0 ? f.last_seen : now))) &&
            ctx.x) {
          link->last_status = status;
          VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
        }
      }
    }
  }

  // Two-way: what people did on the ticket.
  std::optional<std::string> approved_by_label;
  if (ctx.x && link && tracker != nullptr) {
    auto fetched = tracker->Fetch(TicketRef{tracker->name(), link->key, link->url,
                                            TicketState::kOpen, {}, ""});
    if (fetched) {
      const bool closed = fetched->state == TicketState::kClosed;
      if (closed && Contains(fetched->labels, cfg.accepted_risk_label)) {
        st.suppressed_until = now + cfg.accepted_risk_ttl_seconds * kSecond;
        st.note = fmt::format("risk accepted on {} #{} (label {}{}) until {}", tracker->name(),
                              link->key, cfg.accepted_risk_label,
                              fetched->closed_reason.empty() ? "" : ": " + fetched->closed_reason,
                              Rfc(st.suppressed_until));
        link->open = false;
        VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
        VIGIL_TRY_STATUS(d_.state->PutState(st));
        if (d_.findings != nullptr) {
          VIGIL_TRY_STATUS(d_.findings->SetWorkflowStatus(f.id, WorkflowStatus::kSuppressed,
                                                          tracker->name(), st.note, now));
        }
        VIGIL_TRY_STATUS(Record("suppression", f.id, "", "",
                                  {{"until", Rfc(st.suppressed_until)}, {"note", st.note}}, now));
        note("suppressed", st.note);
        return Ok();
      }
      if (Contains(fetched->labels, cfg.approve_label)) {
        approved_by_label = fmt::format("label {} on {} #{}", cfg.approve_label, tracker->name(),
                                        link->key);
      }
    } else {
      note("error", fmt::format("tracker {}: {}", tracker->name(), fetched.error().message));
    }
  }

  auto save_state = [&]() -> Status {
    if (ctx.x && state_dirty) return d_.state->PutState(st);
    return Ok();
  };

  // Fixes: never for INFORMATIONAL, never in notify mode, never after a human took over.
  const bool informational =
      f.compliance ? f.compliance->status != ComplianceStatus::kFailed
                   : f.severity == Severity::kInformational;
  if (informational || !failing || mode == Mode::kNotify || pb->actions.empty()) {
    return save_state();
  }
  if (st.flapping) {
    note("flapping", "automation is stopped for this finding (flapping); a person must look");
    return save_state();
  }
  if (st.escalated) {
    note("escalated", st.note.empty() ? "escalated to a human; no more automatic actions" : st.note);
    return save_state();
  }
  if (st.attempts >= cfg.attempt_cap) {
    st.escalated = true;
    st.note = fmt::format("{} attempt(s) did not fix it (attempt cap {}): escalated to a human, no "
                          "more automatic actions",
                          st.attempts, cfg.attempt_cap);
    state_dirty = true;
    note("escalated", st.note);
    if (ctx.x) {
      VIGIL_TRY_STATUS(Record("escalation", f.id, "", "", {{"reason", st.note}}, now));
      ticket_comment("comment", "Escalation: " + st.note + ".");
      VIGIL_TRY_STATUS(Notify(pb, "escalation", f, "Escalation: " + st.note + ".",
                              {{"reason", st.note}}, now));
    }
    return save_state();
  }

  // Protected scopes: refuse, and say why.
  std::string refusal;
  if (!f.resource.ns.empty() && Contains(cfg.protected_namespaces, f.resource.ns)) {
    refusal = fmt::format("namespace '{}' is protected (protected_namespaces)", f.resource.ns);
  } else if (!f.principal.username.empty() &&
             Contains(cfg.protected_principals, f.principal.username)) {
    refusal = fmt::format("principal '{}' is protected (protected_principals)",
                          f.principal.username);
  }

  // The changes.
  nlohmann::json changes = nlohmann::json::array();
  std::vector<PlannedChange> planned;
  for (const ActionSpec& a : pb->actions) {
    auto it = d_.executors.find(a.kind);
    if (it == d_.executors.end()) {
      note("error", fmt::format("action '{}' is not available in this build", a.kind));
      continue;
    }
    auto p = it->second->Plan(f, a.params);
    if (!p && !refusal.empty()) {
      // The action refuses the protected target too (defence in depth): say the engine's reason.
      note("refused", fmt::format("{}; action '{}' also refused: {}", refusal, a.kind,
                                  p.error().message));
      continue;
    }
    if (!p) {
      note("error", fmt::format("action '{}' cannot plan: {}", a.kind, p.error().message));
      continue;
    }
    for (PlannedChange& c : *p) {
      if (c.detail.is_object() && c.detail.contains("namespace") &&
          c.detail["namespace"].is_string() &&
          Contains(cfg.protected_namespaces, c.detail["namespace"].get<std::string>()) &&
          refusal.empty()) {
        refusal = fmt::format("the change targets protected namespace '{}'",
                              c.detail["namespace"].get<std::string>());
      }
      changes.push_back(ChangeToJson(c));
      planned.push_back(std::move(c));
    }
  }
  if (planned.empty()) return save_state();
  const std::string hash = PlanHash(changes);

  // The current plan of this finding, if any.
  PlanQuery q;
  q.finding_id = f.id;
  q.limit = 1;
  VIGIL_TRY(PlanPage page, d_.state->ListPlans(q));
  std::optional<PlanRecord> current;
  if (!page.plans.empty()) current = page.plans.front();
  if (current && current->state == PlanState::kAwaitingApproval && current->expires_at != 0 &&
      now >= current->expires_at) {
    current->state = PlanState::kExpired;
    if (ctx.x) {
      VIGIL_TRY_STATUS(d_.state->PutPlan(*current));
      VIGIL_TRY_STATUS(Record("expiry", f.id, current->id, "", {{"hash", current->hash}}, now));
    }
    current.reset();
  }
  const bool live = current && (current->state == PlanState::kPlanned ||
                                current->state == PlanState::kAwaitingApproval ||
                                current->state == PlanState::kApproved ||
                                (current->state == PlanState::kFailed && !refusal.empty()));
  if (current && live && current->hash != hash) {
    // What would be done changed: an approval of the old change does not authorise this one.
    current->state = PlanState::kExpired;
    current->note = "superseded: the planned change is different now";
    if (ctx.x) {
      VIGIL_TRY_STATUS(d_.state->PutPlan(*current));
      VIGIL_TRY_STATUS(Record("expiry", f.id, current->id, "",
                                {{"hash", current->hash}, {"why", current->note}}, now));
    }
    current.reset();
  } else if (!live) {
    current.reset();
  }

  PlanRecord plan;
  const bool is_new = !current;
  if (current) {
    plan = *current;
  } else {
    plan.id = StableUuid(fmt::format("vigil-plan/v1\x1f{}\x1f{}\x1f{}", f.id, hash, now));
    plan.finding_id = f.id;
    plan.playbook = pb->name;
    plan.mode = std::string(ModeName(mode));
    plan.created_at = now;
    plan.hash = hash;
    plan.changes = changes;
    if (link) plan.ticket = {{"tracker", link->tracker}, {"key", link->key}, {"url", link->url}};
    if (!refusal.empty()) {
      plan.state = PlanState::kFailed;
      plan.note = "refused: " + refusal;
    } else if (mode == Mode::kDryRun) {
      plan.state = PlanState::kPlanned;
    } else if (mode == Mode::kApprove) {
      plan.state = PlanState::kAwaitingApproval;
      plan.expires_at = now + cfg.approval_ttl_seconds * kSecond;
    } else {
      plan.state = PlanState::kApproved;
      plan.note = "auto mode";
    }
  }
  if (plan.state == PlanState::kAwaitingApproval && approved_by_label) {
    plan.state = PlanState::kApproved;
    plan.note = "approved by " + *approved_by_label;
    if (ctx.x && !is_new) {
      VIGIL_TRY_STATUS(Record("approval", f.id, plan.id, "",
                                {{"hash", plan.hash}, {"by", *approved_by_label}}, now));
    }
  }

  if (is_new && ctx.x) {
    VIGIL_TRY_STATUS(d_.state->PutPlan(plan));
    VIGIL_TRY_STATUS(Record("plan", f.id, plan.id, "",
                              {{"playbook", plan.playbook},
                               {"mode", plan.mode},
                               {"state", PlanStateName(plan.state)},
                               {"hash", plan.hash},
                               {"changes", plan.changes}},
                              now));
    if (!refusal.empty()) {
      VIGIL_TRY_STATUS(Record("refusal", f.id, plan.id, "", {{"reason", refusal}}, now));
    }
    std::string text;
    if (!refusal.empty()) {
      text = fmt::format("vigil will not act on this finding: {}. A person must handle it.",
                         refusal);
    } else {
      text = fmt::format("vigil planned {} change(s) (mode `{}`, plan `{}`, hash `{}`):\n",
                         planned.size(), plan.mode, plan.id, plan.hash);
      for (const PlannedChange& c : planned) text += fmt::format("- {}: {}\n", c.target, c.summary);
      if (plan.state == PlanState::kAwaitingApproval) {
        text += fmt::format("\nAwaiting approval until {}: `vigil remediate approve {} --hash {}` "
                            "or add the label `{}`.",
                            Rfc(plan.expires_at), plan.id, plan.hash, cfg.approve_label);
      } else if (plan.state == PlanState::kPlanned) {
        text += "\nDry run: nothing was changed.";
      }
    }
    ticket_comment("comment", text);
    if (plan.state == PlanState::kAwaitingApproval) {
      VIGIL_TRY_STATUS(Notify(pb, "plan.awaiting_approval", f, text,
                              {{"plan", plan.id}, {"hash", plan.hash}, {"changes", plan.changes},
                               {"expires_at", Rfc(plan.expires_at)}},
                              now));
    }
    // A dry run asks the target to validate where it can (Kubernetes dryRun=All).
    if (plan.state == PlanState::kPlanned) {
      for (const PlannedChange& c : planned) {
        auto ex = d_.executors.find(c.action);
        if (ex == d_.executors.end()) continue;
        auto out = ex->second->Apply(c, true);
        VIGIL_TRY_STATUS(Record("dry-run", f.id, plan.id, "",
                                  {{"target", c.target},
                                   {"ok", out.has_value()},
                                   {"message", out ? out->message : out.error().message}},
                                  now));
      }
    }
  }
  if (!refusal.empty()) {
    if (is_new) note("refused", refusal);
    ctx.report.plans.push_back(plan);
    return save_state();
  }
  if (plan.state != PlanState::kApproved) {
    if (is_new || !ctx.x) ctx.report.plans.push_back(plan);
    return save_state();
  }

  // Approved (auto mode, or a person): rate limits first.
  VIGIL_TRY(std::size_t used, d_.state->CountAppliedSince(pb->name, now - kHour));
  std::string limited;
  if (used + planned.size() > pb->rate_limit_per_hour) {
    limited = fmt::format("playbook '{}' rate limit reached ({} of {} actions in the last hour)",
                          pb->name, used, pb->rate_limit_per_hour);
  } else if (ctx.global_used + planned.size() > cfg.global_cap_per_hour) {
    limited = fmt::format("global cap reached ({} of {} actions in the last hour)",
                          ctx.global_used, cfg.global_cap_per_hour);
  }
  if (!limited.empty()) {
    note("rate_limited", limited + "; not applied, escalated");
    plan.note = "deferred: " + limited;
    if (ctx.x) {
      VIGIL_TRY_STATUS(d_.state->PutPlan(plan));
      VIGIL_TRY_STATUS(Record("gate", f.id, plan.id, "", {{"reason", limited}}, now));
      VIGIL_TRY_STATUS(Notify(pb, "escalation", f,
                              fmt::format("Escalation: {}. The approved change was not applied.",
                                          limited),
                              {{"plan", plan.id}, {"reason", limited}}, now));
      ticket_comment("comment", fmt::format("Escalation: {}. The approved change was not applied; "
                                            "it is retried when the limit allows.",
                                            limited));
    }
    ctx.report.plans.push_back(plan);
    return save_state();
  }
  if (!ctx.x) {
    ctx.report.plans.push_back(plan);
    return save_state();
  }

  // Apply.
  bool all_ok = true;
  bool all_fixed = true;
  std::string failures;
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const PlannedChange& c = planned[i];
    ActionExecutor* ex = d_.executors.at(c.action);
    ActionRecord rec;
    rec.id = StableUuid(fmt::format("vigil-action/v1\x1f{}\x1f{}", plan.id, i));
    rec.plan_id = plan.id;
    rec.finding_id = f.id;
    rec.playbook = pb->name;
    rec.change = changes[i];
    rec.at = now;
    VIGIL_TRY_STATUS(Record("action", f.id, plan.id, rec.id,
                                    {{"action", c.action}, {"target", c.target}, {"hash", hash}},
                                    now));
    auto out = ex->Apply(c, false);
    if (!out) {
      all_ok = false;
      failures += fmt::format("{}: {}; ", c.target, out.error().message);
      rec.outcome = {{"error", out.error().message}};
      VIGIL_TRY_STATUS(d_.state->PutAction(rec));
      VIGIL_TRY_STATUS(Record("result", f.id, plan.id, rec.id,
                                {{"ok", false}, {"error", out.error().message}}, now));
      VIGIL_TRY_STATUS(Notify(pb, "action.failed", f,
                              fmt::format("{} on {} failed: {}", c.action, c.target,
                                          out.error().message),
                              {{"plan", plan.id}, {"action", rec.id}, {"kind", c.action},
                               {"target", c.target}, {"error", out.error().message}},
                              now));
      continue;
    }
    rec.applied = out->applied;
    rec.outcome = {{"applied", out->applied},
                   {"before", out->before},
                   {"after", out->after},
                   {"message", out->message}};
    VIGIL_TRY_STATUS(d_.state->PutAction(rec));
    ++ctx.global_used;
    VIGIL_TRY_STATUS(Record("result", f.id, plan.id, rec.id,
                              {{"ok", true},
                               {"applied", out->applied},
                               {"before", out->before},
                               {"message", out->message}},
                              now));
    VIGIL_TRY_STATUS(Notify(pb, "action.applied", f,
                            fmt::format("{} on {}: {}", c.action, c.target, out->message),
                            {{"plan", plan.id}, {"action", rec.id}, {"kind", c.action},
                             {"target", c.target}, {"applied", out->applied}},
                            now));
    auto v = ex->Verify(c, *out);
    const std::string verdict = !v                                 ? "unknown"
                                : v->verdict == Verdict::kFixed    ? "fixed"
                                : v->verdict == Verdict::kNotFixed ? "not_fixed"
                                                                   : "unknown";
    if (!v || v->verdict != Verdict::kFixed) all_fixed = false;
    VIGIL_TRY_STATUS(Record("verification", f.id, plan.id, rec.id,
                               {{"verdict", verdict},
                                {"how", "the action re-read its target"},
                                {"reason", v ? v->reason : v.error().message}},
                               now));
    if (verdict != "fixed") {
      VIGIL_TRY_STATUS(Notify(pb, "verification.failed", f,
                              fmt::format("{} on {} was applied but the fix is not confirmed: {}",
                                          c.action, c.target, v ? v->reason : v.error().message),
                              {{"plan", plan.id}, {"action", rec.id}, {"verdict", verdict}},
                              now));
    }
  }
  plan.state = all_ok ? PlanState::kApplied : PlanState::kFailed;
  if (!all_ok) plan.note = "failed: " + failures;
  VIGIL_TRY_STATUS(d_.state->PutPlan(plan));
  ++st.attempts;
  state_dirty = true;
  ctx.report.plans.push_back(plan);
  if (!all_ok) {
    note("error", "applying failed: " + failures);
    ticket_comment("comment", fmt::format("Applying plan `{}` failed: {}(attempt {} of {}).",
                                          plan.id, failures, st.attempts, cfg.attempt_cap));
    return save_state();
  }
  if (f.compliance) {
    // A control closes only when the control itself is re-evaluated and passes.
    st.awaiting_verification_since = now;
    ticket_comment("comment",
                   fmt::format("Applied plan `{}` ({} change(s)){}. The issue closes when {} is "
                               "re-checked from a new snapshot and PASSES.",
                               plan.id, planned.size(),
                               all_fixed ? "; the target reads back as fixed" : "",
                               f.compliance->control_id));
  } else if (all_fixed) {
    st.fixed_at = now;
    st.attempts = 0;
    if (d_.findings != nullptr) {
      VIGIL_TRY_STATUS(d_.findings->SetWorkflowStatus(
          f.id, WorkflowStatus::kResolved, d_.actor,
          fmt::format("fixed by plan {} and verified", plan.id), now));
    }
    if (link && link->open) {
      ticket_comment("close", fmt::format("Applied plan `{}` and verified the fix by re-reading "
                                          "the target. Closing.",
                                          plan.id));
      VIGIL_TRY_STATUS(d_.state->PutTicket(*link));
    }
  } else {
    const std::string text = fmt::format(
        "Applied plan `{}` but verification did not confirm the fix (attempt {} of {}).", plan.id,
        st.attempts, cfg.attempt_cap);
    note("escalated", text);
    ticket_comment("comment", "Escalation: " + text);
  }
  return save_state();
}

Result<ApprovalOutcome> Engine::Approve(std::string_view plan_id,
                                        std::string_view hash,
                                        std::string_view note,
                                        std::string_view actor,
                                        UnixNanos now) {
  VIGIL_TRY(PlanRecord first, d_.state->GetPlan(plan_id));
  VIGIL_TRY_STATUS(ClaimOrBusy(first.finding_id, now));
  ClaimRelease release(d_.state, first.finding_id, d_.claim_owner);
  VIGIL_TRY(PlanRecord p, d_.state->GetPlan(plan_id));  // as it is now that the claim is held
  ApprovalOutcome out;
  if (p.state == PlanState::kAwaitingApproval && p.expires_at != 0 && now >= p.expires_at) {
    p.state = PlanState::kExpired;
    VIGIL_TRY_STATUS(d_.state->PutPlan(p));
    VIGIL_TRY_STATUS(Record("expiry", p.finding_id, p.id, "", {{"hash", p.hash}}, now));
  }
  if (p.state == PlanState::kExpired) {
    out.kind = ApprovalOutcome::Kind::kExpired;
    out.message = fmt::format("plan {} expired; a new plan is made on the next run", p.id);
  } else if (p.state != PlanState::kAwaitingApproval) {
    out.kind = ApprovalOutcome::Kind::kNotAwaiting;
    out.message = fmt::format("plan {} is {}, not awaiting approval", p.id, PlanStateName(p.state));
  } else if (hash != p.hash) {
    out.kind = ApprovalOutcome::Kind::kHashMismatch;
    out.message = fmt::format("plan {}: the approval is for hash {}, but the plan's changes hash "
                              "to {}; review the plan again",
                              p.id, hash.empty() ? "(none)" : hash, p.hash);
  } else {
    p.state = PlanState::kApproved;
    p.note = fmt::format("approved by {}{}", actor, note.empty() ? "" : ": " + std::string(note));
    VIGIL_TRY_STATUS(d_.state->PutPlan(p));
    VIGIL_TRY_STATUS(Record("approval", p.finding_id, p.id, "",
                              {{"hash", p.hash}, {"by", actor}, {"note", note}}, now));
    out.kind = ApprovalOutcome::Kind::kApproved;
    out.message = p.note;
  }
  out.plan = std::move(p);
  return out;
}

Result<ApprovalOutcome> Engine::Reject(std::string_view plan_id,
                                       std::string_view note,
                                       std::string_view actor,
                                       UnixNanos now) {
  VIGIL_TRY(PlanRecord first, d_.state->GetPlan(plan_id));
  VIGIL_TRY_STATUS(ClaimOrBusy(first.finding_id, now));
  ClaimRelease release(d_.state, first.finding_id, d_.claim_owner);
  VIGIL_TRY(PlanRecord p, d_.state->GetPlan(plan_id));  // as it is now that the claim is held
  ApprovalOutcome out;
  if (p.state != PlanState::kAwaitingApproval && p.state != PlanState::kPlanned &&
      p.state != PlanState::kApproved) {
    out.kind = ApprovalOutcome::Kind::kNotAwaiting;
    out.message = fmt::format("plan {} is {}; nothing to reject", p.id, PlanStateName(p.state));
    out.plan = std::move(p);
    return out;
  }
  p.state = PlanState::kRejected;
  p.note = fmt::format("rejected by {}{}", actor, note.empty() ? "" : ": " + std::string(note));
  VIGIL_TRY_STATUS(d_.state->PutPlan(p));
  VIGIL_TRY_STATUS(Record("rejection", p.finding_id, p.id, "",
                            {{"hash", p.hash}, {"by", actor}, {"note", note}}, now));
  out.kind = ApprovalOutcome::Kind::kRejected;
  out.message = p.note;
  out.plan = std::move(p);
  return out;
}

Result<JournalEntry> Engine::Rollback(std::string_view action_id,
                                      std::string_view actor,
                                      UnixNanos now) {
  VIGIL_TRY(ActionRecord first, d_.state->GetAction(action_id));
  VIGIL_TRY_STATUS(ClaimOrBusy(first.finding_id, now));
  ClaimRelease release(d_.state, first.finding_id, d_.claim_owner);
  VIGIL_TRY(ActionRecord a, d_.state->GetAction(action_id));  // as it is now, under the claim
  if (!a.applied) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("action {} was not applied; nothing to roll back", a.id));
  }
  if (a.rolled_back_at != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("action {} was already rolled back at {}", a.id,
                                 Rfc(a.rolled_back_at)));
  }
  const PlannedChange change = ChangeFromJson(a.change);
  auto ex = d_.executors.find(change.action);
  if (ex == d_.executors.end()) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("action kind '{}' is not available in this build", change.action));
  }
  ActionOutcome outcome;
  outcome.applied = a.outcome.value("applied", false);
  outcome.before = a.outcome.contains("before") ? a.outcome["before"] : nlohmann::json();
  outcome.after = a.outcome.contains("after") ? a.outcome["after"] : nlohmann::json();
  outcome.message = a.outcome.value("message", "");
  auto undone = ex->second->Rollback(change, outcome);
  if (!undone) {
    VIGIL_TRY_STATUS(Record("rollback", a.finding_id, a.plan_id, a.id,
                              {{"ok", false}, {"by", actor}, {"error", undone.error().message}},
                              now));
    return undone.error();
  }
  a.rolled_back_at = now;
  VIGIL_TRY_STATUS(d_.state->PutAction(a));
  return Journal("rollback", a.finding_id, a.plan_id, a.id,
                 {{"ok", true},
                  {"by", actor},
                  {"target", change.target},
                  {"restored", undone->after},
                  {"message", undone->message}},
                 now);
}

Result<nlohmann::json> Engine::StatusJson(UnixNanos now) {
  nlohmann::json modes = nlohmann::json::object();
  for (const Playbook& p : d_.config->playbooks) modes[p.name] = ModeName(EffectiveMode(p));
  PlanQuery q;
  q.state = PlanState::kAwaitingApproval;
  q.limit = 10000;
  VIGIL_TRY(PlanPage page, d_.state->ListPlans(q));
  std::size_t awaiting = 0;
  for (const PlanRecord& p : page.plans) awaiting += (p.expires_at == 0 || p.expires_at > now);
  VIGIL_TRY(std::size_t last_hour, d_.state->CountAppliedSince("", now - kHour));
  VIGIL_TRY(std::size_t escalated, d_.state->CountEscalated());
  return nlohmann::json{{"mode_by_playbook", modes},
                        {"awaiting_approval", awaiting},
                        {"actions_last_hour", last_hour},
                        {"global_cap_per_hour", d_.config->global_cap_per_hour},
                        {"escalated", escalated}};
}

std::string_view PlanStateName(PlanState s) {
  switch (s) {
    case PlanState::kPlanned:
      return "planned";
    case PlanState::kAwaitingApproval:
      return "awaiting_approval";
    case PlanState::kApproved:
      return "approved";
    case PlanState::kApplied:
      return "applied";
    case PlanState::kRejected:
      return "rejected";
    case PlanState::kExpired:
      return "expired";
    case PlanState::kFailed:
      return "failed";
    case PlanState::kNotified:
      return "notified";
  }
  return "planned";
}

std::optional<PlanState> ParsePlanState(std::string_view name) {
  for (PlanState s : {PlanState::kPlanned, PlanState::kAwaitingApproval, PlanState::kApproved,
                      PlanState::kApplied, PlanState::kRejected, PlanState::kExpired,
                      PlanState::kFailed, PlanState::kNotified}) {
    if (PlanStateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace vigil::remediate
