// tail_throughput: how fast does the Tailer hand a file's lines on, with checkpoints saved in a
// real SQLite file after every chunk, compared with reading the file with plain read() calls?
// Answers "does tailing cost anything next to decoding and detection?". Not a test: run it by
// hand on a generated file (bench's vigil_gen_audit). It checks its own result (every line of
// the file delivered once, in order) before printing the numbers.
//
//   tail_throughput FILE [CHUNK_BYTES] [memory]   (memory: checkpoints in memory, no SQLite)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "ingest/tail.h"
#include "store/sqlite/tail_offsets.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tail_throughput FILE [CHUNK_BYTES]\n");
    return 2;
  }
  const std::string path = argv[1];
  const std::size_t chunk = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : (1u << 20);
  const auto size = std::filesystem::file_size(path);

  // The floor: read() the whole file in 1 MiB pieces and count newlines.
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t floor_lines = 0;
  {
    const int fd = open(path.c_str(), O_RDONLY);
    std::string buf(1 << 20, '\0');
    ssize_t n;
    while ((n = read(fd, buf.data(), buf.size())) > 0) {
      for (ssize_t i = 0; i < n; ++i) floor_lines += buf[static_cast<std::size_t>(i)] == '\n';
    }
    close(fd);
  }
  const double floor_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const std::string db = std::filesystem::temp_directory_path() / "vigil-tail-throughput.db";
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
  auto offsets = vigil::store::SqliteTailOffsets::Open(db);
  if (!offsets) {
    std::fprintf(stderr, "%s\n", offsets.error().ToString().c_str());
    return 1;
  }
  const bool in_memory = argc > 3 && std::string(argv[3]) == "memory";
  vigil::ingest::MemoryTailCheckpointStore memory;
  vigil::ingest::TailCheckpointStore& checkpoints =
      in_memory ? static_cast<vigil::ingest::TailCheckpointStore&>(memory) : **offsets;
  vigil::ingest::TailOptions o;
  o.paths = {path};
  o.max_chunk_bytes = chunk;
  std::uint64_t lines = 0;
  std::uint64_t next_begin = 0;
  bool in_order = true;
  vigil::ingest::Tailer tailer(
      o,
      [&](std::string_view chunk_lines, const vigil::ingest::TailOrigin& origin) {
        in_order = in_order && origin.begin == next_begin;
        next_begin = origin.end;
        for (char c : chunk_lines) lines += c == '\n';
        return vigil::Ok();
      },
      checkpoints);
  t0 = std::chrono::steady_clock::now();
  while (true) {
    auto moved = tailer.PollOnce();
    if (!moved || !*moved) break;
  }
  const double tail_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto totals = tailer.totals();
  if (lines != floor_lines || !in_order || next_begin != size) {
    std::fprintf(
        stderr, "tail_throughput: wrong result: %llu lines (want %llu), end %llu of %llu\n",
        static_cast<unsigned long long>(lines), static_cast<unsigned long long>(floor_lines),
        static_cast<unsigned long long>(next_begin), static_cast<unsigned long long>(size));
    return 1;
  }
  const double mb = static_cast<double>(size) / 1e6;
  std::printf("file: %.1f MB, %llu lines; chunk %zu bytes: %llu chunks, %llu checkpoints saved\n",
              mb, static_cast<unsigned long long>(lines), chunk,
              static_cast<unsigned long long>(totals.chunks),
              static_cast<unsigned long long>(totals.chunks + 1));
  std::printf("read() floor: %.0f MB/s; Tailer with %s checkpoints: %.0f MB/s (%.0f lines/s)\n",
              mb / floor_s, in_memory ? "in-memory" : "SQLite", mb / tail_s,
              static_cast<double>(lines) / tail_s);
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
  return 0;
}
