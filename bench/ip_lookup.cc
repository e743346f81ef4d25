// Question: does a threat-list lookup cost the same with 10 entries as with 1,000,000?
// (detect/ip_set.h promises one hash probe per distinct prefix length, whatever the size.)
//
// For each size it builds an IpSet of that many random IPv4 /32s plus a few CIDR lengths, checks
// that every listed address is found and that unlisted ones are not (the result is checked before
// anything is timed), then times lookups of a fixed mix of listed and unlisted addresses as text,
// as the engine does. Prints one line per size and a JSON line. Not a test: nothing is asserted
// about time.
// Then the same for labelled lists (a CSV list's second column): ThreatIntel::Match on a listed
// address, which finds the matched entry's label in a side table, at 10 .. 1,000,000 labelled
// entries.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "detect/ip_set.h"
#include "detect/threat_intel.h"

namespace {

std::string Ip(std::uint32_t v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
         std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
}

}  // namespace

int main(int argc, char** argv) {
  const long lookups = argc > 1 ? std::stol(argv[1]) : 5'000'000;
  std::string json = "{\"bench\":\"ip_lookup\",\"lookups\":" + std::to_string(lookups) + ",\"sizes\":[";
  for (std::size_t size : {std::size_t{10}, std::size_t{1000}, std::size_t{100000}, std::size_t{1000000}}) {
    std::mt19937 rng(42);
    vigil::detect::IpSet set;
    std::vector<std::string> listed;
    // Listed addresses live in 10.0.0.0/8; probes outside it are unlisted.
    for (std::size_t i = 0; i < size; ++i) {
      std::string ip = Ip(0x0a000000u | (rng() & 0x00ffffffu));
      if (!set.Add(ip, 0)) return 1;
      if (listed.size() < 4096) listed.push_back(ip);
    }
    // A few CIDR lengths, as real lists have (the cost grows with these, not with the size).
    if (!set.Add("192.168.0.0/16", 1) || !set.Add("172.16.0.0/12", 1)) return 1;
    std::vector<std::string> probes;
    for (std::size_t i = 0; i < 4096; ++i) {
      probes.push_back(i % 2 == 0 ? listed[i % listed.size()] : Ip(0x2d000000u | (rng() & 0xffffffu)));
    }
    // Check before timing: listed found, unlisted not.
    for (std::size_t i = 0; i < probes.size(); ++i) {
      const bool hit = set.Lookup(std::string_view(probes[i])) != 0;
      if (hit != (i % 2 == 0)) {
        std::fprintf(stderr, "ip_lookup: wrong answer for %s at size %zu\n", probes[i].c_str(), size);
        return 1;
      }
    }
    std::uint64_t hits = 0;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < lookups; ++i) {
      hits += set.Lookup(std::string_view(probes[static_cast<std::size_t>(i) & 4095])) != 0;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (hits != static_cast<std::uint64_t>(lookups / 2 + (lookups % 2))) {
      std::fprintf(stderr, "ip_lookup: %llu hits, expected half of %ld\n",
                   static_cast<unsigned long long>(hits), lookups);
      return 1;
    }
    const double ns = secs * 1e9 / static_cast<double>(lookups);
    std::printf("entries %8zu: %.1f ns per lookup (text address, half of them listed)\n", size, ns);
    if (json.back() != '[') json += ",";
    json += "{\"entries\":" + std::to_string(size) + ",\"ns_per_lookup\":" + std::to_string(ns) + "}";
  }
  json += "],\"labelled\":[";
  for (std::size_t size : {std::size_t{10}, std::size_t{1000}, std::size_t{100000}, std::size_t{1000000}}) {
    std::mt19937 rng(7);
    vigil::detect::ThreatIntel intel;
    std::vector<std::string> listed;
    for (std::size_t i = 0; i < size; ++i) {
      std::string ip = Ip(0x0a000000u | (rng() & 0x00ffffffu));
      if (!intel.AddEntry("feed", ip, "label-" + std::to_string(i % 100))) return 1;
      if (listed.size() < 256) listed.push_back(ip);
    }
    if (!intel.AddEntry("feed", "192.168.0.0/16", "private")) return 1;
    std::vector<std::string> docs;
    for (const auto& ip : listed) docs.push_back("[\"" + ip + "\"]");
    std::vector<simdjson::dom::element> arrays;
    std::vector<simdjson::dom::parser> parsers(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) arrays.push_back(parsers[i].parse(docs[i]).value());
    std::vector<vigil::rules::ThreatMatch> matches;
    for (const auto& a : arrays) {  // check before timing: every address matched, with a label
      intel.Match(a, matches);
      if (matches.size() != 1 || !matches[0].label.starts_with("label-")) {
        std::fprintf(stderr, "ip_lookup: no labelled match at size %zu\n", size);
        return 1;
      }
    }
    std::uint64_t labelled = 0;
    const long n = lookups / 4;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      intel.Match(arrays[static_cast<std::size_t>(i) % arrays.size()], matches);
      labelled += matches.size() == 1 && !matches[0].label.empty();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (labelled != static_cast<std::uint64_t>(n)) return 1;
    const double ns = secs * 1e9 / static_cast<double>(n);
    std::printf("labelled entries %8zu: %.1f ns per match with its label (listed address)\n", size, ns);
    if (json.back() != '[') json += ",";
    json += "{\"entries\":" + std::to_string(size) + ",\"ns_per_labelled_match\":" + std::to_string(ns) + "}";
  }
  json += "]}";
  std::printf("%s\n", json.c_str());
  return 0;
}
