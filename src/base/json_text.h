// Writing JSON text directly into a string, byte for byte as nlohmann::json's dump() writes it
// (compact, ensure_ascii off, invalid UTF-8 replaced). For hot paths that would otherwise build a
// nlohmann tree only to print it: a finding's JSON line, an event's redacted evidence.
#ifndef VIGIL_BASE_JSON_TEXT_H_
#define VIGIL_BASE_JSON_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

// Appends `text` as a quoted JSON string: `"` and `\` escaped, \b \f \n \r \t for those controls,
// \u00xx (lower-case hex) for the other bytes below 0x20, everything else as it is. Text that is
// not valid UTF-8 is written as nlohmann's dump(-1, ' ', false, error_handler_t::replace) writes
// it (each invalid sequence becomes U+FFFD), so both writers always agree.
void AppendJsonString(std::string& out, std::string_view text);

// Appends an integer as JSON.
void AppendJsonInt(std::string& out, std::int64_t value);
void AppendJsonUint(std::string& out, std::uint64_t value);
// Appends a double exactly as nlohmann's dump() does (shortest round-trip form, "1.0" for whole
// numbers, null for NaN and infinities).
void AppendJsonDouble(std::string& out, double value);

}  // namespace vigil

#endif  // VIGIL_BASE_JSON_TEXT_H_
