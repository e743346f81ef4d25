#include "base/json_text.h"

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <array>
#include <bit>
#include <charconv>
#include <nlohmann/json.hpp>

namespace vigil {
namespace {

// What each byte becomes inside a JSON string: 0 for itself, else the escape's second character
// ('u' for \u00xx).
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> e{};
  for (int c = 0; c < 0x20; ++c) e[static_cast<std::size_t>(c)] = 'u';
  e['\b'] = 'b';
  e['\f'] = 'f';
  e['\n'] = 'n';
  e['\r'] = 'r';
  e['\t'] = 't';
  e['"'] = '"';
  e['\\'] = '\\';
  return e;
}();

// The first byte in [p, end) that JSON must escape (a control character, '"' or '\\'), or end.
// Findings and evidence are mostly plain text, so this looks at 16 bytes at a time where it can;
// it never reads outside [p, end).
const char* NextToEscape(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i last_control = _mm_set1_epi8(0x1f);
  for (; end - p >= 16; p += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // b <= 0x1f as unsigned bytes: max(b, 0x1f) == 0x1f.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(b, last_control), last_control);
    const __m128i hits = _mm_or_si128(
        control, _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
    if (mask != 0) return p + std::countr_zero(mask);
  }
#endif
  while (p != end && kEscape[static_cast<unsigned char>(*p)] == 0) ++p;
  return p;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    out += nlohmann::json(std::string(text)).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
    return;
  }
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  const char* p = text.data();
  const char* const end = p + text.size();
  while (true) {
    const char* q = NextToEscape(p, end);
    out.append(p, static_cast<std::size_t>(q - p));
    if (q == end) break;
    const auto c = static_cast<unsigned char>(*q);
    const char e = kEscape[c];
    out += '\\';
    out += e;
    if (e == 'u') {
      constexpr char kHex[] = "0123456789abcdef";
      out += "00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
    p = q + 1;
  }
  out += '"';
}

void AppendJsonInt(std::string& out, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void AppendJsonUint(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void AppendJsonDouble(std::string& out, double value) {
  // Rare in audit events; nlohmann's own formatting keeps the two writers identical.
  out += nlohmann::json(value).dump();
}

}  // namespace vigil
