// vigil's native finding JSON: one object per line, keys in a fixed order (docs/finding-format.md).
// Encoding never fails (invalid UTF-8 is replaced by U+FFFD); decoding is used by stores and by
// anything that reads vigil's own output back.
#ifndef VIGIL_FINDINGS_ENCODE_JSON_H_
#define VIGIL_FINDINGS_ENCODE_JSON_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "findings/finding.h"

namespace vigil::findings {

// The finding as an ordered JSON object: id, rule, type, severity, title, description, dedup_key,
// count, audit_ids, audit_ids_truncated, first_seen, last_seen, cluster, account, region,
// principal, source_ips, user_agent, resource, mitre, remediation, tags, priority, output_fields,
// context, evidence, workflow_status, created_at, updated_at, then — only when present —
// control, status and reasons (a summary of compliance) and compliance (control, status,
// control_severity, standard, reasons, resource_type, resource_id, remediation_type,
// evidence[{file, said}], status_since) and related_findings (ids). Times are RFC 3339 with
// microseconds. `evidence` is the event as a JSON object (null when there is none; {"unparsed":
// text} if the stored text is not JSON). principal.aws appears only with a non-empty member, and
// holds only the non-empty ones.
nlohmann::ordered_json FindingToJson(const Finding& f);

// FindingToJson as one line, without a trailing newline.
std::string EncodeFindingJson(const Finding& f);

// One line per finding, each ending with '\n'.
void WriteFindingJsonLines(std::ostream& out, std::span<const Finding> findings);

// Reads what FindingToJson wrote. Missing members keep their defaults; a member of the wrong type,
// an unknown severity or workflow status, or a malformed time is a kParse error naming the member.
// `evidence` comes back as compact JSON text.
Result<Finding> FindingFromJson(const nlohmann::ordered_json& j);
Result<Finding> ParseFindingJson(std::string_view text);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_JSON_H_
