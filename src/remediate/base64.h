// Standard base64 (RFC 4648 §4) for the integrations: basic-auth headers and kubeconfig *-data
// fields. Internal to remediate (the ingest module has its own decoder for its hot path).
#ifndef VIGIL_REMEDIATE_BASE64_H_
#define VIGIL_REMEDIATE_BASE64_H_

#include <optional>
#include <string>
#include <string_view>

namespace vigil::remediate {

std::string Base64Encode(std::string_view bytes);
// Decodes, ignoring whitespace and line breaks (kubeconfigs wrap long values); nullopt when the
// text is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_BASE64_H_
