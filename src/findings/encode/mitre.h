// MITRE ATT&CK (Enterprise) tactics, for the encoders: ASFF TTPs categories and OCSF attack
// tactics. Rule files write tactics in many ways ("Privilege Escalation", "privilege_escalation",
// "PrivilegeEscalation", "TA0004"); LookupTactic accepts all of them.
#ifndef VIGIL_FINDINGS_ENCODE_MITRE_H_
#define VIGIL_FINDINGS_ENCODE_MITRE_H_

#include <string_view>

namespace vigil::findings {

struct TacticInfo {
  std::string_view name;  // MITRE display name, e.g. "Privilege Escalation"
  std::string_view uid;   // e.g. "TA0004"
};

// The tactic named by `text` (case, spaces, '-' and '_' ignored; TA ids accepted), or nullptr.
const TacticInfo* LookupTactic(std::string_view text);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_MITRE_H_
