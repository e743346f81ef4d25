// Fuzz target: arbitrary bytes as the JSON bodies of `vigil serve`'s REST API (workflow updates,
// suppression rules). Checks: never crashes, never throws; an accepted suppression has a match
// field; an error always says what was wrong. (The webhook body goes through ingest::Reader, which
// event_decoder_fuzz and envelope_fuzz cover.)
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "server/api_bodies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto update = vigil::server::ParseWorkflowUpdate(body);
  if (!update) VIGIL_FUZZ_CHECK(!update.error().message.empty());
  auto s = vigil::server::ParseSuppressionRequest(body);
  if (s) {
    VIGIL_FUZZ_CHECK(!s->type.empty() || !s->principal.empty() || !s->ns.empty() ||
                           !s->image_prefix.empty());
  } else {
    VIGIL_FUZZ_CHECK(!s.error().message.empty());
  }
  return 0;
}
