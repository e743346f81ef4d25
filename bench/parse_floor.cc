// vigil_parse_floor: the JSON-parse floor of an audit-log file. Answers: "how fast can one core
// get the fields a detector needs out of this file with simdjson, and nothing else?" — the
// ceiling that `vigil scan` throughput is measured against (bench/README.md).
//
// The file is read as a streaming reader would: read() in 1 MiB chunks into one reused padded
// buffer, lines found with memchr, each line parsed in place. For every event six fields are
// read (requestURI, verb, user.username, objectRef.resource, objectRef.namespace,
// responseStatus.code). Variants:
//   framing   read + memchr only (the cost of finding lines)
//   od_line   simdjson On-Demand, parser.iterate() per line        (the floor vigil is held to)
//   od_many   simdjson On-Demand, parser.iterate_many() per chunk, single-threaded
//   dom_line  simdjson DOM, parser.parse() per line (fully validated, as vigil parses)
//
// Before anything is timed each variant runs once and must agree with the others: the same
// number of events as non-empty lines (none may fail to parse) and the same checksum of the
// fields. Every timed run must reproduce that result. Times are the median of --repeat runs,
// both wall clock and the process's CPU time (the steadier of the two on a shared machine).
//
//   vigil_parse_floor FILE [--repeat N] [--variants framing,od_line,od_many,dom_line] [--json]

#include <fcntl.h>
#include <simdjson.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::bench {
namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

// What one pass over the file produced. Two passes that read the same fields agree exactly.
struct Outcome {
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;   // non-empty lines
  std::uint64_t events = 0;  // lines that parsed as an object
  std::uint64_t errors = 0;  // lines that did not
  std::uint64_t checksum = 0;
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // this process's CPU time: steadier than wall time on a busy machine
  std::string io_error;
};

// FNV-style mix of a field: its length and first and last bytes (cheap, but any lost, extra or
// differently decoded field changes it). Absent fields mix a marker.
inline void MixField(std::uint64_t& h, std::string_view s) {
  std::uint64_t v = s.size();
  if (!s.empty()) {
    v ^= static_cast<std::uint64_t>(static_cast<unsigned char>(s.front())) << 32;
    v ^= static_cast<std::uint64_t>(static_cast<unsigned char>(s.back())) << 48;
  }
  h = (h ^ v) * 0x100000001b3ULL;
}
inline void MixAbsent(std::uint64_t& h) { h = (h ^ 0xabcdef) * 0x100000001b3ULL; }
inline void MixCode(std::uint64_t& h, std::int64_t code) {
  h = (h ^ static_cast<std::uint64_t>(code)) * 0x100000001b3ULL;
}

// Reads a file in fixed chunks into one padded buffer and hands out blocks of whole lines. The
// bytes after a block (the partial next line, then SIMDJSON_PADDING bytes) stay readable, so
// simdjson can parse any line of the block in place.
class ChunkedLineReader {
 public:
  ChunkedLineReader() { Grow(kChunkBytes); }

  // Calls on_block(data, len, capacity) for consecutive blocks of whole lines (the file's last
  // line may lack its newline); `capacity` counts the readable bytes from `data` on. Returns an
  // error message, empty on success.
  template <typename F>
  std::string ForEachBlock(const char* path, std::uint64_t& bytes, F&& on_block) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::string("cannot open ") + path + ": " + std::strerror(errno);
    std::size_t have = 0;
    bytes = 0;
    for (;;) {
      if (have == capacity_) Grow(capacity_ * 2);  // a line longer than the buffer
      const ssize_t got = ::read(fd, data_.get() + have, capacity_ - have);
      if (got < 0) {
        if (errno == EINTR) continue;
        const std::string err = std::string("read ") + path + ": " + std::strerror(errno);
        ::close(fd);
        return err;
      }
      if (got == 0) break;
      have += static_cast<std::size_t>(got);
      bytes += static_cast<std::uint64_t>(got);
      const void* last = ::memrchr(data_.get(), '\n', have);
      if (last == nullptr) continue;
      const std::size_t block =
          static_cast<std::size_t>(static_cast<const char*>(last) - data_.get()) + 1;
      on_block(data_.get(), block, capacity_ + simdjson::SIMDJSON_PADDING);
      std::memmove(data_.get(), data_.get() + block, have - block);
      have -= block;
    }
    ::close(fd);
    if (have > 0) on_block(data_.get(), have, capacity_ + simdjson::SIMDJSON_PADDING);
    return {};
  }

 private:
  void Grow(std::size_t capacity) {
    // Value-initialised: the padding is defined bytes.
    auto fresh = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);
    if (data_) std::memcpy(fresh.get(), data_.get(), capacity_);
    data_ = std::move(fresh);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
};

