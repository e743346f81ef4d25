#include "ingest/event_keys.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "base/time.h"

#define VIGIL_STRINGIFY_INNER(x) #x
#define VIGIL_STRINGIFY(x) VIGIL_STRINGIFY_INNER(x)

namespace vigil::ingest {
namespace {

namespace od = simdjson::ondemand;

// The On-Demand kernel compiled into this binary (chosen by the compiler flags, not at run time).
constexpr std::string_view kOnDemandKernel = VIGIL_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION);

// Bits of the members read, to refuse duplicates (the full parse takes the first occurrence).
enum Seen : unsigned {
  kAuditId = 1u << 0,
  kStage = 1u << 1,
  kVerb = 1u << 2,
  kUser = 1u << 3,
  kObjectRef = 1u << 4,
  kSourceIps = 1u << 5,
  kStageTimestamp = 1u << 6,
  kTimestamp = 1u << 7,
  kRequestReceived = 1u << 8,
};

// `key == literal` with the length known at compile time, so the comparison is inlined rather than
// a call to memcmp (this runs for every member of every event).
template <std::size_t N>
bool Is(std::string_view key, const char (&literal)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), literal, N - 1) == 0;
}

bool TakeOnce(unsigned& seen, Seen bit) {
  if (seen & bit) return false;
  seen |= bit;
  return true;
}

// The first '"' or '\\' at or after `p`, which must come before the end of the document.
//
// It runs for every key and string value read (~6 % of a scan's instructions as a loop over
// eight-byte words), so it compares 16 bytes at a time: most keys and values end within the
// first 16. Reading past the quote is safe: the document is followed by SIMDJSON_PADDING
// readable bytes.
const char* FindQuoteOrBackslash(const char* p) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (true) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto hits = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash))));
    if (hits != 0) return p + std::countr_zero(hits);
    p += 16;
  }
#else
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t kOnes = 0x0101010101010101u;
    constexpr std::uint64_t kHigh = 0x8080808080808080u;
    // High bit set in each zero byte of v (and possibly in bytes above the first zero byte, never
    // below it, so the lowest set bit is exact).
    auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    while (true) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      const std::uint64_t hit = zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\'));
      if (hit != 0) return p + std::countr_zero(hit) / 8;
      p += sizeof w;
    }
  } else {
    while (*p != '"' && *p != '\\') ++p;
    return p;
  }
#endif
}

// A member's key as written. False when it holds an escape: the full parse, which unescapes keys,
// decides those events. (The key's string is known to be closed: On-Demand's first pass checked
// every string of the document.)
bool RawKey(od::field& f, std::string_view& key) {
  const char* begin = f.key().raw();
  const char* end = FindQuoteOrBackslash(begin);
  if (*end == '\\') return false;
  key = std::string_view(begin, static_cast<std::size_t>(end - begin));
  return true;
}

// A string value, as a view into the input when it has no escapes (most do not), else unescaped
// into the parser's buffer.
bool ReadString(od::value value, std::string_view& out) {
  const std::string_view token = value.raw_json_token();
  if (token.empty() || token[0] != '"') return false;
  // The closing quote, unless a backslash comes first (then simdjson unescapes). The string is
  // known to be closed (On-Demand's first pass checked), so the scan stops inside the document.
  const char* begin = token.data() + 1;
  const char* end = FindQuoteOrBackslash(begin);
  if (*end == '"') {
    out = std::string_view(begin, static_cast<std::size_t>(end - begin));
    return true;
  }
  return value.get_string().get(out) == simdjson::SUCCESS;
}

// A list of strings; false when it is not one or is longer than `out` holds.
bool ReadStrings(od::value value, std::string_view* out, std::size_t max, std::size_t& count) {
  od::array arr;
  if (value.get_array().get(arr) != simdjson::SUCCESS) return false;
  count = 0;
  for (auto item : arr) {
    od::value v;
    std::string_view s;
    if (count == max || std::move(item).get(v) != simdjson::SUCCESS || !ReadString(v, s)) {
      return false;
    }
    out[count++] = s;
  }
  return true;
}

// objectRef.resource and objectRef.subresource; other members are skipped.
bool ReadObjectRef(od::value value, std::string_view& resource, std::string_view& subresource) {
  od::object obj;
  if (value.get_object().get(obj) != simdjson::SUCCESS) return false;
  unsigned seen = 0;
  for (auto member : obj) {
    od::field f;
    std::string_view key;
    if (std::move(member).get(f) != simdjson::SUCCESS || !RawKey(f, key)) return false;
    const unsigned bit = Is(key, "resource") ? 1u : Is(key, "subresource") ? 2u : 0u;
    if (bit == 0) continue;
    if (seen & bit) return false;
    seen |= bit;
    if (!ReadString(f.value(), bit == 1u ? resource : subresource)) return false;
  }
  return true;
}

}  // namespace

bool EventKeys::has_time() const {
  for (std::string_view t : times_) {
    if (t.empty()) continue;
    if (auto parsed = ParseRfc3339(t)) return *parsed != 0;
  }
  return false;
}

