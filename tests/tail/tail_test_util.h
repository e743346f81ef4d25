// Helpers for the Tailer tests: a temp directory, a writer that appends numbered lines to real
// files and rotates them the ways real tools do, and a callback that records what it committed.
#ifndef VIGIL_TESTS_TAIL_TAIL_TEST_UTIL_H_
#define VIGIL_TESTS_TAIL_TAIL_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/tail.h"
#include "store/store_test_util.h"

namespace vigil::ingest::testing {

using TempDir = store::testing::TempDir;

// The n-th test line, without its newline. Lines differ in their first bytes, so fingerprints of
// different files differ as they do for audit logs (timestamps, auditIDs).
inline std::string Line(int n) {
  return "{\"n\":" + std::to_string(n) + ",\"pad\":\"" +
         std::string(static_cast<size_t>(n % 37), 'x') + "\"}";
}

inline void Append(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
  out.flush();
  ASSERT_TRUE(out.good()) << path;
}

// Appends lines [from, to).
inline void AppendLines(const std::string& path, int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += Line(i) + "\n";
  Append(path, s);
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// gzip-compresses `from` into `to` and removes `from` (lumberjack's --audit-log-compress).
inline void Gzip(const std::string& from, const std::string& to) {
  const std::string data = ReadAll(from);
  gzFile gz = gzopen(to.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  ASSERT_EQ(unlink(from.c_str()), 0);
}

// logrotate copytruncate: copy to `copy`, then truncate the original in place.
inline void CopyTruncate(const std::string& path, const std::string& copy) {
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(truncate(path.c_str(), 0), 0);
}

// lumberjack's backup name for `live` (e.g. audit.log) in `dir` at the current UTC time (ms).
inline std::string LumberjackName(const TempDir& dir, const std::string& live) {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S", &tm);
  const auto dot = live.rfind('.');
  return dir.File(live.substr(0, dot) + "-" + stamp + "." +
                  std::to_string(1000 + ms % 1000).substr(1) + live.substr(dot));
}

// logrotate copytruncate keeping numbered copies: audit.log.N → .N+1 (mtime kept), copy to .1,
// truncate. `copies` counts the copies made so far.
inline void LogrotateCopyTruncate(const TempDir& dir, const std::string& path, int& copies) {
  for (int k = copies; k >= 1; --k) {
    const std::string from = dir.File("audit.log." + std::to_string(k));
    const std::string to = dir.File("audit.log." + std::to_string(k + 1));
    ASSERT_EQ(rename(from.c_str(), to.c_str()), 0);
  }
  ++copies;
  CopyTruncate(path, dir.File("audit.log.1"));
}

// Records every committed chunk's lines. `fail_next` makes the next calls fail (not committed).
struct Collector {
  std::vector<std::string> lines;
  std::vector<TailOrigin> origins;  // views in them are dangling after the call; ints only
  std::vector<std::string> files;
  int fail_next = 0;
  int allow = -1;  // when >= 0: this many more calls succeed, then every call fails
  int calls = 0;

  TailCallback Callback() {
    return [this](std::string_view chunk, const TailOrigin& origin) -> Status {
      ++calls;
      if (fail_next > 0 || allow == 0) {
        if (fail_next > 0) --fail_next;
        return MakeError(ErrorCode::kIo, "test: store unavailable");
      }
      if (allow > 0) --allow;
      EXPECT_FALSE(chunk.empty());
      EXPECT_EQ(chunk.back(), '\n');
      EXPECT_EQ(origin.end - origin.begin, chunk.size());
      size_t start = 0;
      while (start < chunk.size()) {
        const size_t nl = chunk.find('\n', start);
        lines.emplace_back(chunk.substr(start, nl - start));
        start = nl + 1;
      }
      origins.push_back(origin);
      files.emplace_back(origin.file);
      return Ok();
    };
  }
};

// Expects `got` to be exactly lines [from, to) in order.
inline void ExpectLines(const std::vector<std::string>& got, int from, int to) {
  ASSERT_EQ(got.size(), static_cast<size_t>(to - from));
  for (int i = from; i < to; ++i) {
    ASSERT_EQ(got[static_cast<size_t>(i - from)], Line(i)) << "at line " << i;
  }
}

// Polls until nothing moves (bounded, so a bug cannot hang the test).
inline void Drain(Tailer& t) {
  for (int i = 0; i < 1000; ++i) {
    auto moved = t.PollOnce();
    ASSERT_TRUE(moved.has_value()) << moved.error().ToString();
    if (!*moved) return;
  }
  FAIL() << "the tailer never became idle";
}

inline TailOptions Options(const std::string& path) {
  TailOptions o;
  o.paths = {path};
  o.poll_interval = std::chrono::milliseconds(5);
  o.max_chunk_bytes = 4096;
  o.max_line_bytes = 1024;
  return o;
}

}  // namespace vigil::ingest::testing

#endif  // VIGIL_TESTS_TAIL_TAIL_TEST_UTIL_H_
