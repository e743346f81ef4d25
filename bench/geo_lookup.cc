// Question: what does a GeoIP/ASN lookup of the caller cost, straight from libmaxminddb and through
// the engine's per-thread GeoCache? And the bench databases for bench/analytics.sh.
//
// Usage: vigil_geo_lookup DIR [LOOKUPS]
// Writes DIR/bench-country.mmdb and DIR/bench-asn.mmdb (tests/mmdb_writer.h): every /16 of
// 10.0.0.0/8 (where the generator's callers are) and 203.0.113.0/24 with a country and an AS, so
// every lookup of the generated log finds a record (the costly case). Then checks a few answers
// and times lookups of 4,096 distinct addresses, uncached and cached. Prints one line per mode and
// a JSON line. Not a test: nothing is asserted about time.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "detect/geoip.h"
#include "mmdb_writer.h"

namespace {

using vigil::tests::MmdbValue;
using vigil::tests::MmdbWriter;

const char* const kCountries[] = {"DE", "US", "FR", "NL", "JP", "BR", "IN", "GB"};

void WriteDatabases(const std::string& country_path, const std::string& asn_path) {
  MmdbWriter country("GeoLite2-Country");
  MmdbWriter asn("GeoLite2-ASN");
  auto add = [&](const std::string& cidr, unsigned i) {
    country.Add(cidr, MmdbValue::Map({{"country", MmdbValue::Map({{"iso_code",
                                                                   MmdbValue::Str(kCountries[i % 8])}})}}));
    asn.Add(cidr, MmdbValue::Map({{"autonomous_system_number", MmdbValue::U32(64512 + i)},
                                  {"autonomous_system_organization",
                                   MmdbValue::Str("Bench Network " + std::to_string(i))}}));
  };
  for (unsigned b = 0; b < 256; ++b) add("10." + std::to_string(b) + ".0.0/16", b);
  add("203.0.113.0/24", 256);
  country.Write(country_path);
  asn.Write(asn_path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: vigil_geo_lookup DIR [LOOKUPS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long lookups = argc > 2 ? std::stol(argv[2]) : 2'000'000;
  const std::string country = dir + "/bench-country.mmdb", asn = dir + "/bench-asn.mmdb";
  WriteDatabases(country, asn);
  auto geo = vigil::detect::GeoIp::Open({country, asn});
  if (!geo) {
    std::fprintf(stderr, "geo_lookup: %s\n", geo.error().message.c_str());
    return 1;
  }
  // Check before timing.
  const vigil::detect::GeoInfo g = (*geo)->Lookup("10.3.7.9");
  if (g.country != "NL" || g.asn != 64515 || g.as_org != "Bench Network 3") {
    std::fprintf(stderr, "geo_lookup: wrong answer for 10.3.7.9: %s AS%u %s\n", g.country.c_str(),
                 g.asn, g.as_org.c_str());
    return 1;
  }
  std::mt19937 rng(42);
  std::vector<std::string> probes;
  for (int i = 0; i < 4096; ++i) {
    const std::uint32_t v = rng() & 0xffffffu;
    probes.push_back("10." + std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 255) + "." +
                     std::to_string(v & 255));
  }
  std::string json = "{\"bench\":\"geo_lookup\",\"lookups\":" + std::to_string(lookups);
  std::uint64_t found = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < lookups; ++i) {
    found += (*geo)->Lookup(probes[static_cast<std::size_t>(i) & 4095]).asn != 0;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double ns = secs * 1e9 / static_cast<double>(lookups);
  std::printf("uncached: %.1f ns per lookup (country + ASN database, record found)\n", ns);
  json += ",\"uncached_ns\":" + std::to_string(ns);

  vigil::detect::GeoCache cache(*geo);
  start = std::chrono::steady_clock::now();
  for (long i = 0; i < lookups; ++i) {
    found += cache.Lookup(probes[static_cast<std::size_t>(i) & 4095]).asn != 0;
  }
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ns = secs * 1e9 / static_cast<double>(lookups);
  std::printf("cached:   %.1f ns per lookup (4,096 distinct callers)\n", ns);
  json += ",\"cached_ns\":" + std::to_string(ns) + "}";
  if (found != static_cast<std::uint64_t>(2 * lookups)) {
    std::fprintf(stderr, "geo_lookup: %llu records found, expected %ld\n",
                 static_cast<unsigned long long>(found), 2 * lookups);
    return 1;
  }
  std::printf("%s\n", json.c_str());
  return 0;
}
