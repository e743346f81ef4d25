#include "ingest/base64.h"

#include <array>
#include <cstdint>

namespace vigil::ingest::internal {
namespace {

constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> MakeTable() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  return t;
}

constexpr std::array<std::uint8_t, 256> kTable = MakeTable();

}  // namespace

bool LooksLikeBase64(std::string_view text) {
  std::size_t n = text.size();
  while (n > 0 && text[n - 1] == '=') --n;
  if (text.size() - n > 2) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (kTable[static_cast<unsigned char>(text[i])] == kInvalid) return false;
  }
  return true;
}

std::string_view Base64Decode(std::string_view text, PaddedBuffer& out) {
  std::size_t n = text.size();
  std::size_t pad = 0;
  while (n > 0 && text[n - 1] == '=' && pad < 2) {
    --n;
    ++pad;
  }
  if (pad > 0 && (n + pad) % 4 != 0) return "base64 padding does not end a 4-character group";
  if (n % 4 == 1) return "base64 length leaves a dangling character";
  out.Clear();
  out.Reserve(n / 4 * 3 + 3);
  char* dst = out.data();
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    std::uint32_t a = kTable[static_cast<unsigned char>(text[i])];
    std::uint32_t b = kTable[static_cast<unsigned char>(text[i + 1])];
    std::uint32_t c = kTable[static_cast<unsigned char>(text[i + 2])];
    std::uint32_t d = kTable[static_cast<unsigned char>(text[i + 3])];
    if ((a | b | c | d) & 0x80u) return "invalid character in base64 payload";
    std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[o++] = static_cast<char>(v >> 16);
    dst[o++] = static_cast<char>((v >> 8) & 0xff);
    dst[o++] = static_cast<char>(v & 0xff);
  }
  std::size_t rest = n - i;
  if (rest > 0) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < rest; ++k) {
      std::uint32_t x = kTable[static_cast<unsigned char>(text[i + k])];
      if (x & 0x80u) return "invalid character in base64 payload";
      v |= x << (18 - 6 * k);
    }
    dst[o++] = static_cast<char>(v >> 16);
    if (rest == 3) dst[o++] = static_cast<char>((v >> 8) & 0xff);
  }
  out.Resize(o);
  return {};
}

}  // namespace vigil::ingest::internal
