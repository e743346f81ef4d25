// Fuzz target: arbitrary bytes as a --db location, through the PostgreSQL URL redaction every
// store error and log line uses. Besides "never crashes, never hangs" it checks that the output
// stays bounded, and that a password put into a well-formed URL never survives redaction:
// postgres://u:<bytes>@h/db always becomes postgres://u:***@h/db.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "store/finding_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string redacted = vigil::store::RedactLocation(text);
  VIGIL_FUZZ_CHECK(redacted.size() <= text.size() + 6);
  (void)vigil::store::IsPostgresLocation(text);

  // The bytes as a password (where a URL can hold one unescaped).
  if (!text.empty() && text.find_first_of("@/?#") == std::string_view::npos &&
      text.find("password=") == std::string_view::npos) {
    const std::string url = "postgres://u:" + std::string(text) + "@h/db";
    VIGIL_FUZZ_CHECK(vigil::store::RedactLocation(url) == "postgres://u:***@h/db");
  }
  return 0;
}
