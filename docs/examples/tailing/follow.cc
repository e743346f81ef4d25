// Follows an audit log into a commit function, with offsets kept in the findings database.
#include "docs_tailing_example.h"
#include "ingest/tail.h"
#include "store/sqlite/tail_offsets.h"

namespace vigil::example {

Status FollowUntilIdle(const std::string& log_path,
                       const std::string& db_path,
                       const std::function<Status(std::string_view lines)>& commit) {
  VIGIL_TRY(auto offsets, store::SqliteTailOffsets::Open(db_path));
  ingest::TailOptions options;
  options.paths = {log_path};
  options.max_chunk_bytes = 1 << 20;  // at most 1 MiB of whole lines per commit
  options.on_skip = [](const ingest::TailSkip& skip) {
    std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(skip.file.size()), skip.file.data(),
                 static_cast<int>(skip.reason.size()), skip.reason.data());
  };
  ingest::Tailer tailer(
      options,
      [&](std::string_view lines, const ingest::TailOrigin&) {
        return commit(lines);  // OK only once the lines' findings are committed
      },
      *offsets);
  while (true) {  // a server calls tailer.Run() on a thread and tailer.Stop() on SIGTERM
    VIGIL_TRY(bool moved, tailer.PollOnce());
    if (!moved) return Ok();
  }
}

}  // namespace vigil::example