// Calls on_line(ptr, len, capacity) for each non-empty line of a block.
template <typename F>
inline void ForEachLine(const char* data, std::size_t len, std::size_t capacity, F&& on_line) {
  const char* p = data;
  const char* const end = data + len;
  while (p < end) {
    const char* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = nl != nullptr ? nl : end;
    const auto n = static_cast<std::size_t>(line_end - p);
    if (n > 0) on_line(p, n, capacity - static_cast<std::size_t>(p - data));
    p = line_end + 1;
  }
}

// The six fields through On-Demand; returns false if the document is not a usable object.
template <typename Doc>
bool OnDemandFields(Doc& doc, std::uint64_t& h) {
  using simdjson::SUCCESS;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != SUCCESS) return false;
  std::string_view s;
  for (const char* key : {"requestURI", "verb"}) {
    if (obj[key].get_string().get(s) == SUCCESS) {
      MixField(h, s);
    } else {
      MixAbsent(h);
    }
  }
  simdjson::ondemand::object inner;
  if (obj["user"].get_object().get(inner) == SUCCESS &&
      inner["username"].get_string().get(s) == SUCCESS) {
    MixField(h, s);
  } else {
    MixAbsent(h);
  }
  if (obj["objectRef"].get_object().get(inner) == SUCCESS) {
    for (const char* key : {"resource", "namespace"}) {
      if (inner[key].get_string().get(s) == SUCCESS) {
        MixField(h, s);
      } else {
        MixAbsent(h);
      }
    }
  } else {
    MixAbsent(h);
    MixAbsent(h);
  }
  std::int64_t code = 0;
  if (obj["responseStatus"].get_object().get(inner) == SUCCESS &&
      inner["code"].get_int64().get(code) == SUCCESS) {
    MixCode(h, code);
  } else {
    MixAbsent(h);
  }
  return true;
}

bool DomFields(simdjson::dom::element doc, std::uint64_t& h) {
  using simdjson::SUCCESS;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != SUCCESS) return false;
  std::string_view s;
  for (const char* key : {"requestURI", "verb"}) {
    if (obj[key].get_string().get(s) == SUCCESS) {
      MixField(h, s);
    } else {
      MixAbsent(h);
    }
  }
  if (obj["user"]["username"].get_string().get(s) == SUCCESS) {
    MixField(h, s);
  } else {
    MixAbsent(h);
  }
  simdjson::dom::object ref;
  if (obj["objectRef"].get_object().get(ref) == SUCCESS) {
    for (const char* key : {"resource", "namespace"}) {
      if (ref[key].get_string().get(s) == SUCCESS) {
        MixField(h, s);
      } else {
        MixAbsent(h);
      }
    }
  } else {
    MixAbsent(h);
    MixAbsent(h);
  }
  std::int64_t code = 0;
  if (obj["responseStatus"]["code"].get_int64().get(code) == SUCCESS) {
    MixCode(h, code);
  } else {
    MixAbsent(h);
  }
  return true;
}

enum class Variant { kFraming, kOdLine, kOdMany, kDomLine };
constexpr Variant kAllVariants[] = {Variant::kFraming, Variant::kOdLine, Variant::kOdMany,
                                    Variant::kDomLine};

std::string_view Name(Variant v) {
  switch (v) {
    case Variant::kFraming:
      return "framing";
    case Variant::kOdLine:
      return "od_line";
    case Variant::kOdMany:
      return "od_many";
    case Variant::kDomLine:
      return "dom_line";
  }
  return "?";
}

// The parsers live across runs, as they would in a long-running reader: no allocation once warm.
struct Parsers {
  simdjson::ondemand::parser od;
  simdjson::dom::parser dom;
  Parsers() {
#ifdef SIMDJSON_THREADS_ENABLED
    od.threaded = false;  // iterate_many must not start its stage-1 helper thread
#endif
  }
};

double CpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Outcome RunOnce(Variant v, const char* path, ChunkedLineReader& reader, Parsers& p) {
  Outcome o;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const double cpu_start = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  auto count_line = [&](const char*, std::size_t, std::size_t) { ++o.lines; };
  switch (v) {
    case Variant::kFraming:
      o.io_error =
          reader.ForEachBlock(path, o.bytes, [&](const char* d, std::size_t n, std::size_t cap) {
            ForEachLine(d, n, cap, count_line);
          });
      o.events = o.lines;
      break;
    case Variant::kOdLine:
      o.io_error =
          reader.ForEachBlock(path, o.bytes, [&](const char* d, std::size_t n, std::size_t cap) {
            ForEachLine(d, n, cap, [&](const char* line, std::size_t len, std::size_t line_cap) {
              ++o.lines;
              simdjson::ondemand::document doc;
              if (p.od.iterate(line, len, line_cap).get(doc) == simdjson::SUCCESS &&
                  OnDemandFields(doc, h)) {
                ++o.events;
              } else {
                ++o.errors;
              }
            });
          });
      break;
    case Variant::kOdMany:
      o.io_error =
          reader.ForEachBlock(path, o.bytes, [&](const char* d, std::size_t n, std::size_t cap) {
            ForEachLine(d, n, cap, count_line);
            simdjson::ondemand::document_stream stream;
            // One batch per block: the block never exceeds the reader's buffer.
            const std::size_t batch = std::max<std::size_t>(n, simdjson::dom::MINIMAL_BATCH_SIZE);
            if (p.od.iterate_many(reinterpret_cast<const std::uint8_t*>(d), n, batch).get(stream) !=
                simdjson::SUCCESS) {
              o.errors += 1;
              return;
            }
            for (auto it = stream.begin(); it != stream.end(); ++it) {
              simdjson::ondemand::document_reference doc;
              if ((*it).get(doc) == simdjson::SUCCESS && OnDemandFields(doc, h)) {
                ++o.events;
              } else {
                ++o.errors;
              }
            }
          });
      break;
    case Variant::kDomLine:
      o.io_error =
          reader.ForEachBlock(path, o.bytes, [&](const char* d, std::size_t n, std::size_t cap) {
            ForEachLine(d, n, cap, [&](const char* line, std::size_t len, std::size_t) {
              ++o.lines;
              simdjson::dom::element doc;
              if (p.dom.parse(line, len, false).get(doc) == simdjson::SUCCESS &&
                  DomFields(doc, h)) {
                ++o.events;
              } else {
                ++o.errors;
              }
            });
          });
      break;
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  o.cpu_seconds = CpuSeconds() - cpu_start;
  o.checksum = v == Variant::kFraming ? 0 : h;
  return o;
}

[[noreturn]] void Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "vigil_parse_floor: %s\n", error);
  std::fprintf(stderr,
               "usage: vigil_parse_floor FILE [--repeat N] [--variants LIST] [--json]\n"
               "  FILE          audit events, one JSON object per line\n"
               "  --repeat N    timed runs per variant; the median is reported (default 5)\n"
               "  --variants L  comma-separated subset of framing,od_line,od_many,dom_line\n"
               "  --json        one JSON object per variant instead of key=value lines\n");
  std::exit(2);
}

