// GeoIp: the country and autonomous system (ASN) of an address, from MaxMind-format databases
// (GeoLite2/GeoIP2 Country or City, and ASN) the user provides (`vigil scan --geoip-db FILE`,
// serve's `geoip_databases`). vigil never downloads one. Several files can be given: each field
// comes from the first file that has it for the address, so a Country DB and an ASN DB together
// give all three.
//
// Read from the databases (MaxMind's layout):
//   country.iso_code (registered_country.iso_code when absent)   -> country ("DE")
//   autonomous_system_number                                     -> asn (64512)
//   autonomous_system_organization                               -> as_org ("Example Hosting")
// Values that are not of those types or look wrong (a country that is not 2-3 ASCII letters) are
// ignored, so a damaged record yields "unknown", never a crash.
//
// Thread-safety: immutable after Open(); Lookup() is safe from any thread (libmaxminddb's reader
// is read-only on the memory-mapped file). GeoCache is per thread.
#ifndef VIGIL_DETECT_GEOIP_H_
#define VIGIL_DETECT_GEOIP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "detect/ip_set.h"

namespace vigil::detect {

struct GeoInfo {
  std::string country;  // ISO 3166-1 alpha-2 ("DE"); "" when unknown
  std::uint32_t asn = 0;  // 0 when unknown
  std::string asn_text;   // asn as decimal text ("64512"); "" when unknown
  std::string as_org;     // "" when unknown
  bool empty() const { return country.empty() && asn == 0 && as_org.empty(); }
  friend bool operator==(const GeoInfo&, const GeoInfo&) = default;
};

class GeoIp {
 public:
  ~GeoIp();
  GeoIp(const GeoIp&) = delete;
  GeoIp& operator=(const GeoIp&) = delete;

  // Opens every file. kConfig naming the file and what was wrong (missing, unreadable, not a
  // MaxMind DB) for each one that fails; nothing is returned then.
  static Result<std::shared_ptr<const GeoIp>> Open(const std::vector<std::string>& paths);

  // What the databases say about `ip`; empty when it is not an address or no database has it.
  GeoInfo Lookup(std::string_view ip) const;
  GeoInfo Lookup(const IpAddress& addr) const;

  // "GeoLite2-Country, GeoLite2-ASN": the database types, for logs.
  std::string Describe() const;
  size_t database_count() const { return dbs_.size(); }

 private:
  struct Db;
  GeoIp() = default;
  std::vector<std::unique_ptr<Db>> dbs_;
};

// A per-thread cache in front of GeoIp::Lookup: audit logs repeat the same few callers, and a
// database lookup walks up to 128 tree nodes and decodes a record. Bounded: when full it starts
// over (callers change slowly, so the working set refills at once).
class GeoCache {
 public:
  explicit GeoCache(std::shared_ptr<const GeoIp> geo, size_t max_entries = 1 << 14)
      : geo_(std::move(geo)), max_(max_entries) {}
  // The result for `ip`; the reference stays valid until the next call.
  const GeoInfo& Lookup(std::string_view ip);
  const GeoIp* geo() const { return geo_.get(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::shared_ptr<const GeoIp> geo_;
  size_t max_;
  std::unordered_map<std::string, GeoInfo, Hash, std::equal_to<>> cache_;
  GeoInfo none_;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_GEOIP_H_
