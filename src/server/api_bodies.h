// Parsers of the JSON bodies the REST API accepts (docs/http-api.md). Outside input: every problem
// is a kParse Error saying which member is wrong; nothing throws.
#ifndef VIGIL_SERVER_API_BODIES_H_
#define VIGIL_SERVER_API_BODIES_H_

#include <string>
#include <string_view>

#include "base/result.h"
#include "findings/finding.h"
#include "store/finding_store.h"

namespace vigil::server {

// POST /api/v1/findings/{id}/workflow: {"status": "RESOLVED", "note": "..."}.
struct WorkflowUpdate {
  findings::WorkflowStatus status = findings::WorkflowStatus::kNew;
  std::string note;
};
Result<WorkflowUpdate> ParseWorkflowUpdate(std::string_view body);

// POST /api/v1/suppressions: {"type", "principal", "namespace", "image_prefix", "expires"
// (RFC 3339), "note"}, at least one match member. The id, actor and created time are not taken
// from the body.
Result<store::Suppression> ParseSuppressionRequest(std::string_view body);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_API_BODIES_H_
