// The findings table for people: one row per finding, columns SEVERITY, TYPE, COUNT, PRINCIPAL,
// RESOURCE and LAST SEEN, most severe first, then most frequent; long cells end in "…"; a total
// line at the end ("5 findings: 2 HIGH, 3 MEDIUM").
#ifndef VIGIL_FINDINGS_ENCODE_TABLE_H_
#define VIGIL_FINDINGS_ENCODE_TABLE_H_

#include <cstddef>
#include <ostream>
#include <span>
#include <string>

#include "findings/finding.h"

namespace vigil::findings {

struct TableOptions {
  // ANSI colours for the severity column and a bold header. The caller decides (a terminal, no
  // NO_COLOR); the encoder never looks at the environment.
  bool color = false;
  size_t max_type_width = 88;  // the longest GuardDuty type name fits
  size_t max_principal_width = 40;
  size_t max_resource_width = 48;
};

// The RESOURCE cell: "namespace/name"; without a name "namespace/<resource>/*"; for non-resource
// requests the request URI.
std::string ResourceLabel(const TargetResource& r);

// The PRINCIPAL cell: the username, with " (as <user>)" when impersonation was used.
std::string PrincipalLabel(const Principal& p);

// "N findings: a CRITICAL, b HIGH, …" (severities with no findings left out; "0 findings").
std::string SummaryLine(std::span<const Finding> findings);

// Writes the table and the summary line. With no findings, only the summary line.
void WriteTable(std::ostream& out,
                std::span<const Finding> findings,
                const TableOptions& options = {});

// The table for control (compliance) findings: STATUS, CONTROL, SEVERITY, ACCOUNT, REGION,
// RESOURCE (cluster name or resource id) and REASON (the first reason, "(+N more)" when there
// are more), failures first, then by control, account, region and resource; then
// "N results: a FAILED, b NOT_AVAILABLE, c WARNING, d PASSED". Findings without compliance are
// skipped.
void WriteComplianceTable(std::ostream& out,
                          std::span<const Finding> findings,
                          const TableOptions& options = {});
// "N results: a FAILED, …" for control findings.
std::string ComplianceSummaryLine(std::span<const Finding> findings);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_TABLE_H_
