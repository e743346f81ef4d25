// `vigil controls report`: the control results in a store, for auditors. One row per control and
// resource (account/region/cluster): the status now, when it last changed, when it was last
// evaluated, why, and the evidence (which snapshot file said what), with the status history.
#ifndef VIGIL_CONTROLS_REPORT_H_
#define VIGIL_CONTROLS_REPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "findings/finding.h"
#include "store/finding_store.h"

namespace vigil::controls {

struct ReportRow {
  findings::Finding finding;                     // with compliance
  std::vector<store::ComplianceChange> history;  // oldest first
};

// Every control finding in the store (type "Control:*"), ordered by control (AllControls()
// order), account, region and resource, with its compliance history.
Result<std::vector<ReportRow>> LoadReport(store::FindingStore& store);

// Markdown: a summary table (control, title, status counts), then one section per control with a
// row per account/cluster (status, since, last evaluated, reasons, evidence).
void WriteReportMarkdown(std::ostream& out, const std::vector<ReportRow>& rows, UnixNanos now);
// The same as a self-contained HTML page (no scripts, no external resources; text escaped).
void WriteReportHtml(std::ostream& out, const std::vector<ReportRow>& rows, UnixNanos now);
// JSON: {"generated_at", "summary": {status: count}, "results": [{control, title, account,
// region, cluster, resource, status, severity, status_since, last_evaluated, workflow_status,
// reasons, evidence[{file, said}], history[{at, status, reasons}]}]}.
void WriteReportJson(std::ostream& out, const std::vector<ReportRow>& rows, UnixNanos now);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_REPORT_H_
