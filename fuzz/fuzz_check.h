// VIGIL_FUZZ_CHECK(cond): aborts with the condition and its place when `cond` is false, so
// libFuzzer records the input as a crash. Shared by every fuzz target.
#ifndef VIGIL_FUZZ_FUZZ_CHECK_H_
#define VIGIL_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define VIGIL_FUZZ_CHECK(cond)                                                      \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)

#endif  // VIGIL_FUZZ_FUZZ_CHECK_H_