bool TimeCheck::HasTime(const EventKeys& keys) {
  std::string_view t;
  for (std::string_view candidate : keys.times_) {
    if (!candidate.empty()) {
      t = candidate;
      break;
    }
  }
  // "<prefix>Z" or "<prefix>.<digits>Z" with a prefix that parsed before: it parses, and (the
  // prefix being neither in 1969 nor 1970) is not 0.
  if (valid_ && t.size() > kPrefix && std::memcmp(t.data(), prefix_.data(), kPrefix) == 0) {
    const char last = t.back();
    if (last == 'Z' || last == 'z') {
      std::string_view fraction = t.substr(kPrefix, t.size() - kPrefix - 1);
      if (fraction.empty()) return true;
      // A loop rather than find_first_not_of("0123456789"), which called memchr per digit.
      if (fraction.size() > 1 && fraction[0] == '.' &&
          std::all_of(fraction.begin() + 1, fraction.end(),
                      [](char c) { return c >= '0' && c <= '9'; })) {
        return true;
      }
    }
  }
  if (const auto parsed = t.empty() ? std::nullopt : ParseRfc3339(t)) {
    // The first timestamp given parses, so it decides (as in has_time()); remember its prefix.
    if (*parsed != 0 && t.size() > kPrefix && !t.starts_with("1969") && !t.starts_with("1970")) {
      std::memcpy(prefix_.data(), t.data(), kPrefix);
      valid_ = true;
    }
    return *parsed != 0;
  }
  return keys.has_time();  // a later timestamp may parse
}

bool KeyReader::Available() { return kOnDemandKernel != "fallback"; }

bool KeyReader::Read(const char* data, std::size_t size, std::size_t capacity, EventKeys& keys) {
  // Not `keys = EventKeys{}`: that zeroes both 16-entry lists, every event (~1 % of a scan).
  // Entries past a list's count are never read.
  keys.audit_id = keys.stage = keys.verb = keys.user_name = {};
  keys.resource = keys.subresource = {};
  keys.group_count_ = keys.ip_count_ = 0;
  keys.times_ = {};
  od::document doc;
  if (parser_.iterate(data, size, capacity).get(doc) != simdjson::SUCCESS) return false;
  od::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  unsigned seen = 0;
  for (auto member : obj) {
    od::field f;
    std::string_view key;
    if (std::move(member).get(f) != simdjson::SUCCESS || !RawKey(f, key)) return false;
    bool ok = true;
    if (Is(key, "auditID")) {
      ok = TakeOnce(seen, kAuditId) && ReadString(f.value(), keys.audit_id);
    } else if (Is(key, "stage")) {
      ok = TakeOnce(seen, kStage) && ReadString(f.value(), keys.stage);
    } else if (Is(key, "verb")) {
      ok = TakeOnce(seen, kVerb) && ReadString(f.value(), keys.verb);
    } else if (Is(key, "user")) {
      od::object user;
      if (!TakeOnce(seen, kUser) || f.value().get_object().get(user) != simdjson::SUCCESS) {
        return false;
      }
      unsigned user_seen = 0;
      for (auto m : user) {
        if (!ok) break;
        od::field uf;
        std::string_view ukey;
        if (std::move(m).get(uf) != simdjson::SUCCESS || !RawKey(uf, ukey)) return false;
        if (Is(ukey, "username")) {
          ok = !(user_seen & 1u) && ReadString(uf.value(), keys.user_name);
          user_seen |= 1u;
        } else if (needs_.groups && Is(ukey, "groups")) {
          ok = !(user_seen & 2u) && ReadStrings(uf.value(), keys.groups_.data(),
                                               EventKeys::kMaxListItems, keys.group_count_);
          user_seen |= 2u;
        }
      }
    } else if (Is(key, "objectRef")) {
      ok = TakeOnce(seen, kObjectRef) &&
           ReadObjectRef(f.value(), keys.resource, keys.subresource);
    } else if (needs_.source_ips && Is(key, "sourceIPs")) {
      ok = TakeOnce(seen, kSourceIps) &&
           ReadStrings(f.value(), keys.ips_.data(), EventKeys::kMaxListItems, keys.ip_count_);
    } else if (!needs_.times) {
      // The timestamps are not read.
    } else if (Is(key, "stageTimestamp")) {
      ok = TakeOnce(seen, kStageTimestamp) && ReadString(f.value(), keys.times_[0]);
    } else if (Is(key, "timestamp")) {
      ok = TakeOnce(seen, kTimestamp) && ReadString(f.value(), keys.times_[1]);
    } else if (Is(key, "requestReceivedTimestamp")) {
      ok = TakeOnce(seen, kRequestReceived) && ReadString(f.value(), keys.times_[2]);
    }
    if (!ok) return false;
  }
  // Trailing bytes after the object: let the full parse reject the line.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return false;
  // What AuditEvent::FromElement requires of an event; anything else goes to the full parse.
  return !keys.audit_id.empty() && !keys.stage.empty();
}

}  // namespace vigil::ingest
