// What a vigil ticket says: rendered from a finding, with the fields an auto-created Security Hub
// remediation issue carries, and ending with TicketMarker() so a lost store can be rebuilt.
#ifndef VIGIL_REMEDIATE_TICKET_H_
#define VIGIL_REMEDIATE_TICKET_H_

#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"
#include "remediate/interfaces.h"

namespace vigil::remediate {

// Title, Markdown body (finding id, resource ARN, severity, remediation type, created time,
// description, reasons, resource, remediation text and URL, the "created automatically" line,
// the marker) and labels ("vigil", "severity:<label>" and `extra_labels`). `mode` is the
// playbook's mode, shown as the remediation type.
TicketContent RenderTicket(const findings::Finding& f,
                           std::string_view playbook,
                           std::string_view mode,
                           const std::vector<std::string>& extra_labels);

// The one-line status a ticket comment is added for when it changes: "FAILED" for a control,
// "NEW, 12 events" for a detection.
std::string TicketStatusLine(const findings::Finding& f);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_TICKET_H_
