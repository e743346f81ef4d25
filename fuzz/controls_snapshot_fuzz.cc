// Fuzz target: arbitrary bytes as the files of a snapshot → EvaluateSnapshot. The input is split
// at "\n----\n" into get-detector, list-members, get-member-detectors and describe-cluster
// documents of one account/region (list-detectors and list-clusters are fixed, so the fuzzed
// documents are always read). Besides "never crashes, never leaks, never hangs" it checks that
// every result is a control finding with at least one reason, and that a result is PASSED only
// when the file it depends on parsed as JSON.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "controls/evaluate.h"
#include "controls/snapshot.h"

namespace {

namespace fs = std::filesystem;

const fs::path& Root() {
  static const fs::path root = [] {
    std::string pattern = (fs::temp_directory_path() / "vigil-snapshot-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return fs::path(pattern);
  }();
  return root;
}

void Write(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 3) {
    const size_t sep = input.find("\n----\n", start);
    if (sep == std::string_view::npos) break;
    parts.push_back(input.substr(start, sep - start));
    start = sep + 6;
  }
  parts.push_back(input.substr(std::min(start, input.size())));
  while (parts.size() < 4) parts.emplace_back();

  const fs::path region = Root() / "111122223333" / "us-east-1";
  Write(region / "guardduty/list-detectors.json", R"({"DetectorIds": ["d"]})");
  Write(region / "guardduty/get-detector-d.json", parts[0]);
  Write(region / "guardduty/list-members.json", parts[1]);
  Write(region / "guardduty/get-member-detectors.json", parts[2]);
  Write(region / "eks/list-clusters.json", R"({"clusters": ["c"]})");
  Write(region / "eks/describe-cluster-c.json", parts[3]);

  auto results = vigil::controls::EvaluateSnapshot(Root().string(), {}, 1);
  VIGIL_FUZZ_CHECK(results.has_value());
  const bool detector_json = vigil::controls::ParseJsonText(parts[0], "d").has_value();
  const bool cluster_json = vigil::controls::ParseJsonText(parts[3], "c").has_value();
  for (const auto& f : *results) {
    VIGIL_FUZZ_CHECK(f.compliance.has_value());
    VIGIL_FUZZ_CHECK(!f.compliance->reasons.empty());
    if (f.compliance->status != vigil::findings::ComplianceStatus::kPassed) continue;
    if (f.rule.starts_with("GuardDuty.")) VIGIL_FUZZ_CHECK(detector_json);
    if (f.rule.starts_with("EKS.")) VIGIL_FUZZ_CHECK(cluster_json);
  }
  return 0;
}
