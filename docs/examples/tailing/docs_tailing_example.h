// The example of docs/tailing.md, compiled and run by tests/tail/tail_docs_test.cc.
#ifndef VIGIL_DOCS_EXAMPLES_TAILING_DOCS_TAILING_EXAMPLE_H_
#define VIGIL_DOCS_EXAMPLES_TAILING_DOCS_TAILING_EXAMPLE_H_

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::example {

// Reads `log_path` (and what it was rotated to) to its end, handing whole lines to `commit`, with
// offsets saved in the SQLite store at `db_path`. A second call resumes where the first ended.
Status FollowUntilIdle(const std::string& log_path,
                       const std::string& db_path,
                       const std::function<Status(std::string_view lines)>& commit);

}  // namespace vigil::example

#endif  // VIGIL_DOCS_EXAMPLES_TAILING_DOCS_TAILING_EXAMPLE_H_
