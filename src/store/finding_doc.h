// How a stored finding is laid out, shared by the SQLite and PostgreSQL stores so both keep the
// same bytes: the filterable members in columns, everything else in `doc` (native JSON), and a
// control finding's compliance-history entry as {"reasons": [...], "evidence": [{file, said}]}.
#ifndef VIGIL_STORE_FINDING_DOC_H_
#define VIGIL_STORE_FINDING_DOC_H_

#include <cstdint>
#include <string>

#include "base/result.h"
#include "findings/finding.h"
#include "store/finding_store.h"

namespace vigil::store {

// The JSON of `f` without the members that live in their own columns.
std::string FindingDoc(const findings::Finding& f);

// The columns every finding query selects, in this order.
inline constexpr std::string_view kFindingColumns =
    "id, doc, severity, count, first_seen, last_seen, workflow, created_at, updated_at";

// One row of kFindingColumns.
struct FindingRow {
  std::string id;
  std::string doc;
  std::int64_t severity = 0;
  std::int64_t count = 0;
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  std::string workflow;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// The finding a row holds; kIo when the row is damaged (bad JSON, severity, workflow).
Result<findings::Finding> FindingFromRow(const FindingRow& row);

// The `doc` of a compliance-history entry for control finding `f`.
std::string ComplianceDoc(const findings::Finding& f);
// Fills c->reasons and c->evidence from a compliance-history `doc` (ignores what it cannot read).
void ReadComplianceDoc(std::string_view doc, ComplianceChange* c);

}  // namespace vigil::store

#endif  // VIGIL_STORE_FINDING_DOC_H_