int Run(int argc, char** argv) {
  const char* path = nullptr;
  int repeat = 5;
  bool json = false;
  std::vector<Variant> variants(std::begin(kAllVariants), std::end(kAllVariants));
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      const std::string_view v = argv[++i];
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), repeat);
      if (ec != std::errc() || end != v.data() + v.size() || repeat < 1)
        Usage("--repeat needs a positive integer");
    } else if (arg == "--variants" && i + 1 < argc) {
      variants.clear();
      std::string_view list = argv[++i];
      while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view name = list.substr(0, comma);
        bool found = false;
        for (Variant v : kAllVariants) {
          if (Name(v) == name) {
            variants.push_back(v);
            found = true;
          }
        }
        if (!found) Usage("--variants takes framing, od_line, od_many, dom_line");
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "-h" || arg == "--help") {
      Usage(nullptr);
    } else if (!arg.empty() && arg[0] != '-' && path == nullptr) {
      path = argv[i];
    } else {
      const std::string msg = "unexpected argument '" + std::string(arg) + "'";
      Usage(msg.c_str());
    }
  }
  if (path == nullptr) Usage("no FILE given");

  ChunkedLineReader reader;
  Parsers parsers;

  // Check before timing: every variant once; all must see the same lines, parse every one of
  // them, and (the parsing ones) agree on the checksum.
  std::vector<Outcome> checked;
  for (Variant v : variants) {
    Outcome o = RunOnce(v, path, reader, parsers);
    if (!o.io_error.empty()) {
      std::fprintf(stderr, "vigil_parse_floor: %s\n", o.io_error.c_str());
      return 1;
    }
    if (o.lines == 0) {
      std::fprintf(stderr, "vigil_parse_floor: %s holds no events\n", path);
      return 1;
    }
    if (o.errors != 0 || o.events != o.lines) {
      std::fprintf(stderr,
                   "vigil_parse_floor: %.*s parsed %llu events from %llu lines (%llu failed); "
                   "the floor needs a file of valid events\n",
                   static_cast<int>(Name(v).size()), Name(v).data(),
                   static_cast<unsigned long long>(o.events),
                   static_cast<unsigned long long>(o.lines),
                   static_cast<unsigned long long>(o.errors));
      return 1;
    }
    for (std::size_t k = 0; k < checked.size(); ++k) {
      const bool both_parse = variants[k] != Variant::kFraming && v != Variant::kFraming;
      if (checked[k].lines != o.lines || (both_parse && checked[k].checksum != o.checksum)) {
        std::fprintf(stderr,
                     "vigil_parse_floor: %.*s and %.*s disagree (lines %llu vs %llu, checksum "
                     "%016llx vs %016llx)\n",
                     static_cast<int>(Name(variants[k]).size()), Name(variants[k]).data(),
                     static_cast<int>(Name(v).size()), Name(v).data(),
                     static_cast<unsigned long long>(checked[k].lines),
                     static_cast<unsigned long long>(o.lines),
                     static_cast<unsigned long long>(checked[k].checksum),
                     static_cast<unsigned long long>(o.checksum));
        return 1;
      }
    }
    checked.push_back(o);
  }

  // Timed runs, interleaved so a slow phase of a shared machine hurts every variant alike.
  std::vector<std::vector<double>> times(variants.size());
  std::vector<std::vector<double>> cpu_times(variants.size());
  for (int r = 0; r < repeat; ++r) {
    for (std::size_t k = 0; k < variants.size(); ++k) {
      const Outcome o = RunOnce(variants[k], path, reader, parsers);
      if (o.events != checked[k].events || o.checksum != checked[k].checksum ||
          !o.io_error.empty()) {
        std::fprintf(stderr, "vigil_parse_floor: %.*s changed its result between runs\n",
                     static_cast<int>(Name(variants[k]).size()), Name(variants[k]).data());
        return 1;
      }
      times[k].push_back(o.seconds);
      cpu_times[k].push_back(o.cpu_seconds);
    }
  }

  // Stage 1 (both APIs) and DOM's stage 2 pick the best kernel at run time; On-Demand's stage 2 is
  // inlined here, compiled for this build's target (see VIGIL_BENCH_NATIVE).
  const std::string active = simdjson::get_active_implementation()->name();
  const std::string builtin = SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION);
  const std::string version = std::to_string(simdjson::SIMDJSON_VERSION_MAJOR) + "." +
                              std::to_string(simdjson::SIMDJSON_VERSION_MINOR) + "." +
                              std::to_string(simdjson::SIMDJSON_VERSION_REVISION);
  auto median_of = [](std::vector<double>& t) {
    std::sort(t.begin(), t.end());
    return t.size() % 2 ? t[t.size() / 2] : (t[t.size() / 2 - 1] + t[t.size() / 2]) / 2;
  };
  for (std::size_t k = 0; k < variants.size(); ++k) {
    auto& t = times[k];
    const double median = median_of(t);
    const double cpu = median_of(cpu_times[k]);
    const Outcome& o = checked[k];
    const double eps = static_cast<double>(o.events) / median;
    const double mbps = static_cast<double>(o.bytes) / 1e6 / median;
    const std::string_view name = Name(variants[k]);
    if (json) {
      std::printf(
          "{\"variant\":\"%.*s\",\"events\":%llu,\"bytes\":%llu,\"checksum\":\"%016llx\","
          "\"runs\":%d,\"median_s\":%.6f,\"min_s\":%.6f,\"cpu_s\":%.6f,\"events_per_s\":%.0f,"
          "\"mb_per_s\":%.1f,\"simdjson\":\"%s\",\"dom_kernel\":\"%s\",\"ondemand_kernel\":\"%s\"}"
          "\n",
          static_cast<int>(name.size()), name.data(), static_cast<unsigned long long>(o.events),
          static_cast<unsigned long long>(o.bytes), static_cast<unsigned long long>(o.checksum),
          repeat, median, t.front(), cpu, eps, mbps, version.c_str(), active.c_str(),
          builtin.c_str());
    } else {
      std::printf(
          "variant=%.*s events=%llu bytes=%llu checksum=%016llx runs=%d median_s=%.6f "
          "min_s=%.6f cpu_s=%.6f events_per_s=%.0f mb_per_s=%.1f simdjson=%s dom_kernel=%s "
          "ondemand_kernel=%s\n",
          static_cast<int>(name.size()), name.data(), static_cast<unsigned long long>(o.events),
          static_cast<unsigned long long>(o.bytes), static_cast<unsigned long long>(o.checksum),
          repeat, median, t.front(), cpu, eps, mbps, version.c_str(), active.c_str(),
          builtin.c_str());
    }
  }
  return 0;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) { return vigil::bench::Run(argc, argv); }
