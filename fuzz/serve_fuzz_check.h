// VIGIL_SERVE_FUZZ_CHECK(cond): aborts with the condition and its place when `cond` is false, so
// libFuzzer records the input as a crash. Shared by the server module's fuzz targets.
#ifndef VIGIL_FUZZ_SERVE_FUZZ_CHECK_H_
#define VIGIL_FUZZ_SERVE_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define VIGIL_SERVE_FUZZ_CHECK(cond)                                                 \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                  \
    }                                                                                \
  } while (false)

#endif  // VIGIL_FUZZ_SERVE_FUZZ_CHECK_H_
