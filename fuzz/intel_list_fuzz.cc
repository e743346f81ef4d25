// Fuzz target: arbitrary bytes as a threat list (plain IPs/CIDRs, the Tor exit-list format, CSV
// with a label). Besides "never crashes, never leaks, never hangs" it checks that a rejected list
// names the file and a line, and that an accepted one answers lookups with bounded, printable
// labels.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detect/threat_intel.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vigil::detect::ThreatIntel intel;
  auto st = intel.LoadListText("fuzz", text, "list.txt");
  if (!st) {
    VIGIL_FUZZ_CHECK(st.error().ToString().find("list.txt:") != std::string::npos);
    VIGIL_FUZZ_CHECK(!intel.has_lists());  // nothing half-loaded
  } else {
    (void)intel.Listed("192.0.2.1");
    (void)intel.Listed("2001:db8::1");
    // Labels of matched entries are bounded and printable whatever the file held.
    simdjson::dom::parser parser;
    simdjson::dom::element ips;
    if (parser.parse(std::string(R"(["192.0.2.1","2001:db8::1","203.0.113.66","10.0.0.1"])")).get(ips) ==
        simdjson::SUCCESS) {
      std::vector<vigil::rules::ThreatMatch> matches;
      intel.Match(ips, matches);
      for (const auto& m : matches) {
        VIGIL_FUZZ_CHECK(m.label.size() <= 128);
        for (char c : m.label) VIGIL_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
      }
    }
  }
  return 0;
}
