// Helpers for the controls tests: where the fixture snapshots live, and finding one result.
#ifndef VIGIL_TESTS_CONTROLS_CONTROLS_TEST_UTIL_H_
#define VIGIL_TESTS_CONTROLS_CONTROLS_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "temp_dir.h"
#include "findings/finding.h"

namespace vigil::controls::testing {

using vigil::tests::TempDir;

inline std::string FixtureSnapshot(std::string_view name) {
  return std::string(VIGIL_SOURCE_DIR) + "/tests/data/controls/snapshots/" + std::string(name);
}

inline std::string FixtureFile(std::string_view relative) {
  return std::string(VIGIL_SOURCE_DIR) + "/tests/data/controls/" + std::string(relative);
}

// The results for `control` (and `account`/`region`/`cluster` when not empty).
inline std::vector<const findings::Finding*> ResultsFor(const std::vector<findings::Finding>& all,
                                                        std::string_view control,
                                                        std::string_view account = "",
                                                        std::string_view region = "",
                                                        std::string_view cluster = "") {
  std::vector<const findings::Finding*> out;
  for (const findings::Finding& f : all) {
    if (!f.compliance || f.compliance->control_id != control) continue;
    if (!account.empty() && f.account != account) continue;
    if (!region.empty() && f.region != region) continue;
    if (!cluster.empty() && f.cluster != cluster) continue;
    out.push_back(&f);
  }
  return out;
}

// The one result for (control, account, region, cluster); fails the test when there is not
// exactly one.
inline const findings::Finding& OneResult(const std::vector<findings::Finding>& all,
                                          std::string_view control,
                                          std::string_view account = "",
                                          std::string_view region = "",
                                          std::string_view cluster = "") {
  static const findings::Finding kNone;
  auto found = ResultsFor(all, control, account, region, cluster);
  EXPECT_EQ(found.size(), 1u) << control << " " << account << " " << region << " " << cluster;
  return found.size() == 1 ? *found.front() : kNone;
}

inline findings::ComplianceStatus StatusOf(const findings::Finding& f) {
  return f.compliance ? f.compliance->status : findings::ComplianceStatus::kNotAvailable;
}

// All reasons joined with " | ", for substring assertions.
inline std::string ReasonsOf(const findings::Finding& f) {
  std::string out;
  if (!f.compliance) return out;
  for (const std::string& r : f.compliance->reasons) out += (out.empty() ? "" : " | ") + r;
  return out;
}

}  // namespace vigil::controls::testing

#endif  // VIGIL_TESTS_CONTROLS_CONTROLS_TEST_UTIL_H_
