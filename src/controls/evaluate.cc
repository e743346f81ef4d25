#include "controls/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "controls/control.h"
#include "controls/guardduty.h"
#include "controls/snapshot.h"

namespace vigil::controls {
namespace {

size_t ControlOrder(std::string_view id) {
  const auto all = AllControls();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].id == id) return i;
  }
  return all.size();
}

}  // namespace

void SortControlFindings(std::vector<findings::Finding>& results) {
  auto key = [](const findings::Finding& f) {
    return std::make_tuple(ControlOrder(f.rule), f.account, f.region,
                           f.compliance ? f.compliance->resource_id : std::string());
  };
  std::stable_sort(
      results.begin(), results.end(),
      [&](const findings::Finding& a, const findings::Finding& b) { return key(a) < key(b); });
}

Result<std::vector<findings::Finding>> EvaluateSnapshot(const std::string& root,
                                                        const SnapshotOptions& options,
                                                        UnixNanos now) {
  const Snapshot snapshot(root);
  VIGIL_TRY(std::vector<std::string> accounts, snapshot.Accounts());
  if (accounts.empty()) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("{}: no account folder (12 digits) in this snapshot; expected "
                                 "SNAP/<account-id>/<region>/guardduty/... (docs/controls.md)",
                                 root));
  }
  VIGIL_TRY(std::vector<findings::Finding> results, EvaluateGuardDuty(snapshot, now));
  VIGIL_TRY(std::vector<findings::Finding> eks, EvaluateEks(snapshot, options.eks, now));
  for (findings::Finding& f : eks) results.push_back(std::move(f));
  SortControlFindings(results);
  return results;
}

}  // namespace vigil::controls
