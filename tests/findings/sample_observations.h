// Realistic observations for findings and store tests: a few attacks on two clusters, as the
// detect stage would hand them over (redacted evidence, rendered outputs). Everything is fixed,
// so encoders' outputs can be compared with golden files.
#ifndef VIGIL_TESTS_FINDINGS_SAMPLE_OBSERVATIONS_H_
#define VIGIL_TESTS_FINDINGS_SAMPLE_OBSERVATIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "findings/finding.h"

namespace vigil::findings::testing {

// The wall-clock "now" the sample findings are aggregated at.
inline constexpr UnixNanos kSampleNow = 1714566000000000000;  // 2024-05-01T12:20:00Z

// RFC 3339 → UnixNanos, aborting the test binary on a typo.
UnixNanos T(std::string_view rfc3339);

// 13 observations that aggregate into 6 findings:
//  - Discovery:Kubernetes/SuccessfulAnonymousAccess, 3 events from 2 IPs (prod-eks, AWS account)
//  - PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer by an
//    IAM role session, 2 events (prod-eks)
//  - Policy:Kubernetes/AnonymousAccessGranted, 1 event (prod-eks)
//  - Custom:Kubernetes/SecretsReadByUnusualAgent, MITRE Credential Access, 4 events (prod-eks)
//  - Execution:Kubernetes/ExecInKubeSystemPod with impersonation on a kind cluster (no AWS)
//  - Custom:Kubernetes/ConfigMapChurn, no MITRE, LOW, kind cluster
// They are returned in event-time order.
std::vector<Observation> SampleObservations();

// An observation of `rule` on `cluster` by `user` with the given audit id and time; the rest
// filled with plausible values. For tests that need many similar events.
Observation MakeObservation(std::string_view rule,
                            std::string_view user,
                            std::string_view audit_id,
                            UnixNanos time,
                            std::string_view cluster = "prod-eks");

}  // namespace vigil::findings::testing

#endif  // VIGIL_TESTS_FINDINGS_SAMPLE_OBSERVATIONS_H_
