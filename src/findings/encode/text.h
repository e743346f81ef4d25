// UTF-8 text helpers shared by the encoders: making strings valid, cutting them to a byte budget
// without splitting a character, and measuring them for aligned columns.
#ifndef VIGIL_FINDINGS_ENCODE_TEXT_H_
#define VIGIL_FINDINGS_ENCODE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::findings {

// "…" (U+2026), three bytes in UTF-8: what a shortened string ends with.
inline constexpr std::string_view kEllipsis = "\xE2\x80\xA6";

// `text` with every invalid UTF-8 sequence replaced by U+FFFD, so JSON encoding never fails and a
// string's length after encoding is what was measured.
std::string ValidUtf8(std::string_view text);

// `text` (assumed valid UTF-8) cut to at most `max_bytes` bytes at a character boundary; when it
// had to be cut, the result ends with `ellipsis` and still fits. Byte budgets are conservative
// for limits stated in characters.
std::string TruncateUtf8(std::string_view text,
                         size_t max_bytes,
                         std::string_view ellipsis = kEllipsis);

// Number of code points (terminal columns, ignoring wide and combining characters).
size_t DisplayWidth(std::string_view text);

// `text` cut to at most `max_width` columns, ending with "…" when cut.
std::string FitWidth(std::string_view text, size_t max_width);

// True when `text` contains a character other than space, tab, CR or LF (ASFF's `.*\S.*`).
bool HasNonSpace(std::string_view text);

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_TEXT_H_
