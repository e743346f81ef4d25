// EKS controls over a snapshot's eks/ files (reference §2c/§2d):
//  - EKS.8: PASSED iff some logging.clusterLogging[] entry is enabled and its types contain
//    "audit" (split entries — audit in a disabled entry — FAIL);
//  - EKS.1: FAILED when resourcesVpcConfig.endpointPublicAccess is true;
//  - EKS.3: PASSED iff some encryptionConfig[] entry's resources contain "secrets";
//  - EKS.2: FAILED when the cluster's version is older than the oldest supported version (a
//    parameter, EksOptions::oldest_supported_version).
// One result per control and cluster; a cluster whose describe-cluster file is missing or
// unreadable gets NOT_AVAILABLE for all four with the reason; a region whose list-clusters.json is
// missing or unreadable gets one NOT_AVAILABLE per control for the account.
#ifndef VIGIL_CONTROLS_EKS_H_
#define VIGIL_CONTROLS_EKS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.h"
#include "controls/control.h"
#include "controls/snapshot.h"
#include "findings/finding.h"

namespace vigil::controls {

struct EksOptions {
  // Security Hub's oldestVersionSupported parameter of EKS.2, "<major>.<minor>".
  std::string oldest_supported_version = "1.31";
};

// "1.26" → (1, 26); nullopt for anything else.
std::optional<std::pair<int, int>> ParseKubernetesVersion(std::string_view text);

// The four EKS results for one describe-cluster document (`cluster` is its "cluster" member),
// read from `file`.
std::vector<findings::Finding> EvaluateEksCluster(const nlohmann::json& cluster,
                                                  const std::string& file,
                                                  const std::string& account,
                                                  const std::string& region,
                                                  const EksOptions& options,
                                                  UnixNanos now);

// Evaluates every cluster of every account and region of the snapshot. kIo only when the
// snapshot root cannot be listed.
Result<std::vector<findings::Finding>> EvaluateEks(const Snapshot& snapshot,
                                                   const EksOptions& options,
                                                   UnixNanos now);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_EKS_H_
