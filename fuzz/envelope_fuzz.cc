// Fuzz target: the bytes become the inside of each envelope vigil unwraps: a CloudWatch message,
// a base64 (and base64-of-gzip) subscription payload as a bare line, a Lambda awslogs event and a
// Firehose record, an EventList and a pretty array, Fluent Bit [timestamp, {record}] pairs (the
// bytes as the record, and as its `log` text), and a multi-member gzip stream.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_sink.h"
#include "ingest/reader.h"

namespace {

std::string Gzip(std::string_view data) {
  z_stream s{};
  deflateInit2(&s, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, static_cast<uLong>(data.size())) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string Base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void Read(std::string_view input, std::size_t chunk) {
  vigil::ingest::ReaderOptions opts;
  opts.chunk_size = chunk;
  opts.max_document_size = 1 << 16;
  vigil::ingest::Reader reader(opts);
  vigil::fuzz::CheckingSink sink;
  VIGIL_FUZZ_CHECK(reader.ReadBuffer(input, "envelope", sink).has_value());
  sink.CheckStats(reader.stats());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t chunk = 1 + size % 64;
  std::string msg = JsonString(in);
  std::string b64 = Base64(in);
  std::string gz = Gzip(in);
  std::string b64gz = Base64(gz);

  std::string lines;
  lines += R"({"timestamp":1714557600000,"message":)" + msg +
           R"(,"logStreamName":"s"})"
           "\n";
  lines += R"({"events":[{"logStreamName":"s","timestamp":1,"message":)" + msg +
           R"(,"eventId":"e"}],"nextToken":"t"})"
           "\n";
  lines +=
      R"({"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1,"message":)" +
      msg + "}]}\n";
  lines += b64gz + "\n";
  lines += R"({"awslogs":{"data":")" + b64gz + "\"}}\n";
  lines += R"({"records":[{"data":")" + b64 + R"("},{"data":")" + b64gz + "\"}]}\n";
  lines += R"({"kind":"EventList","items":[)" + std::string(in) + "]}\n";
  lines += R"([[1700000000.5,{"log":)" + msg + R"(,"stream":"stdout"}],[1700000001,)" +
           std::string(in) + "]]\n";
  Read(lines, 1 << 16);

  // Pretty forms: the framer sees the bytes inside an array and inside a streamed EventList.
  Read("[\n" + std::string(in) + "\n]\n", chunk);
  Read("{\n  \"kind\": \"EventList\",\n  \"items\": [\n" + std::string(in) + "\n  ]\n}\n", chunk);

  // The bytes as a gzip stream, split into two members at a point chosen by the input.
  std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  Read(Gzip(in.substr(0, cut)) + Gzip(in.substr(cut)), chunk);
  return 0;
}
