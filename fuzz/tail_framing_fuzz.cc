// Fuzzes the Tailer's line framing over a real file that grows in arbitrary pieces: whatever the
// bytes, chunk size, line limit and write boundaries, every delivered chunk is exactly the file's
// bytes at [begin, end), ends in '\n', starts where the last one ended (or after a skipped line),
// holds no line longer than the limit, and at the end delivered + skipped bytes reach exactly the
// last newline of the input.
//
// Input: byte 0 → max_chunk_bytes 1..64, byte 1 → max_line_bytes 1..64, byte 2 → write piece
// size 1..64; the rest is the file's content.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "ingest/tail.h"

namespace {

std::string TempFile() {
  static std::string dir = [] {
    char pattern[] = "/tmp/vigil-tail-fuzz-XXXXXX";
    const char* d = mkdtemp(pattern);
    if (d == nullptr) abort();
    return std::string(d);
  }();
  return dir + "/audit.log";
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::ingest;
  if (size < 3) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::size_t max_line = 1 + data[1] % 64;
  const std::size_t piece = 1 + data[2] % 64;
  const std::string content(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::string path = TempFile();
  unlink(path.c_str());
  FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) abort();

  TailOptions o;
  o.paths = {path};
  o.max_chunk_bytes = chunk;
  o.max_line_bytes = max_line;
  std::uint64_t expect_begin = 0;
  std::uint64_t delivered = 0;
  std::uint64_t skipped = 0;
  o.on_skip = [&](const TailSkip& s) {
    Check(s.kind == TailSkip::Kind::kOversizeLine);
    Check(s.offset == expect_begin);
    Check(s.length > max_line);
    expect_begin += s.length;
    skipped += s.length;
  };
  MemoryTailCheckpointStore cps;
  Tailer t(
      o,
      [&](std::string_view lines, const TailOrigin& origin) -> vigil::Status {
        Check(!lines.empty() && lines.back() == '\n');
        Check(origin.begin == expect_begin && origin.end == origin.begin + lines.size());
        Check(origin.end <= content.size());
        Check(content.compare(origin.begin, lines.size(), lines) == 0);
        Check(lines.size() <= chunk || lines.find('\n') == lines.size() - 1);
        std::size_t start = 0;
        while (start < lines.size()) {
          const std::size_t nl = lines.find('\n', start);
          Check(nl - start <= max_line);
          start = nl + 1;
        }
        expect_begin = origin.end;
        delivered += lines.size();
        return vigil::Ok();
      },
      cps);
  for (std::size_t at = 0; at < content.size(); at += piece) {
    std::fwrite(content.data() + at, 1, std::min(piece, content.size() - at), out);
    std::fflush(out);
    for (int i = 0; i < 100; ++i) {
      auto moved = t.PollOnce();
      Check(moved.has_value());
      if (!*moved) break;
    }
  }
  std::fclose(out);
  for (int i = 0; i < 100; ++i) {
    auto moved = t.PollOnce();
    if (!*moved) break;
  }
  const std::size_t last_nl = content.rfind('\n');
  const std::uint64_t want = last_nl == std::string::npos ? 0 : last_nl + 1;
  Check(delivered + skipped == want);
  Check((*cps.Load(path))->offset == want);
  return 0;
}
