// Audit controls for clusters outside AWS (or any cluster whose API server flags you have):
// KubeAudit.1–.3 over a kube-apiserver static pod manifest or flags file and the audit Policy it
// names (docs/controls.md "Audit configuration checks").
//
//  - KubeAudit.1 (CIS 1.2.16/3.2.1): --audit-policy-file is set (without it the API server
//    records nothing) and so is --audit-log-path or --audit-webhook-config-file.
//  - KubeAudit.2 (CIS 1.2.17–1.2.19): with a log file, --audit-log-maxage >= 30,
//    --audit-log-maxbackup >= 10, --audit-log-maxsize >= 100; NOT_AVAILABLE when events go to a
//    webhook or stdout only.
//  - KubeAudit.3: the policy, evaluated the way the API server does (audit_policy.h) for probe
//    requests by an authenticated user, a service account and system:anonymous in "default" and
//    "kube-system", feeds vigil's catalog: pods, pod-template workloads and RBAC bindings written
//    at Request or RequestResponse; pods/exec, attach and portforward logged; Secrets at Metadata
//    exactly; RequestReceived omitted. Each failed clause is one reason.
#ifndef VIGIL_CONTROLS_KUBE_AUDIT_H_
#define VIGIL_CONTROLS_KUBE_AUDIT_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "controls/audit_policy.h"
#include "findings/finding.h"

namespace vigil::controls {

// kube-apiserver flags: name without the leading "--" → value (the last one wins; a flag without
// a value is "true").
struct ApiServerFlags {
  std::string file;
  std::map<std::string, std::string> values;
};

// Reads flags from a static pod manifest (a Pod whose container runs kube-apiserver: its command
// and args) or from a flags file ("--name=value" or "--name value" tokens, whitespace- or
// newline-separated, optionally quoted). kConfig when the text has no kube-apiserver flags, with
// the file and (for YAML) the line.
Result<ApiServerFlags> ParseApiServerFlags(std::string_view text, const std::string& file);

struct KubeAuditOptions {
  std::string cluster = "default";  // names the cluster in the results
  // The audit policy to read instead of the path in --audit-policy-file (that path is usually on
  // the control-plane host). Empty: use the flag's path, relative to the manifest's folder.
  std::string policy_file;
};

// The three results for these flags. The policy is read from options.policy_file or the flag.
std::vector<findings::Finding> EvaluateKubeAudit(const ApiServerFlags& flags,
                                                 const KubeAuditOptions& options,
                                                 UnixNanos now);

// Reads `manifest_path` and evaluates it. kNotFound/kIo when the manifest cannot be read,
// kConfig when it holds no kube-apiserver flags.
Result<std::vector<findings::Finding>> EvaluateApiServerManifest(const std::string& manifest_path,
                                                                 const KubeAuditOptions& options,
                                                                 UnixNanos now);

// KubeAudit.3's outcome for a parsed policy read from `file` (exposed for tests).
struct PolicyCheck {
  std::vector<std::string> failed;  // one reason per failed clause
  std::vector<std::string> passed;  // the clauses that hold
  std::vector<findings::ControlEvidence> evidence;
};
PolicyCheck CheckAuditPolicy(const AuditPolicy& policy, const std::string& file);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_KUBE_AUDIT_H_
