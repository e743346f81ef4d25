// IpSet: a set of IPv4/IPv6 addresses and CIDR blocks, each tagged with the lists (up to 64) it
// came from. Lookup checks one hash probe per distinct prefix length present in the set, so its
// cost does not grow with the number of entries (bench/ip_lookup.cc measures 10 .. 1,000,000).
// Thread-safety: const methods are safe to call concurrently; building is single-threaded.
#ifndef VIGIL_DETECT_IP_SET_H_
#define VIGIL_DETECT_IP_SET_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::detect {

// An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96) so one table serves both families.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;

  // Parses "10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1" (as IPv4). nullopt when malformed.
  static std::optional<IpAddress> Parse(std::string_view text);
};

class IpSet {
 public:
  // One entry as stored: the prefix length in the 16-byte space (IPv4 /n is 96+n) and the
  // address with the host bits cleared.
  struct Entry {
    unsigned prefix = 0;
    std::uint64_t hi = 0, lo = 0;
    bool operator==(const Entry&) const = default;
  };
  // Parses an entry as Add() does (kInvalidArgument when malformed).
  static Result<Entry> ParseEntry(std::string_view entry);

  // Adds an address or CIDR ("10.0.0.0/8", "2001:db8::/32", "1.2.3.4") tagged with list `tag`
  // (0..63). Host bits below the prefix are ignored, as routers do. kInvalidArgument on a
  // malformed entry.
  Status Add(std::string_view entry, unsigned tag);

  // Bitmask of the tags of every entry containing `addr` (0 when none).
  std::uint64_t Lookup(const IpAddress& addr) const;
  // Calls fn(const Entry&, std::uint64_t tags) for every entry containing `addr`, longest prefix
  // first: one probe per prefix length in use, as Lookup().
  template <typename Fn>
  void ForEachMatch(const IpAddress& addr, Fn&& fn) const {
    for (unsigned p : prefixes_) {
      const Key k = Masked(addr, p);
      if (std::uint64_t tags = tables_[p].Find(k)) fn(Entry{p, k.hi, k.lo}, tags);
    }
  }
  // Same for text; 0 when `text` is not an address.
  std::uint64_t Lookup(std::string_view text) const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Key {
    std::uint64_t hi = 0, lo = 0;
    bool operator==(const Key&) const = default;
  };
  static std::size_t Hash(const Key& k) {
    std::uint64_t h = k.hi * 0x9e3779b97f4a7c15ULL ^ (k.lo + 0x632be59bd9b4e019ULL);
    h ^= h >> 29;
    return static_cast<std::size_t>(h * 0xbf58476d1ce4e5b9ULL);
  }
  // An open-addressing table of masked address -> tag mask in one flat array, so a lookup is one
  // probe into memory (usually one cache line) however many entries there are; a node-based map
  // costs several dependent cache misses once it outgrows the cache.
  class Table {
   public:
    // The tag mask of `k`, creating it (0) if absent.
    std::uint64_t& Insert(const Key& k, bool& inserted);
    std::uint64_t Find(const Key& k) const;

   private:
    struct Slot {
      std::uint64_t hi = 0, lo = 0;
      std::uint64_t tags = 0;  // 0: empty (a stored entry always has a tag)
    };
    void Grow();
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t used_ = 0;
  };
  static Key Masked(const IpAddress& a, unsigned prefix);

  // tables_[p]: masked address -> tag mask, for prefix length p (0..128, in the 16-byte space).
  std::array<Table, 129> tables_;
  std::vector<unsigned> prefixes_;  // prefix lengths in use, longest first
  size_t size_ = 0;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_IP_SET_H_
