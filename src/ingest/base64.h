// Standard base64 (RFC 4648 §4) decoding for CloudWatch subscription payloads. Internal.
#ifndef VIGIL_INGEST_BASE64_H_
#define VIGIL_INGEST_BASE64_H_

#include <string_view>

#include "ingest/padded_buffer.h"

namespace vigil::ingest::internal {

// True when every byte of `text` is in the base64 alphabet or is '=' padding at the end.
bool LooksLikeBase64(std::string_view text);

// Decodes `text` into `out` (replacing its contents). Accepts missing '=' padding; rejects any
// other byte, '=' before the end, and a length that leaves a lone 6-bit group. On failure returns
// a static reason and leaves `out` unspecified; on success returns an empty view.
std::string_view Base64Decode(std::string_view text, PaddedBuffer& out);

}  // namespace vigil::ingest::internal

#endif  // VIGIL_INGEST_BASE64_H_
