// Fuzz target: arbitrary bytes as a baseline document (`vigil baseline import`). It checks that a
// rejected document says where (a JSON path before ':'), and that an accepted one survives a
// round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "detect/baseline.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto state = vigil::detect::BaselineFromJson(text);
  if (!state) {
    VIGIL_FUZZ_CHECK(state.error().message.starts_with("baseline: "));
    return 0;
  }
  auto again = vigil::detect::BaselineFromJson(vigil::detect::BaselineToJson(*state, 3600));
  VIGIL_FUZZ_CHECK(again.has_value());
  VIGIL_FUZZ_CHECK(*again == *state);
  return 0;
}
