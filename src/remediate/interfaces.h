// The seams of the remediation module (DESIGN.md `remediate/`): a Tracker holds one ticket per
// finding, a Notifier tells people, an ActionExecutor changes a cluster or an account. The engine
// (playbooks, gates, journal, verification) only talks to these interfaces, so each integration
// (GitHub, Jira, a JSON webhook, Slack, the Kubernetes API, the aws CLI, a user's command) is one
// implementation, testable on its own against a local server or program that answers like the real
// one.
#ifndef VIGIL_REMEDIATE_INTERFACES_H_
#define VIGIL_REMEDIATE_INTERFACES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "findings/finding.h"

namespace vigil::remediate {

// ---------------------------------------------------------------------------------------------
// Tickets

// The hidden marker a ticket carries so that a lost store can be rebuilt from the tracker: the
// finding id inside an HTML comment (GitHub, webhook) or a plain line (Jira), always this text.
std::string TicketMarker(std::string_view finding_id);  // "<!-- vigil-finding: ID -->"

// What a ticket says, rendered from a finding by the engine. `body` is Markdown and already ends
// with the marker; trackers that do not speak Markdown convert it.
struct TicketContent {
  std::string finding_id;
  std::string title;
  std::string body;
  findings::Severity severity = findings::Severity::kMedium;
  std::vector<std::string> labels;
};

enum class TicketState : std::uint8_t { kOpen, kClosed };

// A ticket as the tracker reports it.
struct TicketRef {
  std::string tracker;  // the tracker's configured name, e.g. "github"
  std::string key;      // the tracker's id: "42" (GitHub issue number), "SEC-12" (Jira key)
  std::string url;      // where a person opens it
  TicketState state = TicketState::kOpen;
  std::vector<std::string> labels;  // current labels (two-way: accepted-risk, approve-fix)
  std::string closed_reason;        // the latest comment or resolution on close, if any
};

// One ticket per finding. Every call is one logical request; implementations retry transient
// failures (5xx, timeouts, rate limits, honouring Retry-After and the tracker's rate-limit
// headers) with backoff before returning kIo. Errors never contain the token.
class Tracker {
 public:
  virtual ~Tracker() = default;
  // The configured name (the store keys mappings by it).
  virtual const std::string& name() const = 0;
  // The ticket whose body carries TicketMarker(finding_id), open or closed; nullopt when none.
  virtual Result<std::optional<TicketRef>> FindByFinding(std::string_view finding_id) = 0;
  virtual Result<TicketRef> Open(const TicketContent& content) = 0;
  virtual Status Comment(const TicketRef& ticket, std::string_view markdown) = 0;
  virtual Status Close(const TicketRef& ticket, std::string_view markdown) = 0;
  virtual Status Reopen(const TicketRef& ticket, std::string_view markdown) = 0;
  // The ticket's current state and labels.
  virtual Result<TicketRef> Fetch(const TicketRef& ticket) = 0;
};

// ---------------------------------------------------------------------------------------------
// Notifications

struct Notification {
  std::string event;  // "ticket.opened", "action.applied", "action.awaiting_approval", ...
  std::string finding_id;
  std::string title;
  std::string text;        // one paragraph for people
  nlohmann::json payload;  // the full structured record (finding summary, plan, result)
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual const std::string& name() const = 0;
  // Delivers or returns kIo after its retries.
  virtual Status Notify(const Notification& note) = 0;
};

// ---------------------------------------------------------------------------------------------
// Actions

// One concrete change, reviewable before it happens. `detail` is the exact change (argument
// vectors, HTTP method + path + body) and is what an approval's hash covers: two plans with the
// same detail are the same change.
struct PlannedChange {
  std::string action;   // "aws.guardduty.enable-eks-audit-logs", "kubernetes.delete-binding", ...
  std::string target;   // what it changes: an ARN, "clusterrolebindings/anon-admin", ...
  std::string summary;  // one line for people
  nlohmann::json detail;
};

// What applying a change did. `before` is the saved state that makes rollback possible (the
// deleted object, the previous setting); `after` what the target looked like afterwards.
struct ActionOutcome {
  bool applied = false;  // false for a dry run (server-side or local)
  nlohmann::json before;
  nlohmann::json after;
  std::string message;
};

enum class Verdict : std::uint8_t { kFixed, kNotFixed, kUnknown };

struct Verification {
  Verdict verdict = Verdict::kUnknown;
  std::string reason;
};

// An action kind. Stateless between calls: everything a later step needs travels in
// PlannedChange and ActionOutcome (they are journaled).
class ActionExecutor {
 public:
  virtual ~ActionExecutor() = default;
  // The action name playbooks use, e.g. "kubernetes.delete-binding".
  virtual std::string_view kind() const = 0;
  // Whether the action changes a cluster or an account (its playbook's default mode is dry-run)
  // or only reads/records.
  virtual bool mutating() const = 0;
  // The changes this action would make for `finding`, with the playbook's parameters. An empty
  // list means "nothing to do" (already fixed); kInvalidArgument when the finding does not carry
  // what the action needs.
  virtual Result<std::vector<PlannedChange>> Plan(const findings::Finding& finding,
                                                  const nlohmann::json& params) = 0;
  // Applies one planned change. With dry_run, asks the target to validate without persisting
  // (Kubernetes dryRun=All) where it can, and changes nothing.
  virtual Result<ActionOutcome> Apply(const PlannedChange& change, bool dry_run) = 0;
  // Re-reads the target after Apply.
  virtual Result<Verification> Verify(const PlannedChange& change,
                                      const ActionOutcome& outcome) = 0;
  // Undoes an applied change from outcome.before; kUnsupported when it cannot be undone.
  virtual Result<ActionOutcome> Rollback(const PlannedChange& change,
                                         const ActionOutcome& outcome) = 0;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_INTERFACES_H_
