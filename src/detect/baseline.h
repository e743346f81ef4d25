// Baselines: what is normal for each principal of a cluster, learned from the audit log, and the
// eight GuardDuty AnomalousBehavior finding types that fire on deviations from it (reference
// guardduty-securityhub.md §1c).
//
// Per cluster and principal vigil keeps, each value with the event time it was first and last
// seen:
//   network     the caller's /24 (IPv4) or /48 (IPv6)
//   user_agent  the client product (the user agent up to its first '/' or space: "kubectl")
//   namespace   namespaces it acted in
//   api         "verb resource[/subresource]" pairs
//   image       container images it deployed
//   permission  permissions it checked ("verb resource" asked in a self-subject access review)
//   asn         the caller's autonomous system ("AS64500"), only with GeoIP/ASN databases
//               (BaselineOptions::geoip); a principal whose asn baseline is empty (learned
//               without a database, or only from private addresses) has no unusual ASN
// Learning runs from the cluster's first event for `learning_seconds` of EVENT time (7 days by
// default), so a replayed log learns what the live one did. Afterwards vigil keeps learning from
// every event except those that produced a HIGH or CRITICAL finding (an attack does not become
// normal), and forgets values not seen for `max_age_seconds`.
//
// After learning, these requests are checked against the principal's baseline; each value never
// seen before (or a principal never seen at all) is "unusual", and a request with at least one
// unusual value of a dimension that matters to it makes a finding:
//   get/list/watch secrets                       CredentialAccess:.../SecretsAccessed (MEDIUM)
//   create/update/patch (cluster)rolebindings    .../RoleBindingCreated (MEDIUM; HIGH for admin
//                                                or cluster-admin)
//   create pods/exec                             .../ExecInPod (MEDIUM)
//   workload write with a privileged container   .../WorkloadDeployed!PrivilegedContainer (HIGH)
//   workload write with a sensitive hostPath     .../WorkloadDeployed!ContainerWithSensitiveMount
//                                                (HIGH)
//   other workload writes                        .../WorkloadDeployed (LOW; MEDIUM for a suspicious
//                                                image or command)
//   create/update/patch of a highly permissive (cluster)role   .../RoleCreated (LOW)
//   a successful self-subject access review asking about a powerful action
//                                                .../PermissionChecked (LOW)
// The finding's context says what was unusual and against which baseline (what the principal
// was seen with before, since when), like GuardDuty's KubernetesAnomaly details.
//
// Thread-safety: not thread-safe; one per cluster, used by one thread at a time.
#ifndef VIGIL_DETECT_BASELINE_H_
#define VIGIL_DETECT_BASELINE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "event/audit_event.h"
#include "detect/geoip.h"
#include "findings/finding.h"

namespace vigil::detect {

struct BaselineOptions {
  std::string cluster = "default";
  std::string account{};
  std::string region{};
  std::int64_t learning_seconds = 7 * 24 * 3600;
  std::int64_t max_age_seconds = 90 * 24 * 3600;
  std::size_t max_principals = 100000;
  std::size_t max_values = 512;  // per principal and dimension; the least recently seen go first
  // With GeoIP/ASN databases the caller's AS ("AS64500") is learned too (dimension "asn").
  std::shared_ptr<const GeoIp> geoip{};
};

enum class BaselineDimension : std::uint8_t {
  kNetwork = 0,
  kUserAgent,
  kNamespace,
  kApi,
  kImage,
  kPermission,
  kAsn,
};
inline constexpr std::size_t kBaselineDimensions = 7;
// "network", "user_agent", "namespace", "api", "image", "permission", "asn".
std::string_view BaselineDimensionName(BaselineDimension d);

struct BaselineSeen {
  UnixNanos first = 0;
  UnixNanos last = 0;
  friend bool operator==(const BaselineSeen&, const BaselineSeen&) = default;
};

struct PrincipalBaseline {
  UnixNanos first_seen = 0;
  UnixNanos last_seen = 0;
  std::array<std::map<std::string, BaselineSeen>, kBaselineDimensions> values{};
  friend bool operator==(const PrincipalBaseline&, const PrincipalBaseline&) = default;
};

// Everything learned for one cluster. Export/import format (JSON, version 1):
//   {"version":1,"cluster":"prod","started":"<RFC 3339>","learning_seconds":604800,
//    "principals":{"alice":{"first_seen":"...","last_seen":"...",
//                           "network":{"10.0.0.0/24":["<first>","<last>"]}, ...}}}
// "asn" is written only when not empty, so a baseline learned without GeoIP databases reads in
// versions that predate it; a dimension missing on import is empty.
struct BaselineState {
  std::string cluster;
  UnixNanos started = 0;  // event time of the first event learned; 0: nothing yet
  std::map<std::string, PrincipalBaseline> principals;
  friend bool operator==(const BaselineState&, const BaselineState&) = default;
};

std::string BaselineToJson(const BaselineState& state, std::int64_t learning_seconds);
// Parses BaselineToJson's format. kParse with the JSON path of the first problem (e.g.
// "principals.alice.network: expected [first, last]"); never throws.
Result<BaselineState> BaselineFromJson(std::string_view text);

// Where baselines live between runs. A FindingStore implementation provides one (SQLite: schema
// version 6), so PostgreSQL can follow.
class BaselineStore {
 public:
  virtual ~BaselineStore() = default;
  // The stored state for `cluster`; nullopt when there is none.
  virtual Result<std::optional<BaselineState>> LoadBaseline(std::string_view cluster) = 0;
  virtual Status SaveBaseline(const BaselineState& state, std::int64_t learning_seconds) = 0;
  // Clusters with a stored baseline.
  virtual Result<std::vector<std::string>> ListBaselines() = 0;
  // Forgets `cluster`'s baseline; false when there was none.
  virtual Result<bool> ResetBaseline(std::string_view cluster) = 0;
};

class BaselineDetector {
 public:
  explicit BaselineDetector(BaselineOptions options, BaselineState state = {});

  // Checks one event against its principal's baseline and appends any anomaly observation to
  // `out`; then learns from it unless `finding_severity` (the highest severity of the findings
  // the event produced, including the anomalies) is HIGH or above. Events that are not on their
  // final stage or failed (status >= 400) are ignored.
  void OnEvent(const event::AuditEvent& ev,
               std::optional<findings::Severity> finding_severity,
               std::vector<findings::Observation>& out);

  // True once `learning_seconds` of event time have passed since the first event.
  bool learned() const { return learned_; }
  const BaselineState& state() const { return state_; }
  BaselineState& mutable_state() { return state_; }
  const BaselineOptions& options() const { return options_; }
  // Whether state() changed since the last clear_dirty().
  bool dirty() const { return dirty_; }
  void clear_dirty() { dirty_ = false; }

 private:
  struct Facts;
  void Learn(const Facts& facts, UnixNanos time);
  void Age(UnixNanos now);

  BaselineOptions options_;
  BaselineState state_;
  bool learned_ = false;
  bool dirty_ = false;
  UnixNanos last_aged_ = 0;
  GeoCache geo_;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_BASELINE_H_
