// How an attack-sequence window's event digest is stored (sequence_refs.digest): 32 lowercase hex
// digits. Shared by the SQLite and PostgreSQL sequence-window stores.
#ifndef VIGIL_STORE_SEQUENCE_DIGEST_H_
#define VIGIL_STORE_SEQUENCE_DIGEST_H_

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <string_view>

#include "findings/finding.h"

namespace vigil::store {

inline std::string SequenceDigestHex(const findings::EventRef& ref) {
  std::string out;
  out.reserve(ref.digest.size() * 2);
  for (std::uint8_t b : ref.digest) fmt::format_to(std::back_inserter(out), "{:02x}", b);
  return out;
}

// False when `hex` is not 32 hex digits.
inline bool ParseSequenceDigest(std::string_view hex, findings::EventRef& ref) {
  auto value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() != ref.digest.size() * 2) return false;
  for (std::size_t i = 0; i < ref.digest.size(); ++i) {
    const int hi = value(hex[2 * i]);
    const int lo = value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    ref.digest[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace vigil::store

#endif  // VIGIL_STORE_SEQUENCE_DIGEST_H_
