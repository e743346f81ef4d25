// The generator's only source of randomness. Everything here is integer arithmetic on fixed-width
// types, so a seed gives the same stream on every compiler, standard library and machine (the
// std:: distributions do not promise that).
//
// Callers keep that promise only if the draws happen in a fixed order: never make two draws in
// one expression whose operands C++ evaluates in an unspecified order (both sides of `+`, two
// arguments of one call). GCC and Clang really do differ there. Split such expressions into
// statements; `&&`, `||`, `?:` and braced initialisers are sequenced and safe.
#ifndef VIGIL_BENCH_GEN_RANDOM_H_
#define VIGIL_BENCH_GEN_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

namespace vigil::bench {

// SplitMix64 step: advances `state` and returns a well-mixed 64-bit value. The finaliser is a
// bijection, so Mix64 of distinct inputs never collides (used for unique auditIDs).
inline std::uint64_t Mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t SplitMix64(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  return Mix64(state);
}

// xoshiro256** (Blackman & Vigna). Not thread-safe; one per generator.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = SplitMix64(sm);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n) for 1 <= n <= 2^32 (multiply-shift on the high 32 bits; bias < n/2^32).
  std::uint32_t Below(std::uint64_t n) {
    return static_cast<std::uint32_t>(((Next() >> 32) * n) >> 32);
  }

  // Uniform in [lo, hi], for hi - lo < 2^32.
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }

  // True with probability per_million / 1e6.
  bool Chance(std::uint32_t per_million) { return Below(1'000'000) < per_million; }

  // A uniformly chosen element of a non-empty container.
  template <typename C>
  const auto& Pick(const C& items) {
    return items[Below(std::size(items))];
  }

  // Index drawn with probability weights[i] / sum(weights).
  std::size_t Weighted(std::span<const std::uint32_t> weights) {
    std::uint64_t total = 0;
    for (auto w : weights) total += w;
    std::uint64_t r = ((Next() >> 32) * total) >> 32;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

  // `n` characters from `alphabet`.
  std::string Chars(std::string_view alphabet, int n) {
    std::string s;
    s.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) s += alphabet[Below(alphabet.size())];
    return s;
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Lower-case hex digits of the low `digits` nibbles of `v`, most significant first.
inline void AppendHex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kHex[(v >> (4 * i)) & 0xf];
}

// A version-4-shaped UUID (8-4-4-4-12) from 128 bits.
inline std::string UuidFrom(std::uint64_t hi, std::uint64_t lo) {
  hi = (hi & ~0xf000ULL) | 0x4000ULL;            // version nibble
  lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);  // RFC 4122 variant
  std::string s;
  s.reserve(36);
  AppendHex(s, hi >> 32, 8);
  s += '-';
  AppendHex(s, hi >> 16, 4);
  s += '-';
  AppendHex(s, hi, 4);
  s += '-';
  AppendHex(s, lo >> 48, 4);
  s += '-';
  AppendHex(s, lo, 12);
  return s;
}

inline std::string RandomUuid(Rng& rng) {
  const std::uint64_t hi = rng.Next();
  return UuidFrom(hi, rng.Next());
}

// Kubernetes' name-suffix alphabet (k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3).
inline constexpr std::string_view kNameSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_GEN_RANDOM_H_
