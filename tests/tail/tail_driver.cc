// tail_driver: follows audit log files into a real SQLite findings store, wired the way
// `vigil serve --tail FILE` will be: each chunk of lines goes through ingest::Reader::ReadBuffer →
// detect::ScanPipeline → FindingAggregator → FindingStore::Upsert, and the Tailer saves the
// offset (in the same database) only after that returned. The kill -9 test (tail_kill_test.cc)
// runs it, kills it at random points and restarts it.
//
//   tail_driver --db PATH --follow FILE [--follow FILE...] [--poll-ms N] [--chunk-bytes N]
//               [--until-idle] [--cluster NAME]
//
// Runs until SIGTERM/SIGINT (then stops the Tailer and exits 0) or, with --until-idle, until
// every source is read to its end. Prints the Tailer's counters as one JSON line on exit.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "base/time.h"
#include "cli/common.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "findings/aggregator.h"
#include "ingest/reader.h"
#include "ingest/tail.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/tail_offsets.h"
#include "tail/tail_commit.h"

namespace vigil {
namespace {

struct Args {
  std::string db;
  std::vector<std::string> follow;
  int poll_ms = 50;
  std::size_t chunk_bytes = std::size_t{1} << 20;
  bool until_idle = false;
  std::string cluster = "default";
};

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "tail_driver: " << error
            << "\nusage: tail_driver --db PATH --follow FILE [--follow FILE...] [--poll-ms N] "
               "[--chunk-bytes N] [--until-idle] [--cluster NAME]\n";
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--db") {
      a.db = value();
    } else if (arg == "--follow") {
      a.follow.push_back(value());
    } else if (arg == "--poll-ms") {
      a.poll_ms = std::atoi(value().c_str());
    } else if (arg == "--chunk-bytes") {
      a.chunk_bytes = static_cast<std::size_t>(std::strtoull(value().c_str(), nullptr, 10));
    } else if (arg == "--until-idle") {
      a.until_idle = true;
    } else if (arg == "--cluster") {
      a.cluster = value();
    } else {
      Usage("unknown argument " + arg);
    }
  }
  if (a.db.empty() || a.follow.empty()) Usage("--db and --follow are required");
  return a;
}

int Main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  // SIGTERM/SIGINT are taken by a thread that stops the Tailer (no work in a signal handler).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto rules = cli::LoadRules({});
  if (!rules) {
    std::cerr << "tail_driver: " << rules.error().ToString() << "\n";
    return 2;
  }
  auto store = store::SqliteFindingStore::Open(args.db);
  if (!store) {
    std::cerr << "tail_driver: " << store.error().ToString() << "\n";
    return 1;
  }
  auto offsets = store::SqliteTailOffsets::Open(args.db);
  if (!offsets) {
    std::cerr << "tail_driver: " << offsets.error().ToString() << "\n";
    return 1;
  }
  detect::EngineOptions eo;
  eo.cluster = args.cluster;
  detect::Engine engine(*rules, nullptr, eo);
  tail::TailChunkCommitter committer(engine, **store, **offsets);

  ingest::TailOptions to;
  to.paths = args.follow;
  to.poll_interval = std::chrono::milliseconds(args.poll_ms);
  to.max_chunk_bytes = args.chunk_bytes;
  to.on_skip = [](const ingest::TailSkip& s) {
    std::cerr << fmt::format("tail_driver: {}: {} at {} ({} bytes): {}\n", s.file,
                             ingest::TailSkipKindName(s.kind), s.offset, s.length, s.reason);
  };
  ingest::Tailer tailer(
      to,
      [&](std::string_view lines, const ingest::TailOrigin& origin) {
        return committer.Commit(lines, origin);
      },
      **offsets);

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    tailer.Stop();
  });
  Status result;
  if (args.until_idle) {
    // Until every source is read to its end (retrying while the store is busy).
    for (int idle = 0; idle < 200 && !tailer.stopping();) {
      auto moved = tailer.PollOnce();
      if (!moved) {
        result = std::move(moved).error();
        break;
      }
      std::uint64_t lag = 0;
      for (const auto& st : tailer.status()) lag += st.lag_bytes;
      if (*moved) continue;
      if (lag == 0) break;
      ++idle;
      std::this_thread::sleep_for(to.poll_interval);
    }
  } else {
    result = tailer.Run();
  }
  // Wake the stopper thread so it can be joined.
  kill(getpid(), SIGTERM);
  stopper.join();
  const ingest::TailCounters c = tailer.totals();
  std::cout << fmt::format(
      "{{\"bytes\":{},\"lines\":{},\"chunks\":{},\"rotations\":{},\"truncations\":{},"
      "\"oversize_lines\":{},\"partial_lines_dropped\":{},\"callback_failures\":{},"
      "\"checkpoint_failures\":{},\"checkpoints_lost\":{},\"io_errors\":{},\"events\":{},"
      "\"held_back_after_restart\":{}}}\n",
      c.bytes, c.lines, c.chunks, c.rotations, c.truncations, c.oversize_lines,
      c.partial_lines_dropped, c.callback_failures, c.checkpoint_failures, c.checkpoints_lost,
      c.io_errors, committer.reader_stats().events, committer.held_back_after_restart());
  if (!result) {
    std::cerr << "tail_driver: " << result.error().ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) { return vigil::Main(argc, argv); }
