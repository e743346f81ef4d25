// DeliveryMonitor: "audit events are flowing" (KubeAudit.4) for `vigil serve`. The cameras must
// be on *and recording*: a cluster that has sent audit events before and then falls silent for
// longer than a window gets a HIGH FAILED control finding, "audit log delivery stopped"; when
// its events resume, a PASSED one, which the store turns into RESOLVED (findings/compliance.h).
//
// Contract for the server (the lead wires it in):
//  - Call Observe(cluster, wall_now) whenever events from `cluster` are accepted (once per
//    webhook batch is enough). Clusters that never sent anything are unknown and never reported.
//  - Call Evaluate(wall_now) periodically (e.g. every minute) and Upsert what it returns into the
//    FindingStore. It returns only changes: a cluster's first PASSED (after its first events), a
//    FAILED when its silence exceeds the window, a PASSED when events resume after a FAILED. An
//    empty vector means nothing changed. Re-upserting is harmless but not needed.
//  - Current() gives every known cluster's result now, e.g. for a /controls page.
//  - Times are wall-clock Unix nanoseconds supplied by the caller (a Clock seam; tests pass their
//    own). A time earlier than the last observation counts as "just now" (a clock step back must
//    not raise an alarm).
// The finding's id is stable per cluster (ControlFindingId("KubeAudit.4", "", "", cluster)).
//
// Thread-safety: every method may be called from any thread (one mutex; Observe is O(log n)).
#ifndef VIGIL_CONTROLS_DELIVERY_MONITOR_H_
#define VIGIL_CONTROLS_DELIVERY_MONITOR_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "findings/finding.h"

namespace vigil::controls {

struct DeliveryOptions {
  // Silence longer than this after a cluster's last event is a failure.
  std::int64_t window_seconds = 15 * 60;
};

class DeliveryMonitor {
 public:
  explicit DeliveryMonitor(DeliveryOptions options = {}) : options_(options) {}

  // Events from `cluster` arrived at `now`.
  void Observe(std::string_view cluster, UnixNanos now);

  // Stops watching `cluster` without reporting anything: another process receives its events now
  // (a JetStream worker handing the cluster's partition over), so its silence here is not a
  // delivery failure. The new owner's monitor reports it from its own observations.
  void Forget(std::string_view cluster);

  // The results whose status changed since the previous Evaluate (see the contract above).
  std::vector<findings::Finding> Evaluate(UnixNanos now);

  // Every known cluster's result at `now` (does not change what Evaluate reports next).
  std::vector<findings::Finding> Current(UnixNanos now) const;

 private:
  struct ClusterState {
    UnixNanos first_seen = 0;
    UnixNanos last_seen = 0;
    bool reported = false;
    findings::ComplianceStatus reported_status = findings::ComplianceStatus::kPassed;
  };
  findings::Finding Result(const std::string& cluster, const ClusterState& s, UnixNanos now) const;
  bool Silent(const ClusterState& s, UnixNanos now) const;

  DeliveryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, ClusterState, std::less<>> clusters_;
};

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_DELIVERY_MONITOR_H_
