// Hashes. StableId is the content hash behind finding ids: the same input gives the same id on
// every machine and every run. FastHash64 is for in-memory tables only (never persisted).
#ifndef VIGIL_BASE_HASH_H_
#define VIGIL_BASE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// A UUID-shaped (8-4-4-4-12) string derived from the SHA-256 of `data`, with the version nibble
// set to 5 and the RFC 4122 variant bits, so it reads like the ids Security Hub uses.
std::string StableUuid(std::string_view data);

// 64-bit hash with good dispersion for hash tables (wyhash-style mixing). Not stable across
// vigil versions; never store it.
std::uint64_t FastHash64(std::string_view data, std::uint64_t seed = 0);

}  // namespace vigil

#endif  // VIGIL_BASE_HASH_H_
