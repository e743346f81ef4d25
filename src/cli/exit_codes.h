// Process exit codes, documented in the README.
#ifndef VIGIL_CLI_EXIT_CODES_H_
#define VIGIL_CLI_EXIT_CODES_H_

#include "base/result.h"

namespace vigil::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitIo = 1;          // reading or writing failed
inline constexpr int kExitUsage = 2;       // bad flags, bad configuration, bad rule files
inline constexpr int kExitFindings = 3;    // --fail-on: a finding at or above the threshold

// The exit code for a failure of this kind.
inline int ExitCodeFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return kExitIo;
    default:
      return kExitUsage;
  }
}

}  // namespace vigil::cli

#endif  // VIGIL_CLI_EXIT_CODES_H_
