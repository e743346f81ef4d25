// Fuzz target: arbitrary bytes as a kube-apiserver manifest or flags file (ParseApiServerFlags)
// and as an audit Policy (ParseAuditPolicy → CheckAuditPolicy). Besides "never crashes, never
// leaks, never hangs" it checks that a rejected input has a message, that a parsed policy's
// check names every clause exactly once (passed or failed), and that flags, when found, have
// names.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "controls/audit_policy.h"
#include "controls/kube_audit.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto flags = vigil::controls::ParseApiServerFlags(input, "fuzz.yaml");
  if (flags) {
    for (const auto& [name, value] : flags->values) VIGIL_FUZZ_CHECK(!name.empty());
  } else {
    VIGIL_FUZZ_CHECK(!flags.error().message.empty());
  }
  auto policy = vigil::controls::ParseAuditPolicy(input, "policy.yaml");
  if (!policy) {
    VIGIL_FUZZ_CHECK(!policy.error().message.empty());
    return 0;
  }
  const auto check = vigil::controls::CheckAuditPolicy(*policy, "policy.yaml");
  // Five clauses plus RequestReceived (which is neither passed nor failed when nothing is logged).
  VIGIL_FUZZ_CHECK(check.failed.size() + check.passed.size() >= 5);
  VIGIL_FUZZ_CHECK(check.failed.size() + check.passed.size() <= 6);
  return 0;
}
