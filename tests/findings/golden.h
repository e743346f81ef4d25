// Golden-file comparison for encoder tests. Goldens live in tests/data/findings/ and are never
// edited by hand: run the tests with VIGIL_UPDATE_GOLDEN=1 to rewrite them, then review the diff.
#ifndef VIGIL_TESTS_FINDINGS_GOLDEN_H_
#define VIGIL_TESTS_FINDINGS_GOLDEN_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace vigil::findings::testing {

inline std::string GoldenPath(std::string_view name) {
  return std::string(VIGIL_SOURCE_DIR) + "/tests/data/findings/" + std::string(name);
}

inline bool UpdatingGoldens() {
  const char* v = std::getenv("VIGIL_UPDATE_GOLDEN");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// Compares `actual` with the golden file `name`; with VIGIL_UPDATE_GOLDEN=1 writes it instead.
inline void ExpectGolden(std::string_view name, const std::string& actual) {
  const std::string path = GoldenPath(name);
  if (UpdatingGoldens()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot write " << path;
    out << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden " << path << " (run with VIGIL_UPDATE_GOLDEN=1)";
  std::stringstream buffer;
  buffer << in.rdbuf();
  EXPECT_EQ(buffer.str(), actual) << "output differs from " << path
                                  << "; if the change is intended, regenerate with "
                                     "VIGIL_UPDATE_GOLDEN=1 and review the diff";
}

}  // namespace vigil::findings::testing

#endif  // VIGIL_TESTS_FINDINGS_GOLDEN_H_
