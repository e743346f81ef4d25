// FindingStore: where findings live between runs. One interface, so SQLite (embedded, the default)
// and PostgreSQL (many workers) are interchangeable for the CLI, the server and remediation.
//
// Idempotence (DESIGN.md "Nothing lost"): a store remembers, per finding, which evidence events
// (EventRef: the digest of auditID and stage) it has counted. Upsert() adds to `count` only the
// events it has not seen, so upserting the same findings again — a re-scan of the same file, a
// batch redelivered after a crash before its acknowledgement — leaves every id and count as they
// were. This needs Finding::events, which a FindingAggregator fills when created with
// track_events; a finding without events is counted as-is (count += count).
#ifndef VIGIL_STORE_FINDING_STORE_H_
#define VIGIL_STORE_FINDING_STORE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "findings/finding.h"

namespace vigil::store {

// What one Upsert() did to each finding it was given.
enum class UpsertAction : std::uint8_t {
  kInserted,   // a new id
  kUpdated,    // merged, and something changed (updated_at bumped)
  kUnchanged,  // merged, nothing changed (e.g. every event already counted)
};

struct UpsertOutcome {
  std::string id;
  UpsertAction action = UpsertAction::kUnchanged;
  std::uint64_t new_events = 0;  // events counted by this upsert
  bool reopened = false;         // RESOLVED → NEW because the activity recurred
};

struct UpsertResult {
  std::vector<UpsertOutcome> outcomes;  // one per input finding, in input order
  size_t inserted = 0;
  size_t updated = 0;
  size_t unchanged = 0;
};

// What List() orders by.
enum class FindingSort : std::uint8_t {
  kLastSeen,
  kFirstSeen,
  kUpdatedAt,
  kSeverity,
  kCount,
  kType,
  kTitle,
  kCluster,
  kPrincipal,
  kNamespace,
  kStatus,
};

// "last_seen", "severity", ... (the API's `sort` names); nullopt for anything else.
std::optional<FindingSort> ParseFindingSort(std::string_view name);

// Filters for List; every member left empty matches everything. Every member has a default so
// callers can write List({.cluster = "prod", .limit = 20}).
struct FindingQuery {
  std::optional<findings::Severity> min_severity{};
  std::string type{};         // exact finding type
  std::string type_prefix{};  // e.g. "PrivilegeEscalation:" or "Policy:Kubernetes/"
  std::string cluster{};
  std::string principal{};                           // principal username, exact
  std::string ns{};                                  // target namespace, exact
  std::optional<UnixNanos> since{};                  // last_seen >= since
  std::optional<UnixNanos> until{};                  // first_seen <= until
  std::vector<findings::WorkflowStatus> workflow{};  // any of these
  size_t limit = 100;                                // 0: no limit
  size_t offset = 0;
  bool with_evidence = false;  // List() leaves Finding::evidence empty unless set
  // Console filters (schema version 7 indexes them):
  std::string text{};                       // case-insensitive substring of anything in the finding
  std::optional<UnixNanos> updated_after{};  // updated_at > updated_after
  FindingSort sort = FindingSort::kLastSeen;
  bool ascending = false;  // the sort's direction; ties are broken by id
  std::vector<findings::Severity> severities{};  // exactly one of these (with min_severity: both)
};

// One page of List(), in the query's order (newest activity first by default).
struct FindingPage {
  std::vector<findings::Finding> findings;
  size_t total = 0;  // matches ignoring limit/offset
};

// Counts over the findings matching a query, for the console's overview.
struct FindingStats {
  std::size_t total = 0;
  std::vector<std::pair<std::string, std::uint64_t>> by_severity;  // severity name → count
  std::vector<std::pair<std::string, std::uint64_t>> by_type;      // most first, at most `top`
  std::vector<std::pair<std::string, std::uint64_t>> by_status;    // workflow name → count
  std::vector<std::pair<std::string, std::uint64_t>> top_principals;
  std::vector<std::pair<std::string, std::uint64_t>> top_source_ips;  // findings per source IP
  std::vector<std::pair<std::string, std::uint64_t>> by_cluster;
};

// One bucket of a timeline: findings first seen in [start, start + bucket) per severity.
struct TimelineBucket {
  UnixNanos start = 0;
  std::array<std::uint64_t, 5> by_severity{};  // indexed by findings::Severity
};

// One workflow change, as kept in the history.
struct WorkflowChange {
  std::string finding_id;
  UnixNanos at = 0;
  std::string actor;  // who: a user name, "vigil" for automatic changes
  findings::WorkflowStatus from = findings::WorkflowStatus::kNew;
  findings::WorkflowStatus to = findings::WorkflowStatus::kNew;
  std::string note;
};

// One entry of a control finding's compliance history (schema version 2).
struct ComplianceChange {
  std::string finding_id;
  UnixNanos at = 0;
  std::string control;
  findings::ComplianceStatus status = findings::ComplianceStatus::kNotAvailable;
  std::vector<std::string> reasons;
  std::vector<findings::ControlEvidence> evidence;
};


// A suppression rule: findings matching every field that is set (type exact or, ending in '*', a
// prefix; principal username exact; target namespace exact; a container image in the finding's
// output fields starting with image_prefix) are archived (workflow SUPPRESSED) when the rule is
// added, and when they are first stored while it is active. At least one field is set.
struct Suppression {
  std::string id{};  // assigned by AddSuppression
  std::string type{};
  std::string principal{};
  std::string ns{};
  std::string image_prefix{};
  UnixNanos expires_at = 0;  // 0: never expires
  UnixNanos created_at = 0;
  std::string actor{};
  std::string note{};
};

// True when `s` matches `f` (ignores expiry).
bool SuppressionMatches(const Suppression& s, const findings::Finding& f);

// Thread-safety: an implementation object is used by one thread at a time; open one per thread
// (several connections, also from several processes, may share one database).
class FindingStore {
 public:
  virtual ~FindingStore() = default;

