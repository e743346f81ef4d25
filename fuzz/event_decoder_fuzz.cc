// Fuzz target: arbitrary bytes → Reader::ReadBuffer → events and rejections.
// Besides "never crashes, never leaks, never hangs", it checks that the result does not depend
// on how the input was chunked: a read with tiny chunks must produce exactly the same events and
// rejections as a read with one large chunk (the framing rules are defined on bytes).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "fuzz_sink.h"
#include "ingest/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Vary limits with the input so small maxima (too-large paths) are reached too.
  std::size_t max_doc = std::size_t{48} << (size % 8);  // 48 .. 6144 bytes
  std::size_t small_chunk = 1 + size % 17;

  vigil::ingest::ReaderOptions big_opts;
  big_opts.chunk_size = 1 << 16;
  big_opts.max_document_size = max_doc;
  vigil::ingest::Reader big(big_opts);
  vigil::fuzz::CheckingSink a;
  VIGIL_FUZZ_CHECK(big.ReadBuffer(input, "fuzz", a).has_value());
  a.CheckStats(big.stats());
  VIGIL_FUZZ_CHECK(big.buffer_capacity() <=
                   std::max<std::size_t>(big_opts.chunk_size, max_doc + 1));

  vigil::ingest::ReaderOptions small_opts = big_opts;
  small_opts.chunk_size = small_chunk;
  vigil::ingest::Reader small(small_opts);
  vigil::fuzz::CheckingSink b;
  VIGIL_FUZZ_CHECK(small.ReadBuffer(input, "fuzz", b).has_value());
  b.CheckStats(small.stats());
  VIGIL_FUZZ_CHECK(small.buffer_capacity() <= std::max<std::size_t>(small_chunk, max_doc + 1));

  // A prefilter that wants every event changes nothing; one that wants none turns events into
  // counts, and may count as an event a line whose only flaw sits inside a value it skipped,
  // but every record is still accounted for exactly once.
  vigil::ingest::Reader keyed_all(big_opts);
  vigil::fuzz::CheckingSink c(vigil::fuzz::CheckingSink::Prefilter::kAcceptAll);
  VIGIL_FUZZ_CHECK(keyed_all.ReadBuffer(input, "fuzz", c).has_value());
  c.CheckStats(keyed_all.stats());
  VIGIL_FUZZ_CHECK(c.digest == a.digest);
  vigil::ingest::Reader keyed_none(big_opts);
  vigil::fuzz::CheckingSink d(vigil::fuzz::CheckingSink::Prefilter::kRejectAll);
  VIGIL_FUZZ_CHECK(keyed_none.ReadBuffer(input, "fuzz", d).has_value());
  d.CheckStats(keyed_none.stats());
  VIGIL_FUZZ_CHECK(keyed_none.stats().events + keyed_none.stats().rejected_total() ==
                   big.stats().events + big.stats().rejected_total());

  if (a.digest != b.digest) {
    std::fprintf(stderr,
                 "chunk size changed the result (max_doc %zu, chunk %zu)\n--- big\n%s--- small\n%s",
                 max_doc, small_chunk, a.digest.c_str(), b.digest.c_str());
    std::abort();
  }
  return 0;
}
