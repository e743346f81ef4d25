#include "controls/delivery_monitor.h"

#include <fmt/format.h>

#include "controls/control.h"

namespace vigil::controls {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

std::string Duration(std::int64_t seconds) {
  if (seconds % 3600 == 0 && seconds >= 3600) return fmt::format("{}h", seconds / 3600);
  if (seconds % 60 == 0 && seconds >= 60) return fmt::format("{}m", seconds / 60);
  return fmt::format("{}s", seconds);
}

}  // namespace

void DeliveryMonitor::Observe(std::string_view cluster, UnixNanos now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) {
    it = clusters_.emplace(std::string(cluster), ClusterState{}).first;
    it->second.first_seen = now;
  }
  if (now > it->second.last_seen) it->second.last_seen = now;
}

void DeliveryMonitor::Forget(std::string_view cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clusters_.find(cluster);
  if (it != clusters_.end()) clusters_.erase(it);
}

bool DeliveryMonitor::Silent(const ClusterState& s, UnixNanos now) const {
  return now > s.last_seen && now - s.last_seen > options_.window_seconds * kSecond;
}

findings::Finding DeliveryMonitor::Result(const std::string& cluster,
                                          const ClusterState& s,
                                          UnixNanos now) const {
  ControlOutcome out;
  const std::string last = FormatRfc3339(s.last_seen, 0);
  if (Silent(s, now)) {
    out.status = findings::ComplianceStatus::kFailed;
    out.reasons.push_back(fmt::format(
        "audit log delivery stopped: no audit events from cluster {} for {} (last at {}; window "
        "{})",
        cluster, Duration((now - s.last_seen) / kSecond), last, Duration(options_.window_seconds)));
  } else {
    out.status = findings::ComplianceStatus::kPassed;
    out.reasons.push_back(
        fmt::format("audit events are arriving from cluster {} (last at {})", cluster, last));
  }
  out.evidence.push_back({"vigil serve", fmt::format("last audit event received at {}", last)});
  return MakeControlFinding(Control("KubeAudit.4"), {"", "", cluster, "Other", cluster},
                            std::move(out), now);
}

std::vector<findings::Finding> DeliveryMonitor::Evaluate(UnixNanos now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<findings::Finding> changes;
  for (auto& [cluster, s] : clusters_) {
    const auto status =
        Silent(s, now) ? findings::ComplianceStatus::kFailed : findings::ComplianceStatus::kPassed;
    if (s.reported && s.reported_status == status) continue;
    s.reported = true;
    s.reported_status = status;
    changes.push_back(Result(cluster, s, now));
  }
  return changes;
}

std::vector<findings::Finding> DeliveryMonitor::Current(UnixNanos now) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<findings::Finding> all;
  for (const auto& [cluster, s] : clusters_) all.push_back(Result(cluster, s, now));
  return all;
}

}  // namespace vigil::controls
