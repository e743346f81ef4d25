// OCSF Detection Finding (class_uid 2004) events, schema version kOcsfVersion
// (docs/finding-format.md has the mapping). 1.6.0 is the version AWS Security Hub reads and has
// every attribute vigil fills in (is_alert arrived in 1.4); the base-event and finding required
// attributes (activity_id, category_uid, class_uid, metadata.product, metadata.version,
// severity_id, time, type_uid, finding_info.uid) are always present.
#ifndef VIGIL_FINDINGS_ENCODE_OCSF_H_
#define VIGIL_FINDINGS_ENCODE_OCSF_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "findings/finding.h"

namespace vigil::findings {

inline constexpr std::string_view kOcsfVersion = "1.6.0";
inline constexpr int kOcsfClassUid = 2004;
// Control findings (Finding::compliance set) are Compliance Findings (2003) with the required
// `compliance` object {control, standards, status_id (1 Pass, 2 Warning, 3 Fail, 99 Other for
// NOT_AVAILABLE), status, status_details}; related_findings go to finding_info.related_events.
inline constexpr int kOcsfComplianceClassUid = 2003;
inline constexpr int kOcsfCategoryUid = 2;

struct OcsfOptions {
  std::string product_version;  // metadata.product.version; empty means this build's version
  std::string vendor_name = "vigil";
};

// OCSF severity_id for a severity: INFORMATIONAL 1 … CRITICAL 5.
int OcsfSeverityId(Severity s);
// OCSF finding status_id for a workflow status: NEW 1, NOTIFIED 2 (In Progress), SUPPRESSED 3,
// RESOLVED 4.
int OcsfStatusId(WorkflowStatus s);

// The finding as an OCSF Detection Finding. activity_id is 1 (Create) while updated_at is not
// after created_at, else 2 (Update); type_uid = 200400 + activity_id.
nlohmann::ordered_json FindingToOcsf(const Finding& f, const OcsfOptions& options = {});

// FindingToOcsf as one line, without a trailing newline.
std::string EncodeOcsf(const Finding& f, const OcsfOptions& options = {});

// One OCSF event per line, each ending with '\n'.
void WriteOcsfLines(std::ostream& out,
                    std::span<const Finding> findings,
                    const OcsfOptions& options = {});

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_OCSF_H_
