// Materialising what an event says about who did what, for findings. Everything copied here is
// safe to keep after the event's document is gone; free text is redacted.
#ifndef VIGIL_DETECT_OBSERVATION_H_
#define VIGIL_DETECT_OBSERVATION_H_

#include "event/audit_event.h"
#include "event/redact.h"
#include "findings/finding.h"

namespace vigil::detect {

// Fills obs.principal, source_ips, user_agent, resource, verb, response_code, audit_id, stage and
// time from `ev`. Principal AWS fields come from `user.extra` (arn or canonicalArn, sessionName,
// accessKeyId, principalId) when present. For a pod created by generateName (no objectRef.name),
// the name comes from the response body.
void FillFromEvent(const event::AuditEvent& ev, findings::Observation& obs);

// FillFromEvent in two parts. FillBrief: what aggregating a repeat needs (audit_id, stage, time,
// user_agent, source_ips, principal.username, resource; resource.request_uri only for
// non-resource requests, where the default dedup key uses it). FillDetail: the rest of the
// principal, verb, response_code and resource.request_uri, for an observation that becomes a
// finding's representative. `user_agents`, when given, remembers recent user agents redacted
// (a caller filling many observations sees the same few again and again).
void FillBrief(const event::AuditEvent& ev,
               findings::Observation& obs,
               event::RedactMemo* user_agents = nullptr);
void FillDetail(const event::AuditEvent& ev, findings::Observation& obs);

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_OBSERVATION_H_