  // Merges `findings` into the store in one transaction: all or nothing. For an existing id:
  // count += events not counted before; first_seen = min; last_seen = max; audit_ids and
  // source_ips the capped union; the representative fields from the earliest batch; a RESOLVED
  // finding with new events goes back to NEW (SUPPRESSED stays); updated_at becomes `now` (or
  // stays strictly increasing) only when something changed. A new id is inserted with its own
  // created_at/updated_at (`now` where they are 0). Errors: kInvalidArgument for a finding without
  // an id; kIo when the database fails (busy beyond the timeout, disk full, corrupt); nothing is
  // written then.
  virtual Result<UpsertResult> Upsert(std::span<const findings::Finding> findings,
                                      UnixNanos now) = 0;

  // The finding with this id, evidence included. kNotFound if there is none.
  virtual Result<findings::Finding> Get(std::string_view id) = 0;

  // Which of `ids` name a SUPPRESSED finding (unknown ids are not). One query for the lot where
  // the backend allows it: the ingest path asks this for every live attack-sequence signal on each
  // commit. The default implementation calls Get() per id.
  virtual Result<std::vector<std::string>> SuppressedAmong(std::span<const std::string> ids);

  // Findings matching `query`, newest activity first, paged.
  virtual Result<FindingPage> List(const FindingQuery& query) = 0;

  // Sets the workflow status and records who, when and why in the history (also when the status
  // does not change, so a note can be added). updated_at is bumped when the status changes.
  // kNotFound for an unknown id.
  virtual Status SetWorkflowStatus(std::string_view id,
                                   findings::WorkflowStatus status,
                                   std::string_view actor,
                                   std::string_view note,
                                   UnixNanos now) = 0;

  // The workflow history of a finding, oldest first (empty for an unknown id).
  virtual Result<std::vector<WorkflowChange>> History(std::string_view id) = 0;

  // Control findings (Finding::compliance set) are merged by findings::MergeControlFinding
  // instead (findings/compliance.h): the latest evaluation replaces the content, PASSED resolves,
  // a failure after PASSED reopens (with a workflow-history entry by "vigil"), and every status or
  // reasons change is appended to the compliance history. Their count counts evaluations.
  //
  // The compliance history of a control finding, oldest first (empty for an unknown id or a
  // detection finding). The default implementation says kUnsupported.
  virtual Result<std::vector<ComplianceChange>> ComplianceHistory(std::string_view id);

  // Stores `rule` (its id is assigned and returned in it) and, in the same transaction, archives
  // every NEW or NOTIFIED finding it matches, recording `rule.actor` in their history. Returns the
  // rule and how many findings it archived. kInvalidArgument when no match field is set.
  virtual Result<std::pair<Suppression, std::size_t>> AddSuppression(Suppression rule,
                                                                     UnixNanos now) = 0;
  // Every rule, expired ones included, oldest first.
  virtual Result<std::vector<Suppression>> ListSuppressions() = 0;
  // Deletes a rule (findings it archived stay archived). kNotFound for an unknown id.
  virtual Status DeleteSuppression(std::string_view id) = 0;

  // How many findings the store holds per (type, severity name), for /metrics.
  virtual Result<std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>>>
  CountByTypeAndSeverity() = 0;

  // Counts over the findings matching `filter` (its paging and sort are ignored); the top lists
  // hold at most `top` entries. The default implementation says kUnsupported.
  virtual Result<FindingStats> Stats(const FindingQuery& filter, std::size_t top);

  // Findings matching `filter` first seen in [from, to), counted per `bucket` nanoseconds (buckets
  // start at from, from + bucket, ...) and severity; buckets with no finding are left out. The
  // default implementation says kUnsupported.
  virtual Result<std::vector<TimelineBucket>> Timeline(const FindingQuery& filter,
                                                       UnixNanos from,
                                                       UnixNanos to,
                                                       std::int64_t bucket);
};

// Opens the store named by `location`: "sqlite:PATH", or a plain path (SQLite); ":memory:" for a
// private in-memory database; "postgres://…" / "postgresql://…" for PostgreSQL
// (store/postgres/pg_store.h). Errors as SqliteFindingStore::Open / PgFindingStore::Open.
Result<std::unique_ptr<FindingStore>> OpenFindingStore(std::string_view location);

// True for a PostgreSQL URL (a server, not a file: there is nothing to look for on disk).
bool IsPostgresLocation(std::string_view location);
// `location` fit for messages: a URL's password replaced by "***".
std::string RedactLocation(std::string_view location);

}  // namespace vigil::store

#endif  // VIGIL_STORE_FINDING_STORE_H_
