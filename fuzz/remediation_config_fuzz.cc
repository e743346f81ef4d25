// Fuzz target: arbitrary bytes as the `remediation:` part of a vigil config (playbooks, gates,
// trackers). Besides "never crashes, never leaks, never hangs" it checks that a rejected config
// names the file, that an accepted one matches findings without throwing, and that a ticket
// rendered for any finding ends with its marker.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "remediate/config.h"
#include "remediate/interfaces.h"
#include "remediate/ticket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = vigil::remediate::ParseRemediationConfig(text, "fuzz.yaml");
  if (!config) {
    VIGIL_FUZZ_CHECK(!config.error().message.empty());
    VIGIL_FUZZ_CHECK(config.error().ToString().find("fuzz.yaml") != std::string::npos);
    return 0;
  }
  vigil::findings::Finding f;
  f.id = std::string(text.substr(0, 40));
  f.type = std::string(text.substr(0, 20));
  f.title = std::string(text);
  f.resource.ns = "kube-system";
  (void)vigil::remediate::FindPlaybook(*config, f);
  f.compliance = vigil::findings::Compliance{};
  f.compliance->control_id = "GuardDuty.5";
  f.compliance->status = vigil::findings::ComplianceStatus::kFailed;
  (void)vigil::remediate::FindPlaybook(*config, f);
  for (const auto& p : config->playbooks) {
    VIGIL_FUZZ_CHECK(!p.name.empty());
    const auto ticket = vigil::remediate::RenderTicket(f, p.name, "dry-run", {});
    VIGIL_FUZZ_CHECK(ticket.body.find(vigil::remediate::TicketMarker(f.id)) != std::string::npos);
  }
  return 0;
}
