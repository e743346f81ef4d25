// Materialising what an event says about who did what, for findings. Everything copied here is
// safe to keep after the event's document is gone; free text is redacted.
#ifndef VIGIL_DETECT_OBSERVATION_H_
#define VIGIL_DETECT_OBSERVATION_H_

#include "event/audit_event.h"
#include "findings/finding.h"

namespace vigil::detect {

// Fills obs.principal, source_ips, user_agent, resource, verb, response_code, audit_id, stage and
// time from `ev`. Principal AWS fields come from `user.extra` (arn or canonicalArn, sessionName,
// accessKeyId, principalId) when present. For a pod created by generateName (no objectRef.name),
// the name comes from the response body.
void FillFromEvent(const event::AuditEvent& ev, findings::Observation& obs);

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_OBSERVATION_H_
